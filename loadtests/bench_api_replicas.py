"""Two control-plane replicas of one center on a real redis-server, for ``make bench-api``.

What ``tests/e2e/test_api_failover.py`` runs, without Kamailio or RTPengine (the API is
measured, not calls; presence retries the absent cores in the background):

- a topology (the demo's, on a loopback range of its own) with ``cp-1`` and one
  ``[[control_plane.replicas]]`` ``cp-2``; a center file with tenant ``bench``, queue
  ``sales`` and N agents ``agent1..N``;
- one SQLite database both replicas share, seeded from that center file before they start
  (so the controller's own seeding finds every agent, and ``agentN`` is agent id N), with a
  login per agent and the supervisor ``sup`` (password ``bench``);
- ``cp-1`` started first and waited for until ``/healthz`` says ``active`` (it holds the
  center: its ACD logged the center file's agents in), then ``cp-2`` until ``standby``
  (it passes the center's routes on to ``cp-1`` and serves the database-backed ones).

Both replicas are ``python -m loadtests.bench_api_server --replica``: the application
``python -m control_plane serve`` builds from the same ``CC_*`` settings, plus the burst
that measures the WebSocket fan-out on SIGUSR1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from control_plane.topology.addresses import free_prefix
from control_plane.topology.control_planes import ControlPlaneNode
from control_plane.topology.model import Topology, load_topology
from loadtests.bench_api_server import SECRET, TENANT, add_users

REPO = Path(__file__).resolve().parents[1]
DEMO_TOPOLOGY = REPO / "control_plane" / "topology" / "demo.toml"
NAMES = ("cp-1", "cp-2")
READY_TIMEOUT_S = 90.0  # chDB, prompts and the controller load before the API listens
# Keys of one run that get the two-replica suffix in the combined result.
RUN_KEYS = ("api_rps", "api_p99_ms", "api_p50_ms", "api_requests", "api_failures",
            "per_endpoint", "ws_fanout_msgs_per_s", "ws_subscribers", "ws_delivered",
            "ws_lagged", "ws_elapsed_s", "api_requests_by_replica")
SUFFIX = "_2_replicas"


class BenchSetupError(RuntimeError):
    """The two-replica setup failed; the message says which step (error id in brackets)."""


def center_toml(agents: int) -> str:
    """The bench center file: tenant ``bench`` (skill ``zh``), queue ``sales``, agents
    ``agent1..agents`` with seats of the same names. No numbers: no calls are placed."""
    if agents < 1:
        raise ValueError(f"[bench-api.center] needs at least one agent, got {agents}")
    lines = ['domain = "cc.local"', "", "[[tenant]]", f'id = "{TENANT}"', 'language = "zh"',
             'skills = ["zh"]', "", "[[tenant.queue]]", 'id = "sales"',
             'skills = [{ skill = "zh", min = 1 }]', 'strategy = "longest-idle"',
             "ring_timeout_s = 12", ""]
    for i in range(1, agents + 1):
        lines += ["[[agent]]", f'tenant = "{TENANT}"', f'id = "agent{i}"',
                  f'seat = "agent{i}"', "skills = { zh = 3 }", ""]
    return "\n".join(lines)


def replica_topology(base: Topology, prefix: str) -> Topology:
    """``base`` moved to ``prefix`` (``127.a.b``) with two control-plane replicas, ``cp-1``
    and ``cp-2`` (another address, API port + 10), as the failover e2e test builds it."""
    topo = base.relocated(prefix)
    first = replace(topo.control_plane, name=NAMES[0])
    second = ControlPlaneNode(name=NAMES[1], address=f"{prefix}.8", port=first.port + 10,
                              sip_port=first.sip_port, center_numbers=first.center_numbers)
    return replace(topo, control_plane=first, control_plane_replicas=(second,))


def replica_env(node: ControlPlaneNode, *, files: Mapping[str, Path], redis_url: str,
                inherited: Mapping[str, str]) -> dict[str, str]:
    """The environment of one replica: the inherited one without any ``CC_*`` (the settings
    loader refuses unknown ones), plus this replica's settings and the shared ones."""
    env = {k: v for k, v in inherited.items() if not k.startswith("CC_")}
    run_dir = files["run"] / node.name
    env.update({
        "CC_API__HOST": node.address, "CC_API__PORT": str(node.port),
        "CC_DATABASE__URL": f"sqlite:///{files['db']}",
        "CC_AUTH__TOKEN_SECRET": SECRET,  # shared: a token is valid on either replica
        "CC_AUTH__LOGIN_ATTEMPTS_PER_IP": "100000",
        "CC_LOG__LEVEL": "warning",  # a log line per request would be measured
        "CC_RUNTIME__RUN_DIR": str(run_dir), "CC_RUNTIME__TOPOLOGY": str(files["topology"]),
        "CC_CALLS__CENTER": str(files["center"]),
        "CC_CALLS__PROMPTS_DIR": str(REPO / "var" / "prompts"),  # built once per checkout
        "CC_CALLS__REPLICA": node.name, "CC_CALLS__FAILOVER_REDIS_URL": redis_url,
        "PYTHONPATH": str(REPO)})
    return env


