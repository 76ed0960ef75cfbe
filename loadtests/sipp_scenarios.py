"""SIPp scenarios whose values SIPp reads at load time (pcap files, timeouts): rendered from
the templates in loadtests/sipp/ into a run directory."""

from __future__ import annotations

from pathlib import Path

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
DTMF_PCAPS = Path("/usr/share/sip-tester")


def center_caller(directory: Path, *, digit: str, menu_delay_ms: int, talk_ms: int) -> Path:
    """``center_caller.xml`` pressing ``digit`` after ``menu_delay_ms``, staying ``talk_ms``."""
    if digit not in "0123456789" or len(digit) != 1:
        raise ValueError(f"SIPp ships RFC 4733 pcaps for 0-9 only, not {digit!r}")
    pcap = DTMF_PCAPS / f"dtmf_2833_{digit}.pcap"
    if not pcap.is_file():
        raise FileNotFoundError(f"{pcap} is missing (Debian package sip-tester)")
    text = (SIPP_DIR / "center_caller.xml").read_text(encoding="utf-8")
    for key, value in (("MENU_DELAY_MS", menu_delay_ms), ("TALK_MS", talk_ms),
                       ("DIGIT_PCAP", pcap)):
        text = text.replace(f"@{key}@", str(value))
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / f"center_caller_{digit}_{talk_ms}.xml"
    out.write_text(text, encoding="utf-8")
    return out
