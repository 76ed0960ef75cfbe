"""API benchmark: requests/s and p99 of the agent-state and live-statistics endpoints under
locust, and the live socket's fan-out rate, against one control-plane process and then
against two replicas of one center on Redis.

1. ``loadtests.bench_api_server`` starts the real application (SQLite, an in-process ACD
   engine) in its own process.
2. locust (headless, in its own process) runs ``loadtests/locust_api.py``: agents read
   their state, pause and go ready, read their figures; supervisors read the queue figures.
   ``api_rps`` and ``api_p99_ms`` are locust's aggregate over every request but the logins.
3. ``SUBSCRIBERS`` WebSocket clients (this process, aiohttp) subscribe to the CTI channel;
   the server publishes ``BURST`` events on its bus; ``ws_fanout_msgs_per_s`` is the event
   messages delivered to all clients over the time from the signal to the last one
   received (events dropped for lag are counted apart, in ``ws_lagged``).
4. The same again against two replicas (``loadtests.bench_api_replicas``): a real
   redis-server, ``cp-1`` holding the center (its controller's ACD, journaled to Redis),
   ``cp-2`` standing by and passing the center's routes on to ``cp-1``. Locust users are
   spread over both (``BENCH_API_HOSTS``, one replica per user in turn); the fan-out is
   measured on ``cp-1``, where the center's events are published. Those figures are the
   same keys with ``_2_replicas`` appended, with ``api_rps_ratio_2_to_1``,
   ``api_p99_ratio_2_to_1`` and ``ws_fanout_ratio_2_to_1`` (two replicas / one process).
   ``replicas`` is ``[1, 2]``: the process counts measured, in that order.

``--replicas 1`` measures the one process only (``replicas`` is then 1, no ``_2_replicas``
keys). Run with ``python -m loadtests.bench_api`` (or ``make bench-api``); the last line is
JSON, also written to ``loadtests/results/api-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from loadtests.bench_api_hosts import HOSTS_ENV
from loadtests.bench_api_replicas import combine, requests_by_replica, two_replicas

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "loadtests" / "results"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(db: str, port: int, agents: int, burst: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtests.bench_api_server", "--db", db, "--port", str(port),
         "--agents", str(agents), "--burst", str(burst)],
        cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if line.strip() == "ready":
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("bench-api: the control plane did not start")


def _locust(hosts: list[str], users: int, seconds: int, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / "api"
    env = {**os.environ, HOSTS_ENV: ",".join(hosts)}
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "loadtests" / "locust_api.py"),
         "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--host", hosts[0], "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
        # Not check=True: locust exits 1 when any request failed, and failures are a
        # figure of their own (api_failures); no statistics at all is the error.
        cwd=REPO, check=False, stdout=subprocess.DEVNULL, env=env)
    stats = out / "api_stats.csv"
    if not stats.exists():
        raise SystemExit(f"bench-api: locust wrote no statistics ({stats})")
    rows = list(csv.DictReader(stats.open()))
    work = [r for r in rows if r["Name"] not in ("Aggregated", "/api/v1/auth/login")]
    count = sum(int(r["Request Count"]) for r in work)
    failures = sum(int(r["Failure Count"]) for r in work)
    rps = sum(float(r["Requests/s"]) for r in work)
    # The aggregate p99 without the logins: the worst per-endpoint p99 weighted is not a
    # p99; locust's aggregate row includes the few logins, which do not move its 99th.
    agg = next(r for r in rows if r["Name"] == "Aggregated")
    return {"api_rps": round(rps, 1), "api_p99_ms": float(agg["99%"]),
            "api_p50_ms": float(agg["50%"]), "api_requests": count,
            "api_failures": failures,
            "per_endpoint": {r["Name"]: {"rps": round(float(r["Requests/s"]), 1),
                                         "p99_ms": float(r["99%"])} for r in work}}


async def _fanout(url: str, server: subprocess.Popen[str], subscribers: int,
                  burst: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.post(url + "/api/v1/auth/login", json={
                "tenant": "bench", "username": "sup", "password": "bench"}) as resp:
            token = (await resp.json())["token"]
        sockets = [await http.ws_connect(url + "/api/v1/ws",
                                         headers={"Authorization": f"Bearer {token}"})
                   for _ in range(subscribers)]
        for ws in sockets:
            await ws.receive_json()  # hello
            await ws.send_json({"type": "subscribe", "channel": "cti",
                                "kinds": ["call.queued"]})
            assert (await ws.receive_json())["type"] == "subscribed"
        received = [0] * subscribers
        lagged = [0] * subscribers
        last = [0.0] * subscribers

        async def drain(i: int, ws: aiohttp.ClientWebSocketResponse) -> None:
            while received[i] + lagged[i] < burst:
                msg = await ws.receive(timeout=30)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    return
                doc = json.loads(msg.data)
                if doc["type"] == "event":
                    received[i] += 1
                elif doc["type"] == "lagged":
                    lagged[i] += doc["dropped"]
                last[i] = time.perf_counter()

        tasks = [asyncio.create_task(drain(i, ws)) for i, ws in enumerate(sockets)]
        start = time.perf_counter()
        server.send_signal(signal.SIGUSR1)
        await asyncio.gather(*tasks, return_exceptions=True)
        elapsed = max(last) - start
        for ws in sockets:
            await ws.close()
    delivered = sum(received)
    return {"ws_fanout_msgs_per_s": round(delivered / elapsed, 1) if elapsed > 0 else 0.0,
            "ws_subscribers": subscribers, "ws_burst_events": burst,
            "ws_delivered": delivered, "ws_lagged": sum(lagged),
            "ws_elapsed_s": round(elapsed, 3)}


def _one_process(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Locust and the fan-out against one process (in-process ACD, no Redis)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _start_server(f"sqlite:///{out / 'bench.sqlite'}", port,
                           agents=args.users + 10, burst=args.burst)
    try:
        api = _locust([url], args.users, args.seconds, out / "one")
        _say("1 process", api)
        ws = asyncio.run(_fanout(url, server, args.subscribers, args.burst))
        _say_ws("1 process", ws, args.subscribers)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return {**api, **ws}


def _two_replicas(args: argparse.Namespace, out: Path) -> dict[str, Any]:
    """Locust spread over both replicas, the fan-out on the one holding the center."""
    with two_replicas(out / "two", agents=args.users + 10, burst=args.burst) as pair:
        api = _locust(pair.hosts, args.users, args.seconds, out / "two" / "locust")
        # Evidence of the spread: what each replica served (cp-1's count includes cp-2's
        # forwards and the logins' database reads are each replica's own).
        api["api_requests_by_replica"] = requests_by_replica(pair.urls)
        _say("2 replicas", api)
        ws = asyncio.run(_fanout(pair.urls[pair.active], pair.processes[pair.active],
                                 args.subscribers, args.burst))
        _say_ws("2 replicas", ws, args.subscribers)
    return {**api, **ws}


def _say(what: str, api: dict[str, Any]) -> None:
    print(f"api ({what}): {api['api_rps']} req/s, p99 {api['api_p99_ms']} ms, "
          f"{api['api_failures']} failures", flush=True)


def _say_ws(what: str, ws: dict[str, Any], subscribers: int) -> None:
    print(f"ws ({what}): {ws['ws_fanout_msgs_per_s']} msgs/s to {subscribers} sockets, "
          f"{ws['ws_lagged']} lagged", flush=True)


def main() -> None:
    """Run the benchmark (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--replicas", type=int, choices=(1, 2), default=2,
                        help="2 (default): one process, then two replicas on Redis")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory(prefix="cc-bench-api-") as tmp:
        one = _one_process(args, Path(tmp))
        result: dict[str, Any] = dict(one)
        if args.replicas == 2:
            result = combine(one, _two_replicas(args, Path(tmp)))
    result.update({"replicas": [1, 2] if args.replicas == 2 else 1,
                   "locust_users": args.users, "seconds": args.seconds,
                   "cpus": os.cpu_count(),
                   # The machine is shared: the load says how far to trust the figures.
                   "load_avg_1m_before": load_before,
                   "load_avg_1m": round(os.getloadavg()[0], 2)})
    RESULTS.mkdir(parents=True, exist_ok=True)
    line = json.dumps(result)
    (RESULTS / f"api-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
