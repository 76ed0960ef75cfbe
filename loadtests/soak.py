"""``make soak``: mixed traffic for SOAK_MINUTES at half the measured maximum, then the
no-call-lost ledger and the memory of every daemon.

The stack: the Kamailio tiers and RTPengine of the demo topology (``Stack`` without the
control-plane daemon) and the call controller **in this process**, as ``bench_call`` runs
it (the same ``CallControllerService``, records through the analytics sink into chDB), so
its CDRs can be read back for the ledger. The traffic (``loadtests/soak_traffic.py``):
callers walking the IVR with RFC 4733 digits and talking (RTP both ways: the agents'
phones echo it), callers abandoning in the queue while an agent's phone rings, agents'
phones answering after a ring delay, talking and hanging up.

The rate is half the ``call_cps`` of the newest ``loadtests/results/call-*.json`` (the last
``make bench-call``), or ``DEFAULT_RATE`` calls/s when there is none; ``--rate`` overrides.
Memory is sampled after a warm-up and at the end of the traffic (and every 30 s between,
for the trend). After the last call: the ledger (``loadtests/ledger.py``: placed calls =
calls in the cores' accounting = calls with one terminal CDR).

The last line of output is one JSON object (``minutes``, ``calls_placed``,
``calls_in_acc``, ``calls_in_cdr``, ``lost``, ``duplicated``, ``rss_growth_pct`` per daemon,
...); the same goes to ``loadtests/results/soak-<timestamp>.json``. The exit status is 1 on
any lost or duplicated call or a daemon whose memory grew more than ``MAX_GROWTH_PCT``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from analytics.sink import EventSink
from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.service import CallControllerService, ControllerSettings
from control_plane.db.credentials import SeatAccount
from control_plane.ivr.prompts import build_prompts
from control_plane.runtime.stack import Stack
from control_plane.runtime.supervisor import Supervisor
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import Role, load_topology
from control_plane.topology.render import REPO_ROOT
from loadtests import ledger, soak_memory, soak_traffic
from loadtests.bench_sip import BENCH_LIMITS, DEMO, _uas_spec
from loadtests.sippctl import SIPP_DIR, sipp_step, write_seats

RESULTS = REPO_ROOT / "loadtests" / "results"
DEFAULT_RATE = 4.0  # calls/s when no bench-call result exists: safe on 2 shared cores
MAX_GROWTH_PCT = 5.0
SAMPLE_EVERY_S = 30.0


def measured_rate(results: Path) -> tuple[float, str]:
    """Half the ``call_cps`` of the newest readable bench-call result and where it came
    from; the conservative default when there is none or it sustained no rate at all."""
    for path in sorted(results.glob("call-*.json"), reverse=True):
        try:
            cps = float(json.loads(path.read_text())["call_cps"])
        except (ValueError, KeyError, TypeError):
            continue  # a broken or partial result file: the one before it is the last
        if cps > 0:
            return round(cps / 2, 2), f"half of call_cps {cps} in {path.name}"
        return DEFAULT_RATE, f"{path.name} sustained no rate (call_cps 0): default"
    return DEFAULT_RATE, f"no bench-call result in {results}: conservative default"


def warm_up_s(seconds: float) -> float:
    """Time before the first memory sample: every kind of call has completed at least
    once and the controller's pools have filled (20 % of the soak, 45-120 s)."""
    return max(45.0, min(120.0, 0.2 * seconds))


