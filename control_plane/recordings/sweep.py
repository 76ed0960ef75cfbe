"""Recordings no controller converted — its replica died between hangup and conversion —
converted from what was recorded with them (tenant, queue, agent, caller port).

Run it now and then from any replica (every few minutes, for recordings finished longer
ago than a normal conversion takes). Two replicas sweeping at once do no harm: a WAV is
never overwritten and a capture another replica removed is skipped. A recording that
cannot be converted (no tenant recorded, a corrupt capture) is moved to ``failed/`` in the
spool directory, kept for a person to look at, and not retried.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from control_plane.recordings.converter import CallRecording, Converted, RecordingConverter
from control_plane.recordings.errors import RecordingError, RecordingNotFound
from control_plane.recordings.spool import SpoolRecording, finished

log = structlog.get_logger(__name__)

#: Recordings finished longer ago than this are the sweep's (seconds).
DEFAULT_AGE = 600.0


@dataclass
class SweepReport:
    """What one sweep converted and what it set aside."""

    converted: list[Converted] = field(default_factory=list)
    failed: list[RecordingError] = field(default_factory=list)


def set_aside(spool_dir: Path, recordings: list[SpoolRecording]) -> None:
    """Move the recordings' files to ``<spool_dir>/failed/`` (kept, never retried)."""
    target = spool_dir / "failed"
    target.mkdir(exist_ok=True)
    for recording in recordings:
        for path in (recording.pcap_path, recording.metadata_path):
            if path.exists():
                shutil.move(path, target / path.name)


async def sweep(converter: RecordingConverter, *, older_than: float = DEFAULT_AGE) -> SweepReport:
    """Convert every call recording left in the converter's spool directory."""
    report = SweepReport()
    found = await asyncio.to_thread(finished, converter.spool_dir, older_than=older_than)
    for call_id in dict.fromkeys(r.call_id for r in found):  # each call once, oldest first
        try:
            report.converted.append(await converter.convert_call(CallRecording(call_id)))
        except RecordingNotFound:
            continue  # another replica converted it meanwhile
        except RecordingError as exc:
            report.failed.append(exc)
            mine = [r for r in found if r.call_id == call_id]
            await asyncio.to_thread(set_aside, converter.spool_dir, mine)
            log.error("recording set aside", call_id=call_id, error_id=exc.error_id,
                      error=str(exc))
    return report
