"""RTPengine's recording directory (``recording-dir``, pcap method): what it left for a call.

Layout (RTPengine 10.5): ``pcaps/<prefix>.pcap`` while and after recording, and
``metadata/rtpengine-meta-<prefix>.txt`` once the recording is finished (``stop recording``,
or the call's end, which ``delete-delay`` postpones); the ``<prefix>`` is the URI-escaped
Call-ID, a dash and 16 random hex digits. The metadata file's first line is the pcap's path;
after the times comes the ``metadata`` string given to ``start recording``, where the
controller writes the caller's RTPengine port (the capture alone does not say which stream
is the caller) and what the index needs — tenant, queue, agent (:func:`recording_metadata`)
— so that any replica can convert a recording whose controller died (:func:`finished`).
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from control_plane.recordings.errors import RecordingNotFound

_META_PREFIX, _META_SUFFIX = "rtpengine-meta-", ".txt"
_RANDOM_TAG = re.compile(r"^-[0-9a-f]{16}$")
_OUR_LINE = re.compile(r"^cc-([a-z][a-z0-9-]*)=(.*)$")
CALLER_PORT, TENANT, QUEUE_ID, AGENT_ID = "caller-port", "tenant", "queue-id", "agent-id"
_AUDIO = re.compile(r"^m=audio (\d+) ", re.MULTILINE)


def escaped_call_id(call_id: str) -> str:
    """The Call-ID as RTPengine puts it in file names (``g_uri_escape_string``, no
    reserved characters allowed: only ``A-Z a-z 0-9 - . _ ~`` stay as they are)."""
    return quote(call_id, safe="")


def recording_metadata(*, caller_port: int, tenant: str | None = None,
                       queue_id: int | None = None, agent_id: int | None = None) -> str:
    """The ``metadata`` value to give ``start recording``: one ``cc-key=value`` line each
    for the caller's port and, when given, the tenant, queue and agent of the call."""
    values = {CALLER_PORT: caller_port, TENANT: tenant, QUEUE_ID: queue_id, AGENT_ID: agent_id}
    if tenant is not None and not re.fullmatch(r"[A-Za-z0-9._@-]+", tenant):
        raise ValueError(f"tenant {tenant!r} cannot go in recording metadata")
    return "\n".join(f"cc-{key}={value}" for key, value in values.items() if value is not None)


def start_recording_extra(*, caller_sdp: str, tenant: str | None = None,
                          queue_id: int | None = None,
                          agent_id: int | None = None) -> dict[str, str]:
    """``extra`` for ``NgClient.start_recording``: the caller's port, read from the SDP
    RTPengine produced for the caller (the one in the caller's 200 OK), and the call's
    tenant, queue and agent as far as known when recording starts."""
    return {"metadata": recording_metadata(caller_port=audio_port(caller_sdp), tenant=tenant,
                                           queue_id=queue_id, agent_id=agent_id)}


def audio_port(sdp: str) -> int:
    """The port of the first ``m=audio`` line (ValueError when there is none)."""
    found = _AUDIO.search(sdp)
    if found is None:
        raise ValueError("SDP without an m=audio line")
    return int(found.group(1))


@dataclass(frozen=True)
class SpoolRecording:
    """One finished RTPengine recording of a call: its metadata file and its capture."""

    metadata_path: Path
    pcap_path: Path
    values: dict[str, str] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        """The Call-ID, from the file's name."""
        prefix = self.metadata_path.name[len(_META_PREFIX) : -len(_META_SUFFIX)]
        return unquote(prefix[:-17])  # less "-" and the 16 hex digits of the random tag

    @property
    def caller_port(self) -> int | None:
        """The caller's RTPengine port, as the controller recorded it (None: not given)."""
        return self.number(CALLER_PORT)

    def number(self, key: str) -> int | None:
        """A numeric value the controller recorded (None: not given, or not a number)."""
        value = self.values.get(key, "")
        return int(value) if value.isdigit() else None

    def remove(self) -> None:
        """Delete RTPengine's files (after a successful conversion)."""
        self.pcap_path.unlink(missing_ok=True)
        self.metadata_path.unlink(missing_ok=True)