class Soak:
    """One soak run: the stack, the controller, the phones and the callers."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        self.prefix = free_prefix(hosts=80)
        self.sup = Supervisor(ready_timeout=30)
        topo = load_topology(DEMO).relocated(self.prefix)
        rtp = topo.rtpengine
        # Four ports per call (RTP + RTCP on both sides), as bench_call sizes them.
        self.topo = replace(topo, limits=BENCH_LIMITS,
                            rtpengine=replace(rtp, port_max=rtp.port_min + 5999))
        self.stack = Stack(self.topo, work / "tiers", supervisor=self.sup,
                           control_plane=False)
        self.caller_dirs: list[Path] = []

    def ip(self, host: int) -> str:
        """An address of the run's loopback range."""
        return f"{self.prefix}.{host}"

    def daemons(self) -> dict[str, int]:
        """``{name: main pid}`` of every daemon whose memory is watched."""
        out = {d.spec.name: d.pid for d in self.sup.daemons
               if d.spec.kind in ("kamailio", "rtpengine")}
        out["control-plane"] = os.getpid()
        return out

    def start_phones(self, agents: int) -> None:
        """Register every agent's seat through the city edge from one address; one SIPp
        answers all of their calls there."""
        accounts = [SeatAccount("soak", f"soak{i:04d}", "cc.local", "soak-pw")
                    for i in range(agents)]
        self.stack.add_seats(accounts)
        city, seat_ip = self.topo.node("city-1"), self.ip(60)
        rows = write_seats(self.work / "seats.csv", accounts)
        expires = max(3600, int(self.args.minutes * 60) + 900)
        reg = sipp_step([f"{city.address}:5060", "-sf", str(SIPP_DIR / "register_only.xml"),
                         "-inf", str(rows), "-set", "expires", str(expires), "-i", seat_ip],
                        50, agents / 50, self.work / "seat-reg", limit=agents)
        if reg.successful != agents:
            raise SystemExit(f"SOAK_SEATS_NOT_REGISTERED: {reg.successful} of {agents}")
        scenario = soak_traffic.seat_scenario(self.work)
        self.sup.start(_uas_spec("phones", seat_ip, self.work / "phones", [
            "-sf", str(scenario), "-rtp_echo", "-mi", seat_ip]))

    async def traffic(self, rate: float) -> dict[str, Any]:
        """Run the callers for the soak's length; sample memory on the way."""
        seconds = self.args.minutes * 60
        county = self.topo.node("county-1")
        procs = []
        for n, kind in enumerate(soak_traffic.MIX):
            workdir = self.work / f"callers-{kind.name}"
            workdir.mkdir(parents=True, exist_ok=True)
            self.caller_dirs.append(workdir)
            procs.append(soak_traffic.start_caller(
                kind, target=f"{county.address}:5060", ip=self.ip(61 + n), rate=rate,
                seconds=seconds, workdir=workdir))
        start = time.monotonic()
        warm = warm_up_s(seconds)
        samples: list[dict[str, Any]] = []
        first: dict[str, Any] | None = None
        while (elapsed := time.monotonic() - start) < seconds - 2:
            await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.5, seconds - 2 - elapsed)))
            elapsed = time.monotonic() - start
            mem = soak_memory.sample(self.daemons())
            samples.append({"t_s": round(elapsed), "load": round(os.getloadavg()[0], 2),
                            "memory": mem})
            if first is None and elapsed >= warm:
                first = samples[-1]
            print(f"  soak {elapsed:5.0f} s  load {samples[-1]['load']:.2f}  " + "  ".join(
                f"{k} {v['pss_mb']:.0f}" for k, v in mem.items()) + " MB (PSS)", flush=True)
        end = samples[-1]
        if first is None or first is end:
            raise SystemExit(f"SOAK_TOO_SHORT: {self.args.minutes} min leaves no time after "
                             f"the {warm:.0f} s warm-up for a second memory sample")
        for proc in procs:
            await asyncio.to_thread(proc.wait, soak_traffic.longest_call_s() + 150)
        return {"warm": first, "end": end, "samples": samples,
                "callers_exit": {k.name: p.returncode for k, p in zip(
                    soak_traffic.MIX, procs, strict=True)}}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole soak (see the module docstring); returns its figures."""
    rate, rate_from = (args.rate, "--rate") if args.rate else measured_rate(RESULTS)
    agents = args.agents or max(20, int(rate * 10))
    work = Path(tempfile.mkdtemp(prefix="cc-soak-", dir="/tmp"))
    soak = Soak(args, work)
    load_start = [round(x, 2) for x in os.getloadavg()]
    print(f"soak: {args.minutes} min at {rate} calls/s ({rate_from}), {agents} agents, "
          f"on {os.cpu_count()} cores, load {load_start}", flush=True)
    try:
        await asyncio.to_thread(soak.stack.start)
        prompts = build_prompts(REPO_ROOT / "var" / "prompts")
        backend = ChdbBackend(work / "chdb", database="soak")
        sink = EventSink(backend, work / "spool")
        await sink.start()
        service = CallControllerService(
            topology=soak.topo, center=soak_traffic.center(agents, prompts.names()),
            prompts=prompts, records=SinkRecords(sink),
            settings=ControllerSettings(max_calls=args.max_calls))
        await service.start()
        try:
            await asyncio.to_thread(soak.start_phones, agents)
            await asyncio.sleep(8.0)  # the cores' probes see the controller up
            memory = await soak.traffic(rate)
            sessions = service.controller.sessions
            deadline = time.monotonic() + 60
            while sessions and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.5)  # no event to await: the controller's own state
            left_open = len(sessions)
            await sink.flush()
            cdrs = [ledger.CdrRow(str(c), str(h), int(str(s)), str(q), str(a))
                    for c, h, s, q, a in backend.query(
                        "SELECT call_id, hangup_cause, sip_code, queue, agent "
                        "FROM soak.cdr FINAL")]
        finally:
            await service.stop()
            await sink.close()
            backend.close()
        await asyncio.sleep(3.0)  # the last BYEs' answers in the cores' accounting
        placed = ledger.sipp_placed(p for d in soak.caller_dirs for p in d.glob("*_logs.log"))
        acc = ledger.read_acc(work / "tiers" / n.name for n in soak.topo.by_role(Role.PROVINCE))
        report = ledger.reconcile(placed, acc, cdrs)
    finally:
        soak.sup.stop_all()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    kinds = {k.prefix: k.name for k in soak_traffic.MIX}
    by_kind = Counter(kinds.get(p.user[:2], "?") for p in placed.values())
    outcomes = Counter("answered" if c.agent else ("abandoned_in_queue" if c.queue
                                                    else "ended_in_ivr") for c in cdrs)
    warm, end = memory["warm"]["memory"], memory["end"]["memory"]
    return {
        "minutes": args.minutes, "rate_cps": rate, "rate_from": rate_from, "agents": agents,
        "calls_placed": report.placed, "calls_in_acc": report.in_acc,
        "calls_in_cdr": report.in_cdr, "lost": report.lost, "duplicated": report.duplicated,
        "refused": report.refused, "mismatched": report.mismatched,
        "answered_without_bye": report.answered_without_bye,
        "sessions_left_open": left_open,
        "rss_growth_pct": soak_memory.growth_pct(warm, end, "rss_mb"),
        "pss_growth_pct": soak_memory.growth_pct(warm, end, "pss_mb"),
        "memory_warm": warm, "memory_end": end,
        "memory_warm_at_s": memory["warm"]["t_s"], "memory_end_at_s": memory["end"]["t_s"],
        "placed_by_kind": dict(by_kind), "cdr_outcomes": dict(outcomes),
        "hangup_causes": dict(Counter(c.hangup_cause for c in cdrs)),
        "callers_exit": memory["callers_exit"],
        "controller": "in-process CallControllerService (as bench_call), records through "
                      "the analytics sink into chDB",
        "cores": os.cpu_count(), "loadavg_start": load_start,
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "ledger": report.summary(),
        "memory_samples": [{"t_s": s["t_s"], "load": s["load"],
                            **{k: v["pss_mb"] for k, v in s["memory"].items()}}
                           for s in memory["samples"]],
    }


def verdict(figures: dict[str, Any]) -> list[str]:
    """Why the soak failed (empty: it passed)."""
    why = []
    if figures["lost"] or figures["duplicated"]:
        why.append(f"SOAK_LEDGER: {figures['lost']} lost, {figures['duplicated']} duplicated")
    if figures["calls_placed"] == 0:
        why.append("SOAK_NO_CALLS: the load generators placed no call")
    grown = {k: v for k, v in figures["rss_growth_pct"].items() if v > MAX_GROWTH_PCT}
    if grown:
        why.append(f"SOAK_MEMORY_GROWTH: over {MAX_GROWTH_PCT} % after warm-up: {grown}")
    return why


def main() -> int:
    """Entry point: ``python -m loadtests.soak [--minutes M] [--rate R] [--agents N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="calls/s (default: half the last bench-call call_cps)")
    parser.add_argument("--agents", type=int, default=0, help="default: 10 per call/s")
    parser.add_argument("--max-calls", type=int, default=2000)
    args = parser.parse_args()
    if args.minutes <= 0 or args.rate < 0:
        parser.error("SOAK_BAD_ARGS: --minutes must be > 0 and --rate >= 0")
    figures = asyncio.run(run(args))
    failures = verdict(figures)
    figures["failures"] = failures
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"soak-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=2))
    print(f"results: {path}")
    for line in failures:
        print(f"FAILED {line}")
    print(json.dumps({k: v for k, v in figures.items()
                      if k not in ("ledger", "memory_samples", "memory_warm", "memory_end")}))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