def combine(one: Mapping[str, Any], two: Mapping[str, Any]) -> dict[str, Any]:
    """One process's figures under their own keys, the two replicas' under ``<key>_2_replicas``,
    and the ratios two / one of requests/s, p99 and fan-out (None when one side is 0 or
    missing)."""
    out = dict(one)
    for key in RUN_KEYS:
        if key in two:
            out[key + SUFFIX] = two[key]
    for key, name in (("api_rps", "api_rps_ratio_2_to_1"),
                      ("api_p99_ms", "api_p99_ratio_2_to_1"),
                      ("ws_fanout_msgs_per_s", "ws_fanout_ratio_2_to_1")):
        a, b = one.get(key), two.get(key)
        ok = isinstance(a, int | float) and isinstance(b, int | float) and a > 0
        out[name] = round(float(b) / float(a), 3) if ok else None  # type: ignore[arg-type]
    return out


def api_requests_served(metrics_text: str) -> int:
    """The ``/api/v1/...`` requests a replica served, from its Prometheus ``/metrics``
    (``cc_http_requests_total``); ``/healthz`` and ``/metrics`` polls are not counted."""
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith('cc_http_requests_total{') and 'route="/api/v1/' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def requests_by_replica(urls: Mapping[str, str]) -> dict[str, int]:
    """Each replica's served ``/api/v1`` requests (the active one's count includes what the
    standby passed on to it), or -1 for a replica whose /metrics did not answer."""
    out: dict[str, int] = {}
    for name, url in urls.items():
        try:
            with urllib.request.urlopen(url + "/metrics", timeout=5) as reply:
                out[name] = api_requests_served(reply.read().decode())
        except (OSError, urllib.error.URLError):
            out[name] = -1
    return out


def _seed(files: Mapping[str, Path], agents: int) -> None:
    """The center's tenant, queue and agents in the database, a login for each."""
    from control_plane.calls.center import load_center
    from control_plane.calls.center_db import seed_of
    from control_plane.db.engine import make_engine, upgrade_schema
    from control_plane.db.repos.center_seed import seed_center

    engine = make_engine(f"sqlite:///{files['db']}")
    try:
        upgrade_schema(engine)
        ids = seed_center(engine, seed_of(load_center(files["center"])))
    finally:
        engine.dispose()
    ordered = [ids[(TENANT, f"agent{i}")] for i in range(1, agents + 1)]
    if ordered != list(range(1, agents + 1)):  # locust_api.py reads agentN as agent id N
        raise BenchSetupError(f"[bench-api.seed] agents got ids {ordered[:5]}..., not 1..N")
    add_users(f"sqlite:///{files['db']}", ordered)


def role_of(url: str) -> str:
    """``/healthz``'s ``calls`` of the replica at ``url``, or ``down``."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
            return str(json.loads(reply.read())["calls"])
    except (OSError, urllib.error.URLError, ValueError, KeyError):
        return "down"


@dataclass
class Replicas:
    """Both running replicas: API base URLs, processes, the one holding the center."""

    urls: dict[str, str]
    processes: dict[str, subprocess.Popen[str]]
    active: str

    @property
    def hosts(self) -> list[str]:
        """Every replica's base URL, the active one first."""
        return [self.urls[self.active], *(u for n, u in self.urls.items() if n != self.active)]


def _start(node: ControlPlaneNode, env: dict[str, str], *, burst: int, log: Path,
           want: str) -> subprocess.Popen[str]:
    """One replica, waited for until ``/healthz`` reports ``want``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "loadtests.bench_api_server", "--replica",
             "--burst", str(burst)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
            stderr=err, text=True, start_new_session=True)
    url = f"http://{node.address}:{node.port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    role = "down"
    while time.monotonic() < deadline and proc.poll() is None:
        role = role_of(url)
        if role == want:
            return proc
        time.sleep(0.2)
    _stop(proc)
    tail = log.read_text(errors="replace")[-1500:]
    raise BenchSetupError(f"[bench-api.replica] {node.name} at {url} is {role!r}, not "
                          f"{want!r} (exit {proc.returncode}); its log ends:\n{tail}")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def two_replicas(work: Path, *, agents: int, burst: int) -> Iterator[Replicas]:
    """Redis, the seeded database and both replicas, stopped when the block ends."""
    from tests.redis_server import redis_server

    files = {"run": (work / "replicas").resolve(), "db": (work / "replicas.sqlite").resolve(),
             "center": (work / "center.toml").resolve(),
             "topology": (work / "topology.toml").resolve()}
    files["run"].mkdir(parents=True, exist_ok=True)
    topo = replica_topology(load_topology(DEMO_TOPOLOGY), free_prefix())
    files["topology"].write_text(topo.to_toml(), encoding="utf-8")
    files["center"].write_text(center_toml(agents), encoding="utf-8")
    _seed(files, agents)
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(work / "redis"))
        procs: dict[str, subprocess.Popen[str]] = {}

        def stop_all() -> None:
            for proc in reversed(procs.values()):
                _stop(proc)
        stack.callback(stop_all)
        # cp-1 first: it takes the center's lease; cp-2 then finds it held and stands by.
        for node, want in zip(topo.control_planes, ("active", "standby"), strict=True):
            env = replica_env(node, files=files, redis_url=redis.url, inherited=os.environ)
            procs[node.name] = _start(node, env, burst=burst, want=want,
                                      log=files["run"] / f"{node.name}.log")
        yield Replicas({n.name: f"http://{n.address}:{n.port}" for n in topo.control_planes},
                       procs, active=NAMES[0])
