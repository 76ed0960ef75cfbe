"""kill -9 of the writer loses no acknowledged event and duplicates none, on both engines."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.analytics.clickhouse_server import RunningClickHouse
from tests.integration.analytics.conftest import fresh_database
from tests.integration.analytics.sink_child import event

REPO = Path(__file__).resolve().parents[3]


def _engine_args(kind: str, tmp: Path, request: pytest.FixtureRequest) -> list[str]:
    args = ["--backend", kind, "--database", fresh_database(), "--spool", str(tmp / "spool")]
    if kind == "chdb":
        return [*args, "--chdb-path", str(tmp / "chdb")]
    server: RunningClickHouse = request.getfixturevalue("clickhouse_server")
    return [*args, "--host", server.host, "--port", str(server.port)]


def _spawn(mode: str, args: list[str], log: Path) -> subprocess.Popen[str]:
    # stderr to a file: an unread pipe could fill up and stall the child.
    with open(log, "a") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.integration.analytics.sink_child", mode, *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)


def _write_then_kill(args: list[str], count: int, kill_after: str | int, log: Path,
                     delay_s: float = 0.0) -> int:
    """Run a writer, SIGKILL it at a point (``delay_s`` after it); return how many events
    were acknowledged."""
    hold = {"INSERTED": ["--hold-after-insert"], "INSERTING": ["--announce-insert"]}
    child = _spawn("write", [*args, "--count", str(count), *hold.get(str(kill_after), [])], log)
    # A hung child must fail the test, not stall it: kill it after a generous while.
    watchdog = threading.Timer(120, os.killpg, (child.pid, signal.SIGKILL))
    watchdog.start()
    acked = 0
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("ACK "):
                acked = int(line.split()[1])
            if line.strip() == kill_after or (
                    isinstance(kill_after, int) and acked >= kill_after):
                time.sleep(delay_s)
                break
        else:
            raise AssertionError(f"writer ended early: {log.read_text()[-3000:]}")
    finally:
        watchdog.cancel()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return acked


def _replay(args: list[str], log: Path) -> dict[str, object]:
    child = _spawn("replay", args, log)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0, log.read_text()[-3000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert isinstance(report, dict)
    return report


def _check(report: dict[str, object], acked: int) -> None:
    raw_ids = report["ids"]
    assert isinstance(raw_ids, list)
    ids = {str(i) for i in raw_ids}
    missing = {event(n)["event_id"] for n in range(acked)} - ids
    assert not missing, f"{len(missing)} acknowledged events lost"
    assert report["count"] == report["distinct"], "duplicates in the raw table"
    assert report["offered"] == report["count"], "rollup disagrees with the raw rows"
    assert report["offered_per_queue"] == report["count"], "queue rollup disagrees"


@pytest.mark.parametrize("blocks", [False, True], ids=["rows", "blocks"])
@pytest.mark.parametrize("kind", ["chdb", "server"])
def test_kill_between_insert_and_checkpoint(kind: str, blocks: bool, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    """The worst moment: rows are in ClickHouse, the spool does not know it yet."""
    args = _engine_args(kind, tmp_path, request) + (["--blocks"] if blocks else [])
    acked = _write_then_kill(args, 12_000, "INSERTED", tmp_path / "child.log")
    assert acked >= 10_000  # a full batch was acknowledged and inserted
    report = _replay(args, tmp_path / "child.log")
    _check(report, acked)
    assert report["count"] == acked  # everything acknowledged, nothing twice


@pytest.mark.parametrize("kind", ["chdb", "server"])
def test_kill_at_a_random_moment(kind: str, tmp_path: Path,
                                 request: pytest.FixtureRequest) -> None:
    args = _engine_args(kind, tmp_path, request)
    acked = _write_then_kill(args, 40_000, random.randint(3_000, 35_000), tmp_path / "child.log")
    report = _replay(args, tmp_path / "child.log")
    _check(report, acked)
    assert acked <= int(str(report["count"])) <= 40_000


@pytest.mark.parametrize("blocks", [False, True], ids=["rows", "blocks"])
@pytest.mark.parametrize("kind", ["chdb", "server"])
def test_kill_while_the_engine_is_inserting(kind: str, blocks: bool, tmp_path: Path,
                                            request: pytest.FixtureRequest) -> None:
    """Killed a few milliseconds into an insert: raw parts and view parts may be half
    committed; the replay must still end with every event once, in raw and in rollups."""
    args = _engine_args(kind, tmp_path, request) + (["--blocks"] if blocks else [])
    acked = _write_then_kill(args, 30_000, "INSERTING", tmp_path / "child.log",
                             delay_s=random.uniform(0.0, 0.3))
    report = _replay(args, tmp_path / "child.log")
    _check(report, acked)
