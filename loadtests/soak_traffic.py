"""The soak's traffic: its center, its SIPp scenarios rendered, and the mix of callers.

The center has one tenant, an IVR (welcome, then a menu: 1 sales, 2 support) and a number
straight to the support queue. Every agent serves both queues; one SIPp answers for all of
their phones (``soak_seat.xml``: rings, answers, talks with RTP echo, the agent hangs up if
the caller has not). Three callers share the rate:
- ``ivr_short``: walks the IVR, presses 1 (RFC 4733), talks, hangs up before the agent does;
- ``ivr_long``: walks the IVR, presses 2, talks until the agent hangs up;
- ``abandon``: dials the support queue and gives up while the agent's phone still rings.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from control_plane.calls.center import CenterConfig, parse_center
from loadtests.bench_call import write_rtp_pcap
from loadtests.sipp_scenarios import DTMF_PCAPS
from loadtests.sippctl import SIPP_DIR

IVR_NUMBER = "4008000001"
QUEUE_NUMBER = "4008000003"
RING_MS = 1500  # the agent picks up after this much ringing
TALK_MS = 6000  # then hangs up after this much talking, unless the caller did
MENU_DELAY_MS = 3000  # welcome (2.3 s) done, the menu prompt playing: the key barges in
PATIENCE_MS = 1000  # the abandoning caller gives up before RING_MS


@dataclass(frozen=True)
class CallerKind:
    """One kind of caller: its share of the rate, what it dials and does."""

    name: str
    share: float
    number: str
    digit: str  # "" for callers that press nothing
    stay_ms: int  # after the digit (IVR callers) or the answer (abandoning callers)
    prefix: str  # caller numbers are prefix + SIPp's call number: unique per run


MIX = (
    CallerKind("ivr_short", 0.4, IVR_NUMBER, "1", 5000, "91"),
    CallerKind("ivr_long", 0.4, IVR_NUMBER, "2", 15000, "92"),
    CallerKind("abandon", 0.2, QUEUE_NUMBER, "", PATIENCE_MS, "93"),
)


def longest_call_s() -> float:
    """The longest a caller of the mix stays after its answer, in seconds."""
    return max(MENU_DELAY_MS + 1000 + k.stay_ms for k in MIX) / 1000


def center(agents: int, prompts: frozenset[str]) -> CenterConfig:
    """The soak's center: ``agents`` agents serving both queues of one tenant."""
    queue = {"strategy": "longest-idle", "ring_timeout_s": 10, "pause_on_no_answer": False,
             "max_wait_s": 600}
    return parse_center({
        "domain": "cc.local",
        "tenant": [{"id": "soak", "language": "en", "skills": ["sales", "tech"], "queue": [
            {"id": "sales", "skills": [{"skill": "sales", "min": 1}], **queue},
            {"id": "support", "skills": [{"skill": "tech", "min": 1}], **queue}]}],
        "agent": [{"tenant": "soak", "id": f"a{i:04d}", "seat": f"soak{i:04d}",
                   "skills": {"sales": 1, "tech": 1}} for i in range(agents)],
        "route": [{"number": IVR_NUMBER, "tenant": "soak", "flow": "main"},
                  {"number": QUEUE_NUMBER, "tenant": "soak", "queue": "support"}],
        "flow": [{"tenant": "soak", "name": "main", "document": {
            "start": "welcome", "language": "en", "nodes": {
                "welcome": {"type": "play", "prompt": "welcome", "next": "menu"},
                "menu": {"type": "menu", "prompt": "main_menu",
                         "options": {"1": "sales", "2": "support"}, "timeout_s": 5,
                         "retries": 1, "on_fail": "support"},
                "sales": {"type": "queue", "queue": "sales"},
                "support": {"type": "queue", "queue": "support"}}}}],
    }, prompts=prompts)


def _render(template: str, directory: Path, name: str, values: dict[str, object]) -> Path:
    text = (SIPP_DIR / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    if re.search(r"@[A-Z_]+@", text):
        raise ValueError(f"SOAK_SCENARIO_UNFILLED: {template} still has an @...@ value")
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / name
    out.write_text(text, encoding="utf-8")
    return out


def seat_scenario(directory: Path) -> Path:
    """``soak_seat.xml`` with the ring and talk times filled in."""
    return _render("soak_seat.xml", directory, "soak_seat.xml",
                   {"RING_MS": RING_MS, "TALK_MS": TALK_MS})


def caller_scenario(kind: CallerKind, directory: Path) -> Path:
    """The scenario of one kind of caller, rendered into ``directory``."""
    if not kind.digit:
        return _render("abandon_caller.xml", directory, f"{kind.name}.xml",
                       {"PATIENCE_MS": kind.stay_ms})
    directory.mkdir(parents=True, exist_ok=True)
    digit_pcap = DTMF_PCAPS / f"dtmf_2833_{kind.digit}.pcap"
    if not digit_pcap.is_file():
        raise FileNotFoundError(f"SOAK_NO_DTMF_PCAP: {digit_pcap} (Debian package sip-tester)")
    voice = write_rtp_pcap(directory / f"voice_{kind.name}.pcap", kind.stay_ms / 1000 + 1)
    return _render("ivr_caller.xml", directory, f"{kind.name}.xml", {
        "MENU_DELAY_MS": MENU_DELAY_MS, "DIGIT_PCAP": digit_pcap,
        "VOICE_ACTION": f'<nop><action><exec play_pcap_audio="{voice}" /></action></nop>',
        "TALK_WAIT_MS": kind.stay_ms})


def start_caller(kind: CallerKind, *, target: str, ip: str, rate: float, seconds: float,
                 workdir: Path) -> subprocess.Popen[bytes]:
    """A SIPp placing ``kind.share * rate`` calls/s of ``kind`` for ``seconds`` (then it
    stops placing and finishes its calls), logging every placed call for the ledger."""
    scenario = caller_scenario(kind, workdir)
    per_10s = max(1, round(kind.share * rate * 10))  # SIPp's -r is whole calls per period
    calls = max(1, round(per_10s * seconds / 10))
    limit = int(per_10s / 10 * (longest_call_s() + 30) * 2) + 20
    return subprocess.Popen(
        ["sipp", target, "-sf", str(scenario), "-s", kind.number, "-i", ip, "-p", "5060",
         "-mi", ip, "-r", str(per_10s), "-rp", "10000", "-m", str(calls), "-l", str(limit),
         "-key", "caller_prefix", kind.prefix, "-trace_logs", "-trace_stat", "-stf",
         str(workdir / "stat.csv"), "-trace_err", "-error_file", str(workdir / "errors.log"),
         "-nostdin", "-timeout", f"{int(seconds + longest_call_s() + 120)}s"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
