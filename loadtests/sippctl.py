"""Driving SIPp from Python: seats that register, answer and call, and their statistics.

Shared by the tests and the benchmarks, so both exercise the same scenarios
(``loadtests/sipp/*.xml``) in the same way.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from control_plane.db.credentials import SeatAccount
from control_plane.runtime.stack import sipp_seat_row

SIPP_DIR = Path(__file__).resolve().parent / "sipp"


@dataclass(frozen=True)
class SippResult:
    """What a finished SIPp run reported."""

    returncode: int
    successful: int
    failed: int
    output: str


def run_sipp(
    target: str, scenario: Path, local_ip: str, workdir: Path, *args: str,
    calls: int = 1, timeout: float = 60.0,
) -> SippResult:
    """Run SIPp to completion (``-m calls``) and parse its statistics CSV."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [
        "sipp", target, "-sf", str(scenario), "-i", local_ip, "-p", "5060",
        "-m", str(calls), "-nostdin", "-trace_stat", "-stf", str(workdir / "stat.csv"),
        "-trace_err", "-error_file", str(workdir / "errors.log"), "-timeout", f"{int(timeout)}s",
        *args,
    ]
    proc = subprocess.run(argv, cwd=workdir, capture_output=True, timeout=timeout + 15,
                          check=False)
    successful, failed = _sipp_counts(workdir / "stat.csv")
    output = proc.stdout.decode(errors="replace")[-3000:] + proc.stderr.decode(errors="replace")
    errors = workdir / "errors.log"
    if errors.exists():
        output += "\n" + errors.read_text(errors="replace")[-2000:]
    return SippResult(proc.returncode, successful, failed, output)


def start_calls(target: str, callers_csv: Path, callee: str, caller_ip: str, workdir: Path, *,
                calls: int, rate: float, talk_ms: int) -> subprocess.Popen[bytes]:
    """Start a SIPp caller in the background (``caller.xml``, seats from ``callers_csv``
    in turn); read its result with :func:`finished_counts` once it exits."""
    workdir.mkdir(parents=True, exist_ok=True)
    argv = ["sipp", target, "-sf", str(SIPP_DIR / "caller.xml"), "-i", caller_ip,
            "-p", "5060", "-m", str(calls), "-r", str(rate), "-d", str(talk_ms),
            "-nostdin", "-inf", str(callers_csv), "-s", callee,
            "-key", "contact_host", caller_ip, "-trace_stat", "-stf",
            str(workdir / "stat.csv"), "-trace_err", "-error_file",
            str(workdir / "errors.log"), "-timeout", "120s"]
    return subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def finished_counts(workdir: Path) -> tuple[int, int]:
    """(successful, failed) calls of a finished background SIPp run in ``workdir``."""
    return _sipp_counts(workdir / "stat.csv")


def _sipp_counts(stat_csv: Path) -> tuple[int, int]:
    if not stat_csv.exists():
        return 0, 0
    lines = stat_csv.read_text(errors="replace").splitlines()
    if len(lines) < 2:
        return 0, 0
    header = lines[0].split(";")
    last = lines[-1].split(";")
    row = dict(zip(header, last, strict=False))
    return int(row.get("SuccessfulCall(C)", 0)), int(row.get("FailedCall(C)", 0))


def write_seats(path: Path, accounts: list[SeatAccount]) -> Path:
    """A SIPp injection file with one ``user;domain;credentials`` row per seat."""
    path.write_text("SEQUENTIAL\n" + "".join(sipp_seat_row(a) + "\n" for a in accounts))
    return path


def seat_accounts(users: list[str], domain: str = "cc.local", tenant: str = "t1",
                  password: str = "s3cret-pw") -> list[SeatAccount]:
    """Seat accounts for tests (one password for all unless a test needs otherwise)."""
    return [SeatAccount(tenant, u, domain, password) for u in users]


def register_seat(edge_addr: str, account: SeatAccount, seat_ip: str, tmp: Path,
                  expires: int = 300) -> SippResult:
    """Register one seat through ``edge_addr`` (``ip:port``) and keep the registration."""
    tmp.mkdir(parents=True, exist_ok=True)
    seats = write_seats(tmp / f"reg-{account.username}.csv", [account])
    return run_sipp(edge_addr, SIPP_DIR / "register_only.xml", seat_ip, tmp / "reg",
                    "-inf", str(seats), "-set", "expires", str(expires), calls=1, timeout=20)


