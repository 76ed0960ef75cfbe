"""A real RTPengine 10.5 records a call (pcap method); the converter makes the WAV and the
index row in a real database. The caller sends a 440 Hz tone, the agent a 1000 Hz tone
starting half a second later; the caller also presses a digit (RFC 4733) mid-call."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import uuid
import wave
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_plane.db.engine import make_engine
from control_plane.db.models import Recording, Voicemail
from control_plane.media.ng import NgClient
from control_plane.recordings.converter import CallRecording, RecordingConverter, VoicemailMessage
from control_plane.recordings.g711 import encode_ulaw, samples_of
from control_plane.recordings.spool import find_recordings, start_recording_extra
from tests.integration.media.conftest import Rtpengine
from tests.integration.media.rtp import caller_sdp, media_port, placeholder_answer
from tests.integration.recordings.conftest import Cast
from tests.unit.recordings.captures import rtp, tone, zero_crossings_hz

TICK = 0.02
DIGIT_TICKS = range(60, 65)  # the caller sends a '5' instead of audio for 100 ms


@pytest.fixture
def sockets(rtpengine: Rtpengine) -> Iterator[tuple[socket.socket, socket.socket]]:
    """The caller's and the agent's RTP sockets."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as caller, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as agent:
        caller.bind((rtpengine.topo.control_plane.address, 0))
        agent.bind((rtpengine.topo.control_plane.address, 0))
        yield caller, agent


def _agent_sdp(address: str, port: int) -> str:
    return caller_sdp(address, port).replace("o=caller", "o=agent")


def _packet(hertz: float, index: int, ssrc: int) -> bytes:
    return rtp(seq=1000 + index, ts=80_000 + 160 * index, ssrc=ssrc,
               payload=encode_ulaw(tone(hertz, 160, start=160 * index)))


async def _paced(ticks: int, send: object) -> None:
    """Call ``send(i)`` every 20 ms on an absolute schedule (no drift)."""
    assert callable(send)
    start = time.monotonic()
    for index in range(ticks):
        send(index)
        await asyncio.sleep(max(0.0, start + (index + 1) * TICK - time.monotonic()))


def _converter(rtpengine: Rtpengine, tmp_path: Path, cast: Cast,
               wait_seconds: float = 3.0) -> RecordingConverter:
    return RecordingConverter(spool_dir=rtpengine.recordings, recordings_root=tmp_path / "rec",
                              voicemail_root=tmp_path / "vm", index=cast.store,
                              wait_seconds=wait_seconds)


def _wav(path: Path) -> tuple[int, int, list[int]]:
    with wave.open(str(path)) as wav:
        return wav.getnchannels(), wav.getframerate(), samples_of(
            wav.readframes(wav.getnframes()))


async def test_two_party_call_is_recorded_as_stereo_wav(
    ng: NgClient, rtpengine: Rtpengine, sockets: tuple[socket.socket, socket.socket],
    sqlite_cast: Cast, tmp_path: Path,
) -> None:
    caller, agent = sockets
    call_id = f"rec-{uuid.uuid4().hex}@test"
    to_agent = await ng.offer(call_id=call_id, from_tag="C",
                              sdp=caller_sdp(*caller.getsockname()))
    to_caller = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                                sdp=_agent_sdp(*agent.getsockname()))
    # Everything the index needs goes with the recording: converting needs the Call-ID only.
    await ng.start_recording(call_id=call_id, extra=start_recording_extra(
        caller_sdp=to_caller.sdp, tenant="acme", queue_id=sqlite_cast.ids["sales"],
        agent_id=sqlite_cast.ids["ann"]))
    address = rtpengine.topo.rtpengine.address
    caller_to = (address, media_port(to_caller.sdp))
    agent_to = (address, media_port(to_agent.sdp))

    def send(i: int) -> None:
        if i in DIGIT_TICKS:  # RFC 4733 event 5, same SSRC and sequence space
            caller.sendto(rtp(seq=1000 + i, ts=80_000 + 160 * DIGIT_TICKS[0], ssrc=0xCA11,
                              pt=101, marker=i == DIGIT_TICKS[0],
                              payload=struct.pack("!BBH", 5, 10, 160 * (i - 59))), caller_to)
        else:
            caller.sendto(_packet(440, i, 0xCA11), caller_to)
        if 25 <= i < 75:
            agent.sendto(_packet(1000, i - 25, 0xA6E7), agent_to)

    await _paced(100, send)
    await ng.stop_recording(call_id=call_id)
    await ng.delete(call_id=call_id)

    done = await _converter(rtpengine, tmp_path, sqlite_cast).convert_call(
        CallRecording(call_id=call_id))
    channels, rate, samples = _wav(done.path)
    left, right = samples[0::2], samples[1::2]
    assert (channels, rate) == (2, 8000)
    assert done.duration_seconds == pytest.approx(2.0, abs=0.06)
    assert (done.caller_packets, done.agent_packets) == (95, 50)
    assert zero_crossings_hz(left[:60 * 160]) == pytest.approx(440, rel=0.02)
    assert zero_crossings_hz(left[65 * 160 : 100 * 160]) == pytest.approx(440, rel=0.03)
    assert set(left[60 * 160 + 20 : 65 * 160 - 20]) == {0}  # the digit is not audio
    agent_start = next(i for i, s in enumerate(right) if s != 0)
    assert agent_start == pytest.approx(25 * 160, abs=400)  # ~0.5 s, within 50 ms
    agent_audio = right[agent_start : agent_start + 50 * 160]
    assert zero_crossings_hz(agent_audio) == pytest.approx(1000, rel=0.02)
    assert set(right[agent_start + 50 * 160 + 400 :]) <= {0}
    assert find_recordings(rtpengine.recordings, call_id) == []  # RTPengine's files removed

    engine = make_engine(sqlite_cast.url)
    with Session(engine) as s:
        row = s.scalars(select(Recording).where(Recording.call_id == call_id)).one()
    engine.dispose()
    assert (row.tenant, row.queue_id, row.agent_id) == (
        "acme", sqlite_cast.ids["sales"], sqlite_cast.ids["ann"])
    assert row.file_path == str(done.path) and row.size_bytes == done.path.stat().st_size
    assert row.ended_at is not None
    assert abs(row.started_at - datetime.now(UTC)) < timedelta(seconds=30)
    assert (row.ended_at - row.started_at).total_seconds() == pytest.approx(
        row.duration_seconds)
    day = row.started_at
    assert done.path.parent == tmp_path / "rec" / "acme" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"


