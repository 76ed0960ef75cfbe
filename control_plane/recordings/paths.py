"""Where recordings live on one center, by convention (the call controller's wiring uses
the same): WAVs under ``<run_dir>/recordings`` and ``<run_dir>/voicemail``, RTPengine's
spool at ``settings.calls.recordings_spool``, else where the topology renderer puts
RTPengine's ``recording-dir``: ``<run_dir>/<rtpengine node>/recordings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RecordingPaths:
    """The three directories a :class:`~control_plane.recordings.converter.RecordingConverter`
    works with."""

    spool_dir: Path
    recordings_root: Path
    voicemail_root: Path


def recording_paths(run_dir: Path, *, spool_dir: Path | None = None,
                    rtpengine_name: str = "rtpengine") -> RecordingPaths:
    """The conventional directories of a center running in ``run_dir``."""
    return RecordingPaths(
        spool_dir=spool_dir if spool_dir is not None else run_dir / rtpengine_name / "recordings",
        recordings_root=run_dir / "recordings", voicemail_root=run_dir / "voicemail")