def parse_metadata(path: Path, spool_dir: Path) -> SpoolRecording:
    """Read one metadata file; a pcap path from elsewhere is looked up in ``pcaps/``."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    named = Path(lines[0].strip()) if lines and lines[0].strip() else None
    local = spool_dir / "pcaps" / (path.name[len(_META_PREFIX) : -len(_META_SUFFIX)] + ".pcap")
    # RTPengine writes its own absolute path; the directory may be mounted elsewhere here.
    pcap = named if named is not None and named.exists() else local
    values = {m.group(1): m.group(2).strip() for line in lines if (m := _OUR_LINE.match(line))}
    return SpoolRecording(metadata_path=path, pcap_path=pcap, values=values)


def capture_recording(capture: Path) -> SpoolRecording:
    """Any capture file as a recording, with the RTPengine metadata next to it (in
    ``../metadata/``) when there is some."""
    spool_dir = capture.parent.parent
    metadata = spool_dir / "metadata" / f"{_META_PREFIX}{capture.stem}{_META_SUFFIX}"
    if not metadata.exists():
        return SpoolRecording(metadata_path=capture, pcap_path=capture)
    return SpoolRecording(metadata, capture, parse_metadata(metadata, spool_dir).values)


def find_recordings(spool_dir: Path, call_id: str) -> list[SpoolRecording]:
    """The finished recordings of ``call_id`` (usually one), oldest first."""
    prefix = _META_PREFIX + escaped_call_id(call_id)
    found = []
    for path in (spool_dir / "metadata").glob(f"{glob_escape(prefix)}-*{_META_SUFFIX}"):
        tail = path.name[len(prefix) : -len(_META_SUFFIX)]
        if _RANDOM_TAG.match(tail):  # not another Call-ID that merely starts like this one
            found.append(path)
    return _parsed(spool_dir, found, math.inf)


def finished(spool_dir: Path, *, older_than: float = 0.0) -> list[SpoolRecording]:
    """Every finished recording in the directory whose metadata file is older than
    ``older_than`` seconds, oldest first (what a sweep converts when no controller did)."""
    cutoff = time.time() - older_than
    found = [p for p in (spool_dir / "metadata").glob(f"{_META_PREFIX}*{_META_SUFFIX}")
             if _RANDOM_TAG.match(p.name[-len(_META_SUFFIX) - 17 : -len(_META_SUFFIX)])]
    return _parsed(spool_dir, found, cutoff)


def _parsed(spool_dir: Path, paths: list[Path], cutoff: float) -> list[SpoolRecording]:
    """Parse the files, oldest first; files that vanish meanwhile (converted by another
    replica) are left out."""
    dated = []
    for path in paths:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue
        if mtime <= cutoff:
            dated.append((mtime, path.name, path))
    recordings = []
    for _, _, path in sorted(dated):
        try:
            recordings.append(parse_metadata(path, spool_dir))
        except FileNotFoundError:
            continue
    return recordings


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", text)


async def wait_for_recordings(spool_dir: Path, call_id: str, *, wait_seconds: float,
                              poll: float = 0.1) -> list[SpoolRecording]:
    """The call's finished recordings, waiting up to ``wait_seconds`` for RTPengine to
    finish them (after a ``delete`` it does so only once ``delete-delay`` has passed)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        found = await asyncio.to_thread(find_recordings, spool_dir, call_id)
        if found:
            return found
        if time.monotonic() >= deadline:
            raise RecordingNotFound(
                f"no finished recording of call {call_id!r} after {wait_seconds:g} s "
                "(was it recorded? was recording stopped or the call deleted?)",
                path=spool_dir / "metadata")
        await asyncio.sleep(poll)
