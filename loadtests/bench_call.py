"""``make bench-call``: the call path's capacity against a bare Kamailio in the same run.

Measured in one run, on whatever else the machine is doing (the load average is reported):
1. baseline: calls/s through a bare one-hop stateful Kamailio (bench_sip's ramp, reused);
2. calls/s through caller -> county edge -> province core -> call controller -> agent seat
   (through the city edge), ramping the offered rate until calls fail, a call never reaches
   a seat, or the p99 of a setup time crosses a bound. Setup times: INVITE -> first ring at
   the seat (SIPp logs on both sides, one clock) and INVITE -> 200 from the controller;
3. the controller's added latency: the caller's INVITE reaching a core -> the controller's
   agent INVITE reaching a core (the cores' accounting timestamps);
4. concurrent calls with two-way RTP through userspace RTPengine: every caller sends 20 ms
   packets from a socket of its own, every seat echoes them from a socket of its own
   (loadtests/rtp_peers.py); loss end to end (sent by a caller, echo back at that caller)
   over a window on the plateau, RTPengine's per-call counters for the hops between;
   the controller's RSS growth per 100 concurrent calls;
5. the ledger of the whole run (loadtests/ledger.py).

The controller runs in this process's event loop: the same `CallControllerService` the
control-plane process runs (default asyncio loop, records into chDB through the analytics
sink), with a center of its own (one queue, enough agents). The last line of output is one
JSON object; the same goes to ``loadtests/results/call-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from analytics.sink import EventSink
from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.calls.analytics_records import SinkRecords
from control_plane.calls.center import CenterConfig, parse_center
from control_plane.calls.service import CallControllerService, ControllerSettings
from control_plane.calls.session import Phase
from control_plane.db.credentials import SeatAccount
from control_plane.ivr.prompts import build_prompts
from control_plane.media.ng import NgClient
from control_plane.runtime.stack import Stack
from control_plane.runtime.supervisor import Supervisor
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import Role, Topology, load_topology
from control_plane.topology.render import REPO_ROOT
from loadtests import ledger
from loadtests.bench_rtp import (
    CALLER_RTP_BASE,
    SEAT_RTP_BASE,
    CallerGroup,
    EchoGroup,
    StreamView,
    loss_pct,
    media_rows,
    queue_overruns,
    stream_view,
)
from loadtests.bench_sip import (
    BENCH_LIMITS,
    DEMO,
    CallPath,
    Ramp,
    _bare_spec,
    _call_ramp,
    _uas_spec,
    ramp,
)
from loadtests.sippctl import (
    MIN_DELIVERED_SHARE,
    SIPP_DIR,
    StepResult,
    _rtt_ms,
    sipp_step,
    write_seats,
)

RESULTS = REPO_ROOT / "loadtests" / "results"
NUMBER = "4008000100"
MAX_P99_MS = 1000.0
MAX_RTP_LOSS_PCT = 1.0  # a level with more loss than this is past what RTPengine carries


def _center(agents: int) -> CenterConfig:
    """One tenant, one queue answered by ``agents`` agents, a number straight to it."""
    return parse_center({
        "domain": "cc.local",
        "tenant": [{"id": "bench", "skills": ["talk"], "queue": [{
            "id": "q", "skills": [{"skill": "talk", "min": 1}], "strategy": "longest-idle",
            "ring_timeout_s": 10, "pause_on_no_answer": False}]}],
        "agent": [{"tenant": "bench", "id": f"a{i:04d}", "seat": f"seat{i:04d}",
                   "skills": {"talk": 1}} for i in range(agents)],
        "route": [{"number": NUMBER, "tenant": "bench", "queue": "q"}],
    })


def write_rtp_pcap(path: Path, seconds: float) -> Path:
    """A pcap of one PCMU stream, 20 ms packets, for SIPp's play_pcap_audio."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for n in range(int(seconds * 50)):
        rtp = struct.pack("!BBHII", 0x80, 0, n & 0xFFFF, n * 160, 0xBE4C) + b"\xff" * 160
        udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0,
                                   64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
        total = sum(struct.unpack("!10H", bytes(ip)))
        total = (total & 0xFFFF) + (total >> 16)
        ip[10:12] = struct.pack("!H", ~((total & 0xFFFF) + (total >> 16)) & 0xFFFF)
        frame = b"\x00" * 12 + b"\x08\x00" + bytes(ip) + udp
        out += struct.pack("<IIII", n // 50, (n % 50) * 20000, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))
    return path


def caller_scenario(directory: Path, *, hold_ms: int, pcap: Path | None = None,
                    own_port: bool = False) -> Path:
    """``bench_caller.xml`` rendered: hold time, RTP from ``pcap`` if given, and with
    ``own_port`` an SDP port per call from the injection file's first field."""
    action = (f'<nop><action><exec play_pcap_audio="{pcap}" /></action></nop>'
              if pcap else "")
    text = (SIPP_DIR / "bench_caller.xml").read_text(encoding="utf-8")
    text = text.replace("@RTP_ACTION@", action).replace("@HOLD_MS@", str(hold_ms))
    text = text.replace("@MEDIA_PORT@", "[field0]" if own_port else "[media_port]")
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / (f"bench_caller_{hold_ms}{'_pcap' if pcap else ''}"
                       f"{'_ports' if own_port else ''}.xml")
    out.write_text(text, encoding="utf-8")
    return out


@dataclass
class Bench:
    """Everything one run shares: addresses, directories, the stack and the controller."""

    args: argparse.Namespace
    work: Path
    prefix: str
    sup: Supervisor
    topo: Topology | None = None
    service: CallControllerService | None = None
    seat_logs: Path | None = None
    echo: EchoGroup | None = None
    caller_dirs: list[Path] = field(default_factory=list)
    steps: dict[float, dict[str, float]] = field(default_factory=dict)
    prefixes: dict[float, str] = field(default_factory=dict)

    def ip(self, host: int) -> str:
        """An address of the run's loopback range."""
        return f"{self.prefix}.{host}"

    def core_dirs(self) -> list[Path]:
        """Run dirs of the province cores (their accounting files)."""
        assert self.topo is not None
        return [self.work / "tiers" / n.name for n in self.topo.by_role(Role.PROVINCE)]


def _rss_mb() -> float:
    gc.collect()  # what the calls hold, not garbage awaiting a collection
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bare_baseline(b: Bench) -> Ramp:
    """Calls/s of the bare one-hop Kamailio: bench_sip's baseline, same ramp."""
    bare_ip = b.ip(50)
    b.sup.start(_bare_spec(bare_ip, b.work / "bare"))
    agent = SeatAccount("bench", "agent00000", "cc.local", "bench")
    caller = SeatAccount("bench", "caller00000", "cc.local", "bench")
    try:
        return _call_ramp("bare calls", b.sup, b.work / "bare", CallPath(
            f"{bare_ip}:5060", f"{bare_ip}:5060", agent, caller, b.ip(60), b.ip(61)),
            seconds=b.args.seconds, cap=b.args.bare_cap)
    finally:
        b.sup.stop_all()


def start_seats(b: Bench, accounts: list[SeatAccount]) -> None:
    """Register every seat through the city edge from one address, then one SIPp answers
    for all of them there; RTP to a call's own port there is echoed (rtp_peers)."""
    assert b.topo is not None
    city, seat_ip = b.topo.node("city-1"), b.ip(60)
    rows = write_seats(b.work / "seats.csv", accounts)
    reg = sipp_step([f"{city.address}:5060", "-sf", str(SIPP_DIR / "register_only.xml"),
                     "-inf", str(rows), "-set", "expires", "3600", "-i", seat_ip],
                    100, len(accounts) / 100, b.work / "seat-reg", limit=len(accounts))
    if reg.successful != len(accounts):
        raise SystemExit(f"bench-call: {reg.successful} of {len(accounts)} seats registered")
    b.seat_logs = b.work / "seats"
    # A port per concurrent call, and some spare: SIPp hands them out in turn.
    ports = max(int(x) for x in b.args.rtp_levels.split(",")) + 100
    b.echo = EchoGroup(ip=seat_ip, base=SEAT_RTP_BASE, count=ports,
                       shards=b.args.rtp_shards, workdir=b.seat_logs)
    rows = media_rows(b.work / "seat_media.csv", base=SEAT_RTP_BASE, count=ports)
    b.sup.start(_uas_spec("seats", seat_ip, b.seat_logs, [
        "-sf", str(SIPP_DIR / "bench_seat.xml"), "-inf", str(rows), "-trace_logs",
        "-mi", seat_ip]))


def call_step(b: Bench, rate: float, counter: itertools.count[int]) -> StepResult:
    """One fixed-rate step through the full path; fails on SIPp's verdict, on a call that
    never rang a seat, or on a setup p99 over the bound."""
    assert b.topo is not None and b.seat_logs is not None
    step = next(counter)
    prefix = f"7{step:02d}0"  # fixed width: caller numbers stay unique across steps
    b.prefixes[rate] = prefix
    county = b.topo.node("county-1")
    workdir = b.work / f"calls-{step:02d}-{rate:.0f}"
    b.caller_dirs.append(workdir)
    scenario = caller_scenario(b.work, hold_ms=b.args.hold_ms, pcap=None)
    result = sipp_step([f"{county.address}:5060", "-sf", str(scenario), "-s", NUMBER,
                        "-i", b.ip(61), "-key", "caller_prefix", prefix, "-trace_logs"],
                       rate, b.args.seconds, workdir, patience=30 + b.args.hold_ms / 1000)
    time.sleep(1.0)  # the last seats' log lines
    placed = [p for p in ledger.sipp_placed(workdir.glob("*_logs.log")).values()]
    rings = [r for r in ledger.read_sipp_logs(b.seat_logs.glob("*_logs.log"), "ring")
             if r.user.startswith(prefix)]
    setups = list(ledger.setup_ms(placed, rings).values())
    answers = _rtt_ms(workdir)
    figures = {"placed": len(placed), "rang": len(setups),
               "ring_p50_ms": ledger.percentile(setups, 0.5),
               "ring_p99_ms": ledger.percentile(setups, 0.99),
               "answer_p50_ms": ledger.percentile(answers, 0.5),
               "answer_p99_ms": ledger.percentile(answers, 0.99)}
    b.steps[rate] = figures
    # SIPp's elapsed time includes the hold of the last calls: the delivered rate is the
    # one at which INVITEs really left.
    times = sorted(p.at for p in placed)
    span = times[-1] - times[0] + 1 / rate if times else 0.0
    achieved = round(result.successful / span, 1) if span > 0 else 0.0
    reason = result.reason
    if reason.startswith("only") and achieved >= rate * MIN_DELIVERED_SHARE:
        reason = ""
    if not reason and len(setups) < len(placed):
        reason = f"{len(placed) - len(setups)} calls never rang a seat"
    elif not reason and max(figures["ring_p99_ms"], figures["answer_p99_ms"]) > b.args.p99_ms:
        reason = (f"setup p99 {figures['ring_p99_ms']:.0f} ms to ring, "
                  f"{figures['answer_p99_ms']:.0f} ms to 200")
    print(f"    ring p50 {figures['ring_p50_ms']:.1f} ms p99 {figures['ring_p99_ms']:.1f} ms, "
          f"200 p99 {figures['answer_p99_ms']:.1f} ms, {len(setups)}/{len(placed)} rang"
          + (f"  FAIL ({reason})" if reason and result.passed else ""), flush=True)
    return replace(result, achieved=min(achieved, result.rate), passed=not reason,
                   reason=reason)


async def _wait_for(done: Callable[[], bool], within: float) -> None:
    """Poll ``done`` (state of other processes and of the controller: no event to await)
    for up to ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not done() and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.5)


async def _views(ng: NgClient, calls: list[tuple[str, str, str]], errors: list[str],
                 ) -> dict[str, tuple[StreamView, StreamView]]:
    """RTPengine's caller-facing and seat-facing streams of each call."""
    out: dict[str, tuple[StreamView, StreamView]] = {}
    for call_id, caller_tag, far_tag in calls:
        try:
            raw = (await ng.query(call_id=call_id)).raw
        except Exception as exc:  # counted and shown: a query RTPengine did not answer
            errors.append(str(exc))
            continue
        caller, seat = stream_view(raw, caller_tag), stream_view(raw, far_tag)
        if caller and seat:
            out[call_id] = (caller, seat)
    return out


async def rtp_plateau(b: Bench, ng: NgClient, target: int, prefix: str) -> dict[str, object]:
    """Ramp up to ``target`` concurrent calls, start every caller's RTP, then count over a
    window on the plateau: sent by the callers, in at RTPengine from them, in at the seats,
    in at RTPengine from the seats, back at the callers."""
    assert b.topo is not None and b.service is not None and b.echo is not None
    args, sessions, rtp = b.args, b.service.controller.sessions, b.topo.rtpengine
    ramp_s = target / args.rtp_rate
    hold_ms = int((ramp_s + args.window + 40) * 1000)
    workdir = b.work / f"rtp-calls-{target}"
    rows = media_rows(workdir / "caller_media.csv", base=CALLER_RTP_BASE, count=target)
    scenario = caller_scenario(b.work, hold_ms=hold_ms, own_port=True)
    b.caller_dirs.append(workdir)
    caller = await asyncio.to_thread(CallerGroup, ip=b.ip(62), base=CALLER_RTP_BASE,
                                     count=target, shards=args.rtp_shards, workdir=workdir)
    county = b.topo.node("county-1")
    rss_before = _rss_mb()
    proc = await asyncio.to_thread(
        subprocess.Popen,
        ["sipp", f"{county.address}:5060", "-sf", str(scenario), "-s", NUMBER, "-i", b.ip(62),
         "-p", "5060", "-mi", b.ip(62), "-inf", str(rows), "-r", str(args.rtp_rate),
         "-m", str(target), "-l", str(target), "-key", "caller_prefix", prefix, "-trace_logs",
         "-trace_stat", "-stf", str(workdir / "stat.csv"), "-trace_err", "-error_file",
         str(workdir / "errors.log"), "-nostdin", "-timeout", f"{hold_ms // 1000 + 60}s"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def connected() -> list[tuple[str, str, str]]:
        return [(s.call_id, s.caller_tag, s.far_tag) for s in list(sessions.values())
                if s.phase is Phase.CONNECTED]

    await _wait_for(lambda: len(connected()) >= target, ramp_s + 20)
    calls = connected()
    errors: list[str] = []
    echo_first = await asyncio.to_thread(b.echo.report)
    rtp_log = b.work / "tiers" / rtp.name / "rtpengine.log"
    overruns_first = queue_overruns(rtp_log)
    for caller_side, _ in (await _views(ng, calls, errors)).values():
        await asyncio.to_thread(caller.send, caller_side.peer_port,
                                (rtp.address, caller_side.local_port))
    await asyncio.sleep(3.0)  # media flowing on every call, the latching done
    rss_plateau, load = _rss_mb(), os.getloadavg()[0]
    await asyncio.to_thread(caller.mark)
    await asyncio.sleep(args.window)
    ends = await asyncio.to_thread(caller.stop)  # returns once the last echoes are in
    await asyncio.to_thread(caller.close)
    # The hops in between, over the streams' whole life (the window's edges cannot be
    # placed in RTPengine's counters): every packet is counted at every hop.
    views = await _views(ng, calls, errors)
    echo_last = await asyncio.to_thread(b.echo.report)
    overruns = [n - m for n, m in zip(queue_overruns(rtp_log), overruns_first, strict=True)]
    hops = {"sent": ends["sent"], "in_from_callers": sum(c.packets for c, _ in views.values()),
            "at_seats": echo_last["received"] - echo_first["received"],
            "echoed": echo_last["echoed"] - echo_first["echoed"],
            "in_from_seats": sum(s.packets for _, s in views.values()),
            "back": ends["received"]}
    await asyncio.to_thread(proc.wait, hold_ms / 1000 + 90)
    per_100 = (rss_plateau - rss_before) / len(calls) * 100 if calls else 0.0
    print(f"  rtp plateau    target {target}: {len(calls)} connected, {ends['two_way']} with "
          f"two-way RTP ({ends['window_pps_per_stream']} packets/s each); {len(errors)} queries "
          f"failed{(' (' + errors[0] + ')') if errors else ''}; {args.window:.0f} s window: "
          f"{ends['window_sent']} sent, {ends['window_received']} back ({ends['loss_pct']}% "
          f"lost, {ends['streams_with_loss']} calls lost some); hops over the streams' life: "
          + " -> ".join(f"{k} {v}" for k, v in hops.items())
          + f"; RTPengine queue overruns {overruns[0]}, reads refused {overruns[1]}"
          + f"; controller RSS {rss_before:.0f} -> {rss_plateau:.0f} MB; load {load:.2f}",
          flush=True)
    return {"target": target, "concurrent_connected": len(calls),
            "concurrent_rtp_calls": ends["two_way"], "ng_query_failures": len(errors),
            "rtp_window_pps_per_call": ends["window_pps_per_stream"],
            "rtp_packets_sent": ends["window_sent"],
            "rtp_packets_back": ends["window_received"],
            "rtp_packets_back_extra": ends["window_extra"],
            "rtp_strays": ends["strays"],
            "rtp_loss_pct": ends["loss_pct"],
            "rtp_hops": hops,
            "rtp_loss_hop_pct": {
                "caller_to_rtpengine": loss_pct(hops["sent"], hops["in_from_callers"]),
                "rtpengine_to_seat": loss_pct(hops["in_from_callers"], hops["at_seats"]),
                "seat_to_rtpengine": loss_pct(hops["echoed"], hops["in_from_seats"]),
                "rtpengine_to_caller": loss_pct(hops["in_from_seats"], hops["back"])},
            "rtp_calls_with_loss": ends["streams_with_loss"],
            "rtp_lost_by_second": ends["lost_by_second"],
            "rtpengine_queue_overruns": overruns[0], "rtpengine_reads_refused": overruns[1],
            "rtp_worst_calls": ends["worst"],
            "rtp_caller_skipped_ticks": ends["skipped_ticks"],
            "controller_rss_mb_before": round(rss_before, 1),
            "controller_rss_mb_plateau": round(rss_plateau, 1),
            "controller_rss_mb_per_100_calls": round(per_100, 2),
            "loadavg_1m_plateau": round(load, 2)}


async def _drain(b: Bench, within: float) -> None:
    assert b.service is not None
    sessions = b.service.controller.sessions
    await _wait_for(lambda: not sessions, within)


def _num(level: dict[str, object], key: str) -> float:
    return float(str(level[key]))


def _lossy(level: dict[str, object]) -> bool:
    return _num(level, "rtp_loss_pct") > MAX_RTP_LOSS_PCT


def _best(r: Ramp) -> StepResult | None:
    passed = [s for s in r.steps if s.passed]
    return max(passed, key=lambda s: s.achieved) if passed else None


async def measure(b: Bench) -> dict[str, object]:
    """Everything after the baseline: the stack, the controller, the ramps, the ledger."""
    args = b.args
    topo = load_topology(DEMO).relocated(b.prefix)
    rtp = topo.rtpengine
    # Four ports per call (RTP + RTCP on both sides): the demo's 1,000 hold 250 calls.
    b.topo = topo = replace(topo, limits=BENCH_LIMITS,
                            rtpengine=replace(rtp, port_max=rtp.port_min + 5999))
    stack = Stack(topo, b.work / "tiers", supervisor=b.sup, control_plane=False)
    await asyncio.to_thread(stack.start)
    accounts = [SeatAccount("bench", f"seat{i:04d}", "cc.local", "bench-pw")
                for i in range(args.agents)]
    stack.add_seats(accounts)
    await asyncio.to_thread(start_seats, b, accounts)
    prompts = build_prompts(REPO_ROOT / "var" / "prompts")
    backend = ChdbBackend(b.work / "chdb", database="bench")
    sink = EventSink(backend, b.work / "spool")
    await sink.start()
    b.service = CallControllerService(
        topology=topo, center=_center(args.agents), prompts=prompts,
        records=SinkRecords(sink), settings=ControllerSettings(max_calls=args.max_calls))
    await b.service.start()
    ng = NgClient((rtp.address, rtp.ng_port), timeout=1.0, retries=2)
    await ng.start()
    try:
        await asyncio.sleep(8.0)  # the cores' probes see the controller up
        counter = itertools.count(1)
        calls = await asyncio.to_thread(ramp, "call path", lambda r: call_step(b, r, counter),
                                        args.start, args.cap)
        await _drain(b, 30)
        levels = []
        for n, target in enumerate(int(x) for x in args.rtp_levels.split(",")):
            levels.append(await rtp_plateau(b, ng, target, f"8{n:02d}0"))
            await _drain(b, 60)
            if _lossy(levels[-1]) or _num(levels[-1], "concurrent_rtp_calls") \
                    < target * MIN_DELIVERED_SHARE:
                break
        good = [lv for lv in levels if not _lossy(lv)] or levels[:1]
        best_level = max(good, key=lambda lv: _num(lv, "concurrent_rtp_calls"))
        figures: dict[str, object] = {**best_level, "rtp_levels": levels}
        await sink.flush()
        cdrs = [ledger.CdrRow(str(c), str(h), int(str(s)), str(q), str(a))
                for c, h, s, q, a in backend.query(
                    "SELECT call_id, hangup_cause, sip_code, queue, agent FROM bench.cdr FINAL")]
    finally:
        ng.close()
        if b.echo is not None:
            await asyncio.to_thread(b.echo.close)
        await b.service.stop()
        await sink.close()
        backend.close()
    await asyncio.sleep(2.0)  # the last BYEs' answers in the accounting
    placed = ledger.sipp_placed(p for d in b.caller_dirs for p in d.glob("*_logs.log"))
    acc = ledger.read_acc(b.core_dirs())
    report = ledger.reconcile(placed, acc, cdrs)
    best = _best(calls)
    step = b.steps.get(best.rate, {}) if best else {}
    prefix = b.prefixes.get(best.rate, "-") if best else "-"
    added = ledger.controller_added_ms([r for r in acc if r.src_user.startswith(prefix)],
                                       [topo.control_plane.address])
    return {
        "call_cps": round(best.achieved, 1) if best else 0.0,
        "setup_p50_ms": round(step.get("ring_p50_ms", 0.0), 1),
        "setup_p99_ms": round(step.get("ring_p99_ms", 0.0), 1),
        "answer_p99_ms": round(step.get("answer_p99_ms", 0.0), 1),
        "controller_added_p50_ms": round(ledger.percentile(added, 0.5), 1),
        "controller_added_p99_ms": round(ledger.percentile(added, 0.99), 1),
        **figures,
        "ledger_placed": report.placed, "ledger_in_acc": report.in_acc,
        "ledger_in_cdr": report.in_cdr, "ledger_refused": report.refused,
        "ledger_lost": report.lost,
        "ledger_duplicated": report.duplicated, "ledger_mismatched": report.mismatched,
        "ledger": report.summary(),
        "call_steps": [{**asdict(s), **b.steps.get(s.rate, {})} for s in calls.steps],
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    """Run every measurement once; return the figures."""
    work = Path(tempfile.mkdtemp(prefix="cc-bcall-", dir="/tmp"))
    b = Bench(args, work, free_prefix(hosts=80), Supervisor(ready_timeout=30))
    load_start = os.getloadavg()[0]
    print(f"bench-call on {os.cpu_count()} cores, load {load_start:.2f}, steps of "
          f"{args.seconds:.0f} s, calls held {args.hold_ms} ms", flush=True)
    try:
        bare = await asyncio.to_thread(bare_baseline, b)
        figures = await measure(b)
    finally:
        if b.echo is not None:
            b.echo.close()
        b.sup.stop_all()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    call_cps = float(str(figures["call_cps"]))
    return {
        "bare_cps": round(bare.best, 1),
        "call_cps_ratio": round(call_cps / bare.best, 4) if bare.best else 0.0,
        **figures,
        "controller": "in-process: CallControllerService in the benchmark's event loop "
                      "(default asyncio), records through the analytics sink into chDB",
        "agents": args.agents, "hold_ms": args.hold_ms, "step_seconds": args.seconds,
        "cores": os.cpu_count(), "loadavg_1m_start": round(load_start, 2),
        "loadavg_1m_end": round(os.getloadavg()[0], 2),
        "bare_steps": [asdict(s) for s in bare.steps],
    }


def main() -> None:
    """Entry point: ``python -m loadtests.bench_call [--seconds S] [--rtp-calls N] ...``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--start", type=float, default=10.0, help="first calls/s offered")
    parser.add_argument("--cap", type=float, default=640.0, help="highest calls/s offered")
    parser.add_argument("--bare-cap", type=float, default=6400.0)
    parser.add_argument("--hold-ms", type=int, default=1000, help="caller stays after 200")
    parser.add_argument("--p99-ms", type=float, default=MAX_P99_MS, help="setup p99 bound")
    parser.add_argument("--agents", type=int, default=340)
    parser.add_argument("--max-calls", type=int, default=2000)
    parser.add_argument("--rtp-levels", default="100,200,300",
                        help="concurrent two-way RTP calls to try, in order (target 300)")
    parser.add_argument("--rtp-rate", type=float, default=20.0, help="calls/s to get there")
    parser.add_argument("--window", type=float, default=10.0, help="RTP counting window, s")
    parser.add_argument("--rtp-shards", type=int, default=2,
                        help="processes the callers' RTP is split over, and the seats' echo")
    args = parser.parse_args()
    figures = asyncio.run(run(args))
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"call-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=2))
    print(f"results: {path}")
    print(f"  bare one-hop proxy: {figures['bare_cps']} calls/s; full call path: "
          f"{figures['call_cps']} calls/s (x{figures['call_cps_ratio']}), setup p99 "
          f"{figures['setup_p99_ms']} ms to ring; load {figures['loadavg_1m_start']} -> "
          f"{figures['loadavg_1m_end']} on {figures['cores']} cores")
    summary = {k: v for k, v in figures.items()
               if k not in ("call_steps", "bare_steps", "ledger")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
