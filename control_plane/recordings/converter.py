"""After hangup: RTPengine's capture of a call → a WAV under the recordings root → the index.

A call recording is stereo (caller left, agent right: everything not sent by the caller —
every agent the call reached, in turn); a voicemail is the caller's stream alone, mono,
between two instants. The WAV goes to ``<root>/<tenant>/<yyyy>/<mm>/<dd>/<call_id>.wav``
(UTC date of its first sample). Any failure leaves no WAV and no row, and RTPengine's
files stay for a retry; after success they are removed (``remove_sources``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import structlog

from control_plane.recordings.errors import (
    DirectionUnknown,
    MetadataMissing,
    NoAudio,
    RecordingNotFound,
)
from control_plane.recordings.index import NewRecording, NewVoicemail, RecordingIndex
from control_plane.recordings.mixdown import (
    RATE,
    Channel,
    first_arrival,
    interleave,
    place,
    sound_end,
)
from control_plane.recordings.pcap import CaptureStats, iter_datagrams
from control_plane.recordings.rtp import RtpPacket, rtp_packets, streams
from control_plane.recordings.spool import (
    AGENT_ID,
    QUEUE_ID,
    TENANT,
    SpoolRecording,
    capture_recording,
    wait_for_recordings,
)
from control_plane.recordings.wav import wav_duration, write_wav

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class CallRecording:
    """A recorded call at hangup, as the controller knows it.

    Every field left None is taken from what was given to ``start recording`` through
    :func:`~control_plane.recordings.spool.recording_metadata` (``caller_port``: RTPengine's
    port in the SDP the caller got); values given here win (the agent after a transfer).
    """

    call_id: str
    tenant: str | None = None
    queue_id: int | None = None
    agent_id: int | None = None
    caller_port: int | None = None


@dataclass(frozen=True, slots=True)
class VoicemailMessage:
    """A message a caller left: their audio between ``start`` (after the tone) and ``end``
    (``#``, silence or the maximum length), for ``queue_id``.

    The controller does not hear the media, so it cannot stop at silence itself: the WAV's
    trailing silence beyond ``keep_silence`` seconds is cut (None: keep the whole window).
    """

    call_id: str
    tenant: str
    queue_id: int | None
    caller_number: str
    start: datetime
    end: datetime
    caller_port: int | None = None
    keep_silence: float | None = 1.0


@dataclass(frozen=True, slots=True)
class Converted:
    """What was written and indexed."""

    id: int
    path: Path
    started_at: datetime
    duration_seconds: float
    size_bytes: int
    caller_packets: int
    agent_packets: int


@dataclass(frozen=True, slots=True)
class _Audio:
    frames: bytes | bytearray
    origin: float
    caller_packets: int
    agent_packets: int


def safe_name(text: str) -> str:
    """``text`` as one path component: URI-escaped, never ``.``/``..`` nor hidden."""
    name = quote(text, safe="")
    return "%2E" + name[1:] if name.startswith(".") else name


def target_path(root: Path, tenant: str, call_id: str, when: datetime) -> Path:
    """``<root>/<tenant>/<yyyy>/<mm>/<dd>/<call_id>.wav`` for the UTC date of ``when``."""
    day = when.astimezone(UTC)
    return (root / safe_name(tenant) / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
            / f"{safe_name(call_id)}.wav")


def _first(given: int | None, found: list[SpoolRecording], key: str) -> int | None:
    """``given``, else the value the controller recorded at start recording."""
    if given is not None:
        return given
    return next((n for r in found if (n := r.number(key)) is not None), None)


def _packets(recordings: list[SpoolRecording]) -> list[RtpPacket]:
    packets: list[RtpPacket] = []
    for recording in recordings:
        try:
            data = recording.pcap_path.read_bytes()
        except FileNotFoundError:  # converted and removed by another replica meanwhile
            raise RecordingNotFound("the capture is gone",
                                    path=recording.pcap_path) from None
        datagrams = iter_datagrams(data, path=recording.pcap_path, stats=CaptureStats())
        found, _ = rtp_packets(datagrams, path=recording.pcap_path)
        packets.extend(found)
    return packets


def _caller_ports(recordings: list[SpoolRecording], explicit: int | None,
                  packets: list[RtpPacket], *, sole_sender: bool) -> frozenset[int]:
    if explicit is not None:
        return frozenset({explicit})
    recorded = {r.caller_port for r in recordings if r.caller_port is not None}
    if recorded:
        return frozenset(recorded)
    ports = {p.port for p in packets if p.audio}
    if sole_sender and len(ports) == 1:  # a voicemail: nobody else sends
        return frozenset(ports)
    raise DirectionUnknown("no caller port given, none in the recording's metadata",
                           path=recordings[0].metadata_path)


def _call_audio(recordings: list[SpoolRecording], caller_port: int | None) -> _Audio:
    packets = _packets(recordings)
    grouped = streams(packets)
    origin = first_arrival(grouped.values())
    if origin is None:
        raise NoAudio("no G.711 packets in the capture", path=recordings[0].pcap_path)
    caller = _caller_ports(recordings, caller_port, packets, sole_sender=False)
    left, right = Channel(), Channel()
    counts = [0, 0]
    for (port, _), stream in sorted(grouped.items(), key=lambda kv: kv[1][0].time):
        side = 0 if port in caller else 1
        counts[side] += place(left if side == 0 else right, stream, origin=origin,
                              path=recordings[0].pcap_path)
    return _Audio(interleave(left, right), origin, counts[0], counts[1])


def convert_capture(capture: Path, out: Path, *, caller_port: int | None = None) -> Converted:
    """Any capture file as a stereo WAV at ``out``, not indexed (``id`` 0): for a person
    looking at evidence. The caller's port is ``caller_port``, else the one in the RTPengine
    metadata next to the capture (``../metadata/``), if there is one."""
    audio = _call_audio([capture_recording(capture)], caller_port)
    size = write_wav(out, audio.frames, channels=2)
    return Converted(0, out, datetime.fromtimestamp(audio.origin, UTC),
                     wav_duration(audio.frames, channels=2), size, audio.caller_packets,
                     audio.agent_packets)


def _voicemail_audio(recordings: list[SpoolRecording], message: VoicemailMessage) -> _Audio:
    packets = _packets(recordings)
    caller = _caller_ports(recordings, message.caller_port, packets, sole_sender=True)
    origin = message.start.timestamp()
    limit = round((message.end - message.start).total_seconds() * RATE)
    channel = Channel(limit=max(limit, 0))
    placed = 0
    for (port, _), stream in streams(packets).items():
        if port in caller:
            placed += place(channel, stream, origin=origin, path=recordings[0].pcap_path)
    if not channel.samples:
        raise NoAudio(f"no caller audio between {message.start.isoformat()} and "
                      f"{message.end.isoformat()}", path=recordings[0].pcap_path)
    pcm = channel.pad(channel.limit or channel.samples)
    if message.keep_silence is not None:
        keep = round(message.keep_silence * RATE)
        del pcm[2 * min(sound_end(pcm) + keep, len(pcm) // 2):]
    return _Audio(pcm, origin, placed, 0)


class RecordingConverter:
    """Converts and indexes the recordings RTPengine left in ``spool_dir``.

    ``wait_seconds`` bounds the wait for RTPengine to finish a recording: immediate after
    ``stop recording``, ``delete-delay`` after a bare ``delete``. Decoding is CPU work (on this
    machine kind, loaded: 1.6 s and 120 MB for a 10-minute call, 9 s and 0.5 GB for an hour;
    ``tests/unit/recordings/bench_conversion.py``): pass a ``ProcessPoolExecutor`` as
    ``executor`` to keep it off the controller's process; by default it runs in a thread.
    """

    def __init__(self, *, spool_dir: Path, recordings_root: Path, voicemail_root: Path,
                 index: RecordingIndex, wait_seconds: float = 10.0,
                 remove_sources: bool = True, executor: Executor | None = None) -> None:
        self.spool_dir = spool_dir
        self.recordings_root = recordings_root
        self.voicemail_root = voicemail_root
        self.index = index
        self.wait_seconds = wait_seconds
        self.remove_sources = remove_sources
        self.executor = executor

    async def _decode(self, work: Callable[..., _Audio], *args: object) -> _Audio:
        return await asyncio.get_running_loop().run_in_executor(self.executor, work, *args)

    async def convert_call(self, call: CallRecording) -> Converted:
        """The call's stereo WAV, written and indexed (tenant, queue, agent, times, size)."""
        found = await wait_for_recordings(self.spool_dir, call.call_id,
                                          wait_seconds=self.wait_seconds)
        tenant = call.tenant or next((r.values[TENANT] for r in found if TENANT in r.values),
                                     None)
        if tenant is None:
            raise MetadataMissing("no tenant given, none in the recording's metadata",
                                  path=found[0].metadata_path)
        audio = await self._decode(_call_audio, found, call.caller_port)
        started = datetime.fromtimestamp(audio.origin, UTC)
        path = target_path(self.recordings_root, tenant, call.call_id, started)
        size = await asyncio.to_thread(write_wav, path, audio.frames, channels=2)
        duration = wav_duration(audio.frames, channels=2)
        entry = NewRecording(
            tenant=tenant, call_id=call.call_id,
            queue_id=_first(call.queue_id, found, QUEUE_ID),
            agent_id=_first(call.agent_id, found, AGENT_ID), started_at=started,
            ended_at=started + timedelta(seconds=duration), file_path=path,
            duration_seconds=duration, size_bytes=size)
        row = await self._indexed(path, self.index.add_recording(entry))
        await asyncio.to_thread(self._done, found)
        if not audio.caller_packets:  # a muted caller, or the wrong caller port given
            log.warning("recording has no caller audio", call_id=call.call_id,
                        caller_port=call.caller_port, path=str(path))
        log.info("recording converted", call_id=call.call_id, path=str(path),
                 seconds=round(duration, 3), caller_packets=audio.caller_packets,
                 agent_packets=audio.agent_packets)
        return Converted(row, path, started, duration, size, audio.caller_packets,
                         audio.agent_packets)

    async def convert_voicemail(self, message: VoicemailMessage) -> Converted:
        """The caller's message as a mono WAV under the voicemail root, indexed for its
        queue with the caller's number and the time the message began."""
        found = await wait_for_recordings(self.spool_dir, message.call_id,
                                          wait_seconds=self.wait_seconds)
        audio = await self._decode(_voicemail_audio, found, message)
        started = message.start.astimezone(UTC)
        path = target_path(self.voicemail_root, message.tenant, message.call_id, started)
        size = await asyncio.to_thread(write_wav, path, audio.frames, channels=1)
        duration = wav_duration(audio.frames, channels=1)
        entry = NewVoicemail(tenant=message.tenant, queue_id=message.queue_id,
                             caller_number=message.caller_number, received_at=started,
                             file_path=path, duration_seconds=duration)
        row = await self._indexed(path, self.index.add_voicemail(entry))
        await asyncio.to_thread(self._done, found)
        log.info("voicemail converted", call_id=message.call_id, path=str(path),
                 seconds=round(duration, 3), caller_packets=audio.caller_packets)
        return Converted(row, path, started, duration, size, audio.caller_packets, 0)

    async def _indexed(self, path: Path, indexing: Awaitable[int]) -> int:
        """Await the index write; if it fails, the WAV goes too (no unindexed audio)."""
        try:
            row = await indexing
        except BaseException:
            await asyncio.to_thread(path.unlink, missing_ok=True)
            raise
        return row

    def _done(self, found: list[SpoolRecording]) -> None:
        if self.remove_sources:
            for recording in found:
                recording.remove()
