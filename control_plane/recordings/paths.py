"""Where recordings live on one center: RTPengine's spool and our WAV roots, by convention.

RTPengine's ``recording-dir`` is rendered as ``<run_dir>/<rtpengine node>/recordings``
(``control_plane.topology.render``); the WAVs go under ``<run_dir>/media/``, one root for
call recordings and one for voicemail.
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


def recording_paths(run_dir: Path, rtpengine_name: str) -> RecordingPaths:
    """The conventional directories of a center running in ``run_dir``."""
    media = run_dir / "media"
    return RecordingPaths(spool_dir=run_dir / rtpengine_name / "recordings",
                          recordings_root=media / "recordings",
                          voicemail_root=media / "voicemails")
