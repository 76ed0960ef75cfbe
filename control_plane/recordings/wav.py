"""WAV files written whole or not at all: a hidden temp file in the target directory, synced,
then linked to its final name (which must not exist yet) and the temp name removed.

Linking rather than renaming means an existing recording is never overwritten: a second
conversion of the same call fails with ``recording.exists`` instead of replacing evidence.
"""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

from control_plane.recordings.errors import RecordingExists

RATE = 8000
SAMPLE_WIDTH = 2


def write_wav(path: Path, frames: bytes | bytearray, *, channels: int) -> int:
    """Write 8 kHz 16-bit PCM ``frames`` (interleaved) as ``path``; returns its size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part",
                                             dir=path.parent)
    temp = Path(temp_name)
    try:
        os.fchmod(descriptor, 0o640)  # mkstemp makes 0600; the API may run as a group peer
        with os.fdopen(descriptor, "wb") as raw:
            with wave.open(raw, "wb") as out:
                out.setnchannels(channels)
                out.setsampwidth(SAMPLE_WIDTH)
                out.setframerate(RATE)
                out.writeframes(frames)
            raw.flush()
            os.fsync(raw.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            raise RecordingExists("a WAV is already there", path=path) from None
        return path.stat().st_size
    finally:
        temp.unlink(missing_ok=True)


def wav_duration(frames: bytes | bytearray, *, channels: int) -> float:
    """Seconds of audio in interleaved 16-bit ``frames``."""
    return len(frames) / (SAMPLE_WIDTH * channels * RATE)
