"""The sweep: recordings no controller converted, converted from their metadata alone."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from control_plane.recordings.errors import MetadataMissing, TruncatedCapture
from control_plane.recordings.index import NewRecording
from control_plane.recordings.spool import escaped_call_id, finished, recording_metadata
from control_plane.recordings.sweep import sweep
from tests.unit.recordings.captures import CALLER_PORT, call_capture, tone_stream
from tests.unit.recordings.test_converter import START, MemoryIndex, converter, spool


def _left(root: Path, call_id: str, *, age: float, tenant: str | None = "acme",
          cut: bool = False) -> None:
    capture = call_capture(caller=tone_stream(440, 5, ssrc=1), agent=[], start=START)
    tag = hashlib.sha256(call_id.encode()).hexdigest()[:16]
    spool(root, call_id, capture[:-3] if cut else capture, caller_port=None, tag=tag)
    meta = root / "metadata" / f"rtpengine-meta-{escaped_call_id(call_id)}-{tag}.txt"
    meta.write_text(meta.read_text() + recording_metadata(
        caller_port=CALLER_PORT, tenant=tenant, queue_id=2, agent_id=5) + "\n")
    stamp = time.time() - age
    os.utime(meta, (stamp, stamp))


async def test_sweep_converts_old_recordings_and_sets_bad_ones_aside(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    _left(root, "orphan@a", age=3600)
    _left(root, "fresh@b", age=1)  # its controller is probably converting it right now
    _left(root, "nameless@c", age=3600, tenant=None)
    _left(root, "broken@d", age=3600, cut=True)
    assert {r.call_id for r in finished(root, older_than=600)} == {
        "orphan@a", "nameless@c", "broken@d"}
    index = MemoryIndex()
    report = await sweep(converter(tmp_path, index), older_than=600)
    [row] = index.rows
    assert isinstance(row, NewRecording)
    assert (row.call_id, row.tenant, row.queue_id, row.agent_id) == ("orphan@a", "acme", 2, 5)
    assert [c.id for c in report.converted] == [1]
    assert {type(e) for e in report.failed} == {MetadataMissing, TruncatedCapture}
    assert [r.call_id for r in finished(root)] == ["fresh@b"]
    aside = sorted(p.name for p in (root / "failed").iterdir())
    assert len(aside) == 4 and all("nameless" in n or "broken" in n for n in aside)
    again = await sweep(converter(tmp_path, index), older_than=600)
    assert again.converted == [] and again.failed == []  # nothing retried, nothing redone


@pytest.mark.parametrize("call_id", ["plain", "a84b@pc33.example.com", "with/slash;and=eq"])
def test_call_ids_come_back_from_file_names(tmp_path: Path, call_id: str) -> None:
    _left(tmp_path, call_id, age=0)
    [recording] = finished(tmp_path)
    assert recording.call_id == call_id
