"""`callcenter demo`, the path `make demo` takes: up, healthy, live traffic, down, nothing left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.calls.center import load_center
from control_plane.runtime import probes
from control_plane.runtime.stack import DEMO_CENTER
from control_plane.topology.model import Role, Topology
from tests.support import free_prefix, relocated_demo

CLI = (sys.executable, "-m", "control_plane")


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


def _config(tmp: Path, topo: Topology) -> Path:
    topo_file = tmp / "topology.toml"
    topo_file.write_text(topo.to_toml())
    cfg = tmp / "cc.toml"
    cfg.write_text(f'[runtime]\ntopology = "{topo_file}"\nready_timeout_seconds = 30\n')
    return cfg


def _wait_healthy(cfg: Path, run_dir: Path, demo: subprocess.Popen[bytes],
                  timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        assert demo.poll() is None, "demo exited before it was healthy"
        proc = subprocess.run([*CLI, "status", "-c", str(cfg), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, check=False)
        out = proc.stdout + proc.stderr
        if proc.returncode == 0:
            return out
        time.sleep(0.5)
    raise AssertionError(f"demo never healthy:\n{out}")


@pytest.fixture
def demo_dir() -> Iterator[Path]:
    import shutil
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="cc-demo-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_demo_comes_up_carries_traffic_and_leaves_nothing_behind(demo_dir: Path) -> None:
    topo = relocated_demo(free_prefix())
    cfg = _config(demo_dir, topo)
    run_dir = demo_dir / "run"
    demo = subprocess.Popen([*CLI, "demo", "-c", str(cfg), "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status = _wait_healthy(cfg, run_dir, demo)
        # Kamailio nodes, simulated carriers, RTPengine, control plane, two traffic makers,
        # a softphone per agent of the demo center and callers for each of its numbers
        center = load_center(DEMO_CENTER)
        n = len(topo.nodes) + len(topo.carriers) + 4 + len(center.agents) + len(center.routes)
        assert f"{n}/{n} healthy" in status
        for node in topo.nodes:
            assert f"{node.name}" in status
        # Live traffic: simulated seats register through the county edge.
        prov = topo.by_role(Role.PROVINCE)[0]
        deadline = time.monotonic() + 20
        aors: list[str] = []
        while time.monotonic() < deadline and not aors:
            dump = probes.kamailio_rpc(prov.rpc_address, prov.http_port, "ul.dump")
            aors = [a["Info"]["AoR"] for a in dump["Domains"][0]["Domain"]["AoRs"]]
            time.sleep(0.5)
        assert aors, "no seat registered by the demo's live traffic"
        # ...and a seat calls out through the carrier.
        invites = run_dir / topo.carriers[0].name / "invites.jsonl"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (invites.exists() and invites.stat().st_size):
            time.sleep(0.5)
        assert invites.exists() and invites.stat().st_size, "no call reached the carrier"
        # ...and the center answers callers: IVR, queue, an agent's phone picks up.
        cp = topo.control_plane
        deadline = time.monotonic() + 60
        answered = 0.0
        while time.monotonic() < deadline and not answered:
            with urllib.request.urlopen(f"http://{cp.address}:{cp.port}/metrics") as reply:
                text = reply.read().decode()
            answered = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                           if line.startswith("cc_queue_calls_answered_total{"))
            time.sleep(1)
        assert answered > 0, "no caller of the demo center reached an agent"
        assert _processes_mentioning(str(run_dir))
    finally:
        demo.send_signal(signal.SIGTERM)
        output = demo.communicate(timeout=60)[0].decode(errors="replace")
    assert demo.returncode == 0, output
    assert "call center running" in output and "stopped; no process left." in output
    assert _processes_mentioning(str(run_dir)) == []
    after = subprocess.run([*CLI, "status", "-c", str(cfg), "--run-dir", str(run_dir)],
                           capture_output=True, text=True, check=False)
    assert after.returncode == 1 and "no stack is running" in after.stderr


def test_demo_with_a_taken_port_says_so_and_stops_what_it_started(demo_dir: Path) -> None:
    topo = relocated_demo(free_prefix())
    cfg = _config(demo_dir, topo)
    run_dir = demo_dir / "run"
    county = topo.by_role(Role.COUNTY)[0]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind((county.address, county.sip_port))
        proc = subprocess.run([*CLI, "demo", "-c", str(cfg), "--run-dir", str(run_dir)],
                              capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 1
    assert f"kamailio {county.name}: {county.address}:{county.sip_port}/udp is already in use" \
        in proc.stderr
    # The province and city had started before the county failed; both are gone again.
    assert _processes_mentioning(str(run_dir)) == []


def test_bad_setting_is_named_before_anything_starts(demo_dir: Path) -> None:
    env = {**os.environ, "CC_RUNTIME__READY_TIMEOUT_SECONDS": "soon"}
    proc = subprocess.run([*CLI, "demo", "--run-dir", str(demo_dir / "run")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "runtime.ready_timeout_seconds" in proc.stderr
    assert "CC_RUNTIME__READY_TIMEOUT_SECONDS" in proc.stderr
    assert not (demo_dir / "run").exists()