async def test_voicemail_after_a_bare_delete(
    ng: NgClient, rtpengine: Rtpengine, sockets: tuple[socket.socket, socket.socket],
    sqlite_cast: Cast, tmp_path: Path,
) -> None:
    # The far side is the placeholder (port 9): only the caller sends. No stop recording:
    # RTPengine finishes the files only once delete-delay (5 s here) has passed.
    caller, _ = sockets
    call_id = f"vm-{uuid.uuid4().hex}"
    offer = caller_sdp(*caller.getsockname())
    await ng.offer(call_id=call_id, from_tag="C", sdp=offer)
    to_caller = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                                sdp=placeholder_answer(offer))
    await ng.start_recording(call_id=call_id,
                             extra=start_recording_extra(caller_sdp=to_caller.sdp))
    target = (rtpengine.topo.rtpengine.address, media_port(to_caller.sdp))
    began = datetime.now(UTC)
    await _paced(100, lambda i: caller.sendto(_packet(600, i, 0x0F0F), target))
    await ng.delete(call_id=call_id)

    start = began + timedelta(seconds=0.5)
    done = await _converter(rtpengine, tmp_path, sqlite_cast, wait_seconds=15).convert_voicemail(
        VoicemailMessage(call_id=call_id, tenant="acme", queue_id=sqlite_cast.ids["sales"],
                         caller_number="+14155550100", start=start,
                         end=start + timedelta(seconds=1)))
    channels, rate, samples = _wav(done.path)
    assert (channels, rate, len(samples)) == (1, 8000, 8000)
    assert zero_crossings_hz(samples) == pytest.approx(600, rel=0.02)
    engine = make_engine(sqlite_cast.url)
    with Session(engine) as s:
        row = s.scalars(select(Voicemail).where(Voicemail.file_path == str(done.path))).one()
    engine.dispose()
    assert (row.tenant, row.queue_id, row.caller_number, row.listened) == (
        "acme", sqlite_cast.ids["sales"], "+14155550100", False)
    assert row.received_at == start and row.duration_seconds == 1.0


async def test_recording_stopped_and_restarted_is_one_wav_with_the_gap_silent(
    ng: NgClient, rtpengine: Rtpengine, sockets: tuple[socket.socket, socket.socket],
    sqlite_cast: Cast, tmp_path: Path,
) -> None:
    # RTPengine 10.5 starts a new pair of files (a new random tag) at each start recording;
    # the converter puts both on one time line.
    caller, agent = sockets
    call_id = f"rec-{uuid.uuid4().hex}"
    to_agent = await ng.offer(call_id=call_id, from_tag="C",
                              sdp=caller_sdp(*caller.getsockname()))
    to_caller = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                                sdp=_agent_sdp(*agent.getsockname()))
    extra = start_recording_extra(caller_sdp=to_caller.sdp)
    target = (rtpengine.topo.rtpengine.address, media_port(to_caller.sdp))
    assert media_port(to_agent.sdp) != target[1]
    for part in range(3):  # recorded, not recorded (e.g. a card number), recorded
        if part != 1:
            await ng.start_recording(call_id=call_id, extra=extra)
        await _paced(25, lambda i, p=part: caller.sendto(_packet(440, 25 * p + i, 0xCA11),
                                                          target))
        if part != 1:
            await asyncio.sleep(0.05)  # let RTPengine take the last packet before stopping
            await ng.stop_recording(call_id=call_id)
    assert len(find_recordings(rtpengine.recordings, call_id)) == 2
    await ng.delete(call_id=call_id)

    done = await _converter(rtpengine, tmp_path, sqlite_cast).convert_call(
        CallRecording(call_id=call_id, tenant="acme"))
    _, _, samples = _wav(done.path)
    left, right = samples[0::2], samples[1::2]
    assert done.caller_packets == 50 and set(right) == {0}
    assert done.duration_seconds == pytest.approx(1.5, abs=0.1)
    assert zero_crossings_hz(left[:3800]) == pytest.approx(440, rel=0.03)
    assert set(left[4400:7600]) == {0}  # the unrecorded half second
    assert zero_crossings_hz(left[8200:11800]) == pytest.approx(440, rel=0.03)
