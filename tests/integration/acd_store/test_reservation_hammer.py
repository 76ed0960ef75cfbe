"""Concurrent reservations from two OS processes never give one agent two holders."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.redis_server import RedisServer


def _hammer(url: str, *, naive: bool, ops: int) -> list[dict[str, Any]]:
    argv = [sys.executable, "-m", "tests.integration.acd_store.hammer_child", "--redis", url,
            "--ops", str(ops)] + (["--naive"] if naive else [])
    procs = [subprocess.Popen([*argv, "--partition", p], stdout=subprocess.PIPE)
             for p in ("p1", "p2")]  # two replicas, each with its own lease
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0
        results.append(json.loads(out))
    return results


def test_two_processes_never_hold_one_agent_twice(redis: RedisServer) -> None:
    results = _hammer(redis.url, naive=False, ops=800)
    print("atomic:", results)
    assert sum(r["violations"] for r in results) == 0
    assert all(r["granted"] > 100 and r["refused"] > 100 for r in results)  # real contention


def test_the_detector_catches_a_check_then_set_reservation(redis: RedisServer) -> None:
    results = _hammer(redis.url, naive=True, ops=300)
    print("naive:", results)
    assert sum(r["violations"] for r in results) > 0
