"""``make bench-sip``: SIP capacity of the tiers against a bare Kamailio in the same run.

Measured here, each by ramping the offered rate until calls fail or setup time runs away:
- baseline: a bare one-hop stateful Kamailio (``loadtests/kamailio/bare.cfg``): calls/s
  between two SIPp peers, and REGISTER/s with a digest challenge;
- tiers: calls/s from a seat on county-1 to a seat on city-1 (county -> city -> core ->
  city -> seat, digest-authenticated), and REGISTER/s through county-1;
- a registration storm: N seats registered, then all re-registering at once.

The last line of output is one JSON object (keys as issue 4 names them); the same goes to
``loadtests/results/sip-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from control_plane.db.credentials import SeatAccount
from control_plane.runtime import probes
from control_plane.runtime.stack import Stack
from control_plane.runtime.supervisor import DaemonSpec, PortClaim, Supervisor
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import load_topology
from control_plane.topology.render import REPO_ROOT
from loadtests.sippctl import StepResult, failure_statuses, sipp_step
from loadtests.sippctl import write_seats as write_rows

BARE_CFG = REPO_ROOT / "loadtests" / "kamailio" / "bare.cfg"
DEMO = REPO_ROOT / "control_plane" / "topology" / "demo.toml"
RESULTS = REPO_ROOT / "loadtests" / "results"
# The benchmark measures capacity, not policy: per-source and per-seat limits are lifted.
BENCH_LIMITS = (
    ("SEAT_MAX_CALLS", 1_000_000), ("TENANT_MAX_CALLS", 1_000_000), ("SRC_PPS", 1_000_000),
    ("TENANT_PPS", 1_000_000), ("PIKE_DENSITY", 1_000_000),
)


@dataclass
class Ramp:
    """The steps of one ramp and the highest rate that passed."""

    name: str
    best: float
    steps: list[StepResult]


SETTLE_SECONDS = 6.0


def ramp(name: str, step: Callable[[float], StepResult], start: float,
         cap: float, bisections: int = 2) -> Ramp:
    """Double the rate until a step fails, then bisect between the last pass and the fail.

    After an overloaded step the nodes get time to drain their transactions, so that one
    step's backlog is not charged to the next.
    """
    steps: list[StepResult] = []
    good, bad = 0.0, 0.0
    rate = start

    def settled(rate: float) -> StepResult:
        if steps and not steps[-1].passed:
            time.sleep(SETTLE_SECONDS)
        return step(rate)

    while rate <= cap:
        result = settled(rate)
        steps.append(result)
        _print_step(name, result)
        if not result.passed:
            bad = rate
            break
        good = rate
        rate *= 2
    for _ in range(bisections if bad else 0):
        mid = round((good + bad) / 2)
        if mid in (good, bad):
            break
        result = settled(mid)
        steps.append(result)
        _print_step(name, result)
        if result.passed:
            good = mid
        else:
            bad = mid
    best = max((s.achieved for s in steps if s.passed), default=0.0)
    return Ramp(name, best, steps)


def _print_step(name: str, s: StepResult) -> None:
    verdict = "ok" if s.passed else f"FAIL ({s.reason})"
    print(f"  {name:<14} offered {s.rate:7.0f}/s  achieved {s.achieved:7.1f}/s  "
          f"ok {s.successful:6d}  failed {s.failed:4d}  p50 {s.p50_ms:5.1f} ms  "
          f"p95 {s.p95_ms:6.1f} ms  {verdict}", flush=True)


def _bare_spec(ip: str, workdir: Path) -> DaemonSpec:
    workdir.mkdir(parents=True, exist_ok=True)
    header = workdir / "bare.cfg"
    header.write_text(f'#!KAMAILIO\n#!substdef "!BARE_RUN_DIR!{workdir}!g"\n'
                      f'include_file "{BARE_CFG}"\n')
    return DaemonSpec(
        name="bare", kind="kamailio",
        argv=("kamailio", "-f", str(header), "-DD", "-E", "-l", f"udp:{ip}:5060",
              "-Y", str(workdir), "-P", str(workdir / "k.pid"), "-w", str(workdir),
              "-m", "512", "-M", "16"),
        directory=workdir, ready=lambda: probes.sip_options(ip, 5060),
        ports=(PortClaim("udp", ip, 5060),), package="kamailio",
    )


def _uas_spec(name: str, ip: str, workdir: Path, scenario: list[str]) -> DaemonSpec:
    workdir.mkdir(parents=True, exist_ok=True)
    return DaemonSpec(
        name=name, kind="sipp",
        argv=("sipp", *scenario, "-i", ip, "-p", "5060", "-nostdin", "-d", "0",
              "-m", "100000000", "-trace_err", "-error_file", str(workdir / "errors.log")),
        directory=workdir, ready=lambda: None, ports=(PortClaim("udp", ip, 5060),),
        package="sip-tester",
    )


def _accounts(prefix: str, count: int, password: str) -> list[SeatAccount]:
    return [SeatAccount("bench", f"{prefix}{i:05d}", "cc.local", password)
            for i in range(count)]


@dataclass(frozen=True)
class CallPath:
    """Who calls whom through which nodes, for one calls/s ramp."""

    register_via: str
    call_via: str
    agent: SeatAccount
    caller: SeatAccount
    uas_ip: str
    uac_ip: str


def _call_ramp(name: str, sup: Supervisor, work: Path, path: CallPath, *, seconds: float,
               cap: float) -> Ramp:
    """Register an answering seat through ``register_via``, then ramp calls to it."""
    agent, caller, uas_ip, uac_ip = path.agent, path.caller, path.uas_ip, path.uac_ip
    work.mkdir(parents=True, exist_ok=True)
    agent_rows = write_rows(work / "agent.csv", [agent])
    register_only = str(REPO_ROOT / "loadtests/sipp/register_only.xml")
    first = sipp_step([path.register_via, "-sf", register_only, "-inf", str(agent_rows),
                       "-set", "expires", "3600", "-i", uas_ip], 1, 1, work / "agent-reg")
    if first.successful != 1:
        raise SystemExit(f"bench-sip: the answering seat could not register: {first}")
    sup.start(_uas_spec(f"{name}-agent", uas_ip, work / "agent",
                        ["-sf", str(REPO_ROOT / "loadtests/sipp/answer.xml")]))
    caller_rows = write_rows(work / "caller.csv", [caller])
    result = ramp(name, lambda r: sipp_step(
        [path.call_via, "-sf", str(REPO_ROOT / "loadtests/sipp/caller.xml"), "-inf",
         str(caller_rows), "-s", agent.username, "-d", "0", "-i", uac_ip,
         "-key", "contact_host", uac_ip],
        r, seconds, work / f"cps-{r:.0f}"), start=50, cap=cap)
    answering = next(d for d in sup.daemons if d.spec.name == f"{name}-agent")
    answering.stop(1.0)
    sup.daemons.remove(answering)
    return result


def run(seconds: float, storm_seats: int, cap: float, out: Path) -> dict[str, object]:
    """Run every measurement once; return the figures."""
    prefix = free_prefix(hosts=80)
    work = Path(tempfile.mkdtemp(prefix="cc-bsip-", dir="/tmp"))
    sup = Supervisor(ready_timeout=30)
    bare_ip, uas_ip, uac_ip = f"{prefix}.50", f"{prefix}.60", f"{prefix}.61"
    # Registrations come from their own address: no late retransmission of a call step
    # can reach them.
    reg_ip = f"{prefix}.62"
    try:
        print(f"bench-sip on {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, "
              f"steps of {seconds:.0f} s", flush=True)
        # ---- baseline: bare one-hop stateful Kamailio, same scenarios as the tiers
        sup.start(_bare_spec(bare_ip, work / "bare"))
        bare_agent, bare_caller = _accounts("agent", 1, "bench")[0], _accounts("caller", 1,
                                                                               "bench")[0]
        bare_calls = _call_ramp("bare calls", sup, work / "bare", CallPath(
            f"{bare_ip}:5060", f"{bare_ip}:5060", bare_agent, bare_caller, uas_ip, uac_ip),
            seconds=seconds, cap=cap)
        bare_rows = write_rows(work / "bare-seats.csv", _accounts("b", 5000, "bench"))
        bare_reg = ramp("bare register", lambda r: sipp_step(
            [f"{bare_ip}:5060", "-sf", str(REPO_ROOT / "loadtests/sipp/register_only.xml"),
             "-inf", str(bare_rows), "-set", "expires", "600", "-i", reg_ip],
            r, seconds, work / f"bare-reg-{r:.0f}"), start=100, cap=cap)
        sup.stop_all()

        # ---- the tiers
        topo = replace(load_topology(DEMO).relocated(prefix), limits=BENCH_LIMITS)
        stack = Stack(topo, work / "tiers", supervisor=sup)
        stack.start()
        city, county = topo.node("city-1"), topo.node("county-1")
        agent, caller = _accounts("agent", 1, "pw1")[0], _accounts("caller", 1, "pw2")[0]
        storm = _accounts("s", storm_seats, "storm-pw")
        stack.add_seats([agent, caller, *storm])
        time.sleep(SETTLE_SECONDS)  # the edges' probes have seen every parent up
        storm_rows = write_rows(work / "storm.csv", storm)
        register = [f"{county.address}:5060", "-sf",
                    str(REPO_ROOT / "loadtests/sipp/register_only.xml"), "-inf",
                    str(storm_rows), "-set", "expires", "3600", "-i", reg_ip]
        # ---- the storm first, on healthy tiers: every seat registered, then all of them
        # again at once. (After the ramps below have overloaded the tiers, they need longer
        # than a settle pause to recover: a finding of its own, see the README.)
        seed = sipp_step(register, 500, storm_seats / 500, work / "storm-seed",
                         limit=storm_seats)
        # Seats retransmit like RFC 3261 user agents (Timer E up to T2, Timer F = 32 s),
        # not SIPp's default of giving up after five tries.
        start = time.monotonic()
        burst = sipp_step([*register, "-max_non_invite_retrans", "10"], storm_seats, 1.0,
                          work / "storm", limit=storm_seats, patience=120)
        storm_seconds = time.monotonic() - start
        for status, count in sorted(failure_statuses(work / "storm").items()):
            print(f"  storm failure: {count} x {status}")
        print(f"  storm          {storm_seats} seats registered ({seed.successful} ok), then "
              f"all at once: {burst.successful} ok, {burst.failed} failed in "
              f"{storm_seconds:.1f} s", flush=True)
        time.sleep(SETTLE_SECONDS)
        tier_calls = _call_ramp("tier calls", sup, work / "tier", CallPath(
            f"{city.address}:5060", f"{county.address}:5060", agent, caller, uas_ip, uac_ip),
            seconds=seconds, cap=cap)
        time.sleep(SETTLE_SECONDS)
        tier_reg = ramp("tier register", lambda r: sipp_step(
            register, r, seconds, work / f"tier-reg-{r:.0f}"), start=100, cap=cap)
    finally:
        sup.stop_all()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")

    figures: dict[str, object] = {
        "bare_cps": round(bare_calls.best, 1),
        "tier_cps": round(tier_calls.best, 1),
        "tier_cps_ratio": round(tier_calls.best / bare_calls.best, 3) if bare_calls.best else 0,
        "bare_reg_per_s": round(bare_reg.best, 1),
        "reg_per_s": round(tier_reg.best, 1),
        "reg_ratio": round(tier_reg.best / bare_reg.best, 3) if bare_reg.best else 0,
        "tier_setup_p50_ms": _at_best(tier_calls, "p50_ms"),
        "tier_setup_p95_ms": _at_best(tier_calls, "p95_ms"),
        "reg_storm_seats": storm_seats,
        "reg_storm_seconds": round(storm_seconds, 2),
        "reg_storm_failed": storm_seats - burst.successful,
        "cores": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "step_seconds": seconds,
        "ramps": {r.name: [asdict(s) for s in r.steps]
                  for r in (bare_calls, bare_reg, tier_calls, tier_reg)},
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"sip-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(figures, indent=2))
    print(f"results: {path}")
    return figures


def _at_best(r: Ramp, key: str) -> float:
    passed = [s for s in r.steps if s.passed]
    if not passed:
        return 0.0
    best = max(passed, key=lambda s: s.achieved)
    return float(getattr(best, key))


def main() -> None:
    """Entry point: ``python -m loadtests.bench_sip [--seconds S] [--storm-seats N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each step")
    parser.add_argument("--storm-seats", type=int, default=10_000)
    parser.add_argument("--cap", type=float, default=12800.0, help="highest rate to offer")
    args = parser.parse_args()
    figures = run(args.seconds, args.storm_seats, args.cap, RESULTS)
    summary = {k: v for k, v in figures.items() if k != "ramps"}
    print(f"  bare one-hop proxy: {summary['bare_cps']} calls/s, "
          f"{summary['bare_reg_per_s']} REGISTER/s")
    print(f"  county->city->core: {summary['tier_cps']} calls/s "
          f"(x{summary['tier_cps_ratio']}), {summary['reg_per_s']} REGISTER/s "
          f"(x{summary['reg_ratio']})")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