def answering_seat(seat_ip: str, tmp: Path, calls: int = 1,
                   ring_ms: int = 0, *, rtp_echo: bool = False) -> subprocess.Popen[bytes]:
    """A SIPp process that answers ``calls`` calls on ``seat_ip:5060``; with ``rtp_echo``
    it sends every RTP packet it receives back (a talking seat for two-way media)."""
    workdir = tmp / f"answer-{seat_ip}"
    workdir.mkdir(parents=True, exist_ok=True)
    argv = ["sipp", "-sf", str(SIPP_DIR / "answer.xml"), "-i", seat_ip, "-p", "5060",
            "-m", str(calls), "-d", str(ring_ms), "-nostdin", "-trace_err",
            "-error_file", str(workdir / "errors.log"), "-timeout", "120s",
            "-trace_stat", "-stf", str(workdir / "stat.csv"),
            *(["-rtp_echo", "-mi", seat_ip] if rtp_echo else [])]
    return subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def place_calls(target: str, caller: SeatAccount, callee: str, caller_ip: str, tmp: Path, *,
                calls: int = 1, rate: float = 5.0, talk_ms: int = 200,
                contact_host: str | None = None) -> SippResult:
    """An authenticated seat calls ``callee`` through ``target``; waits for all calls.

    ``contact_host`` other than ``caller_ip`` (say a 192.168.x address) plays a seat
    behind NAT.
    """
    tmp.mkdir(parents=True, exist_ok=True)
    seats = write_seats(tmp / f"caller-{caller.username}.csv", [caller])
    return run_sipp(target, SIPP_DIR / "caller.xml", caller_ip, tmp / f"calls-{caller_ip}",
                    "-inf", str(seats), "-s", callee, "-d", str(talk_ms), "-r", str(rate),
                    "-key", "contact_host", contact_host or caller_ip,
                    calls=calls, timeout=30 + calls / rate)


@dataclass(frozen=True)
class StepResult:
    """One fixed-rate SIPp run of a ramp: what was offered, what got through, how fast."""

    rate: float
    calls: int
    successful: int
    failed: int
    seconds: float
    achieved: float
    p50_ms: float
    p95_ms: float
    passed: bool
    reason: str


# A step passes when (almost) nothing failed, the rate was really delivered, and setup
# stayed interactive; past that the rate is not sustainable.
MAX_FAILED_SHARE = 0.001
MIN_DELIVERED_SHARE = 0.85
MAX_P95_MS = 500.0


def sipp_step(args: list[str], rate: float, seconds: float, workdir: Path, *,
              limit: int | None = None, patience: float = 30.0) -> StepResult:
    """Offer ``rate`` calls/s for ``seconds`` (``args`` name the target and scenario)."""
    workdir.mkdir(parents=True, exist_ok=True)
    calls = max(1, int(rate * seconds))
    argv = ["sipp", *args, "-p", "5060", "-r", str(int(rate)), "-m", str(calls),
            "-l", str(limit or max(200, int(rate * 5))), "-nostdin",
            "-trace_stat", "-stf", str(workdir / "stat.csv"), "-trace_rtt", "-rtt_freq", "1",
            "-trace_err", "-error_file", str(workdir / "errors.log"),
            "-timeout", f"{int(seconds + patience)}s", "-max_socket", "100"]
    start = time.monotonic()
    hung = False
    try:
        subprocess.run(argv, cwd=workdir, capture_output=True, timeout=seconds + patience + 30,
                       check=False)
    except subprocess.TimeoutExpired:
        # SIPp wedged under overload (it was killed): the step failed, the ramp goes on.
        hung = True
    elapsed = time.monotonic() - start
    successful, failed = _sipp_counts(workdir / "stat.csv")
    times = sorted(_rtt_ms(workdir))
    p50 = times[len(times) // 2] if times else 0.0
    p95 = times[int(len(times) * 0.95)] if times else 0.0
    achieved = successful / elapsed if elapsed > 0 else 0.0
    reason = ""
    if hung:
        reason = "SIPp did not finish"
    elif failed > calls * MAX_FAILED_SHARE or successful + failed < calls:
        reason = f"{failed} failed, {calls - successful - failed} unfinished"
    elif successful < calls * MIN_DELIVERED_SHARE:
        reason = "rate not delivered"
    elif achieved < rate * MIN_DELIVERED_SHARE and seconds >= 2:
        reason = f"only {achieved:.0f}/s delivered"
    elif p95 > MAX_P95_MS:
        reason = f"p95 setup {p95:.0f} ms"
    return StepResult(rate, calls, successful, failed, round(elapsed, 2), round(achieved, 1),
                      p50, p95, not reason, reason)


def _rtt_ms(workdir: Path) -> list[float]:
    out: list[float] = []
    for path in workdir.glob("*_rtt.csv"):
        for line in path.read_text(errors="replace").splitlines()[1:]:
            parts = line.split(";")
            if len(parts) >= 2:
                try:
                    out.append(float(parts[1]))
                except ValueError:
                    continue
    return out


def failure_statuses(workdir: Path) -> dict[str, int]:
    """How often each unexpected SIP status ended a call of a SIPp run (from its errors)."""
    counts: dict[str, int] = {}
    errors = workdir / "errors.log"
    if not errors.exists():
        return counts
    for line in errors.read_text(errors="replace").splitlines():
        marker = "received 'SIP/2.0 "
        if "Aborting call" in line and marker in line:
            status = line.split(marker, 1)[1].strip().rstrip("'")
            counts[status] = counts.get(status, 0) + 1
        elif "Aborting call" in line:
            reason = line.split("Aborting call", 1)[1].split(" for ")[0].strip()
            counts[reason] = counts.get(reason, 0) + 1
    return counts
