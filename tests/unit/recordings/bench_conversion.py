"""Conversion cost of a long call (not a test): ``.venv/bin/python -m
tests.unit.recordings.bench_conversion 60`` builds a capture of a 60-minute two-party G.711
call in a temporary spool, then converts it in a fresh process and prints one JSON line
(seconds, peak RSS)."""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from control_plane.recordings.converter import CallRecording, RecordingConverter
from control_plane.recordings.g711 import encode_ulaw
from control_plane.recordings.index import NewRecording, NewVoicemail
from tests.unit.recordings.captures import call_capture, rtp, tone
from tests.unit.recordings.test_converter import spool


class _Index:
    async def add_recording(self, entry: NewRecording) -> int:
        return 1

    async def add_voicemail(self, entry: NewVoicemail) -> int:
        return 1


def _make(minutes: int, root: Path) -> None:
    packets = minutes * 60 * 50
    left, right = encode_ulaw(tone(440, 160)), encode_ulaw(tone(1000, 160))
    capture = call_capture(
        caller=[rtp(seq=i, ts=160 * i, ssrc=1, payload=left) for i in range(packets)],
        agent=[rtp(seq=i, ts=160 * i, ssrc=2, payload=right) for i in range(packets)],
        start=1.8e9)
    spool(root / "spool", "bench", capture)


def _convert(root: Path) -> None:
    converter = RecordingConverter(spool_dir=root / "spool", recordings_root=root / "rec",
                                   voicemail_root=root / "vm", index=_Index())
    start = time.perf_counter()
    done = asyncio.run(converter.convert_call(CallRecording(call_id="bench", tenant="t")))
    print(json.dumps({"call_minutes": done.duration_seconds / 60,
                      "convert_seconds": round(time.perf_counter() - start, 2),
                      "wav_mb": round(done.size_bytes / 1e6, 1),
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


if __name__ == "__main__":
    if sys.argv[1] == "--convert":
        _convert(Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as directory:
            _make(int(sys.argv[1]), Path(directory))
            subprocess.run([sys.executable, "-m", "tests.unit.recordings.bench_conversion",
                            "--convert", directory], check=True)
