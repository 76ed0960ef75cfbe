"""Driving SIPp from Python: seats that register, answer and call, and their statistics.

Shared by the tests and the benchmarks, so both exercise the same scenarios
(``loadtests/sipp/*.xml``) in the same way.
"""

from __future__ import annotations

import subprocess
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
    seats = write_seats(tmp / f"reg-{account.username}.csv", [account])
    return run_sipp(edge_addr, SIPP_DIR / "register_only.xml", seat_ip, tmp / "reg",
                    "-inf", str(seats), "-set", "expires", str(expires), calls=1, timeout=20)


def answering_seat(seat_ip: str, tmp: Path, calls: int = 1,
                   ring_ms: int = 0) -> subprocess.Popen[bytes]:
    """A SIPp process that answers ``calls`` calls on ``seat_ip:5060``."""
    workdir = tmp / f"answer-{seat_ip}"
    workdir.mkdir(parents=True, exist_ok=True)
    argv = ["sipp", "-sf", str(SIPP_DIR / "answer.xml"), "-i", seat_ip, "-p", "5060",
            "-m", str(calls), "-d", str(ring_ms), "-nostdin", "-trace_err",
            "-error_file", str(workdir / "errors.log"), "-timeout", "120s"]
    return subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def place_calls(target: str, caller: SeatAccount, callee: str, caller_ip: str, tmp: Path, *,
                calls: int = 1, rate: float = 5.0, talk_ms: int = 200) -> SippResult:
    """An authenticated seat calls ``callee`` through ``target``; waits for all calls."""
    seats = write_seats(tmp / f"caller-{caller.username}.csv", [caller])
    return run_sipp(target, SIPP_DIR / "caller.xml", caller_ip, tmp / f"calls-{caller_ip}",
                    "-inf", str(seats), "-s", callee, "-d", str(talk_ms), "-r", str(rate),
                    calls=calls, timeout=30 + calls / rate)
