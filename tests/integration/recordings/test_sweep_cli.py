"""``python -m control_plane.recordings sweep`` as an operator runs it: the center's own
settings, topology and migrated database; a recording whose controller died is indexed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from control_plane.recordings.index import RecordingFilter
from control_plane.recordings.paths import recording_paths
from control_plane.recordings.spool import escaped_call_id, recording_metadata
from control_plane.topology.model import load_topology
from tests.integration.recordings.conftest import Cast
from tests.support import DEMO_TOPOLOGY
from tests.unit.recordings.captures import CALLER_PORT, call_capture, tone_stream
from tests.unit.recordings.test_converter import START, spool


@pytest.mark.parametrize("own_spool", [False, True])
def test_sweep_indexes_an_orphaned_recording(sqlite_cast: Cast, tmp_path: Path,
                                             own_spool: bool) -> None:
    # The spool is settings.calls.recordings_spool when set, else RTPengine's rendered one.
    spool_dir = tmp_path / "elsewhere" if own_spool else None
    paths = recording_paths(tmp_path, spool_dir=spool_dir,
                            rtpengine_name=load_topology(DEMO_TOPOLOGY).rtpengine.name)
    call_id = "orphan@cli"
    spool(paths.spool_dir, call_id, call_capture(caller=tone_stream(440, 25, ssrc=1),
                                                 agent=[], start=START), caller_port=None)
    meta = next((paths.spool_dir / "metadata").glob(f"*{escaped_call_id(call_id)}*"))
    meta.write_text(meta.read_text() + recording_metadata(
        caller_port=CALLER_PORT, tenant="acme", queue_id=sqlite_cast.ids["sales"]) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env |= {"CC_RUNTIME__RUN_DIR": str(tmp_path), "CC_RUNTIME__TOPOLOGY": str(DEMO_TOPOLOGY),
            "CC_DATABASE__URL": sqlite_cast.url}
    if spool_dir is not None:
        env["CC_CALLS__RECORDINGS_SPOOL"] = str(spool_dir)
    run = subprocess.run([sys.executable, "-m", "control_plane.recordings", "sweep",
                          "--older-than", "0"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    wav = paths.recordings_root / "acme/2027/01/15/orphan%40cli.wav"
    assert f"converted {wav} (0.5 s)" in run.stdout
    page = asyncio.run(sqlite_cast.store.list_recordings(RecordingFilter(tenant="acme"),
                                                         offset=0, limit=10))
    [entry] = page.items
    assert (entry.call_id, entry.queue_id, entry.file_path) == (
        call_id, sqlite_cast.ids["sales"], wav)
