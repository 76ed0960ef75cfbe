"""The ng client against a real RTPengine 10.5 (userspace, pcap recording, our own config)."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from control_plane.media.ng import NgClient
from control_plane.media.ng_errors import NgError, NgTimeout
from control_plane.media.ng_types import encode_request
from tests.integration.media.conftest import Rtpengine
from tests.integration.media.rtp import (
    RtpSender,
    caller_sdp,
    media_port,
    placeholder_answer,
    write_tone,
)


@pytest.fixture
def caller_socket(rtpengine: Rtpengine) -> Iterator[socket.socket]:
    """The caller's RTP socket, on an address of the test's own range."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((rtpengine.topo.control_plane.address, 0))
        yield sock


async def connect_call(ng: NgClient, sock: socket.socket) -> tuple[str, str]:
    """offer + placeholder answer as DESIGN §5 step 1; returns (call-id, caller's SDP)."""
    call_id = f"t-{uuid.uuid4().hex}"
    caller = caller_sdp(*sock.getsockname())
    await ng.offer(call_id=call_id, from_tag="C", sdp=caller)
    answered = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                               sdp=placeholder_answer(caller))
    return call_id, answered.sdp


async def test_ping(ng: NgClient) -> None:
    await ng.ping()


async def test_offer_and_answer_name_rtpengine(
    ng: NgClient, rtpengine: Rtpengine, caller_socket: socket.socket,
) -> None:
    caller = caller_sdp(*caller_socket.getsockname())
    call_id = f"t-{uuid.uuid4().hex}"
    offered = await ng.offer(call_id=call_id, from_tag="C", sdp=caller)
    answered = await ng.answer(call_id=call_id, from_tag="C", to_tag="B",
                               sdp=placeholder_answer(caller))
    address = rtpengine.topo.rtpengine.address
    for sdp in (offered.sdp, answered.sdp):
        assert f"c=IN IP4 {address}" in sdp
        assert sdp.split("\r\n")[1].endswith(f"IN IP4 {address}")  # o= replaced
        assert "telephone-event/8000" in sdp
    assert media_port(offered.sdp) != media_port(answered.sdp)
    await ng.delete(call_id=call_id)


async def test_query_counts_the_callers_packets(
    ng: NgClient, rtpengine: Rtpengine, caller_socket: socket.socket,
) -> None:
    call_id, to_caller = await connect_call(ng, caller_socket)
    RtpSender(caller_socket, (rtpengine.topo.rtpengine.address, media_port(to_caller))).pcmu(5)
    for _ in range(50):  # RTPengine counts on its own threads: wait for it, bounded
        result = await ng.query(call_id=call_id)
        if result.totals.rtp_packets >= 5:
            break
        await asyncio.sleep(0.05)
    assert result.totals.rtp_packets >= 5
    assert result.totals.rtp_bytes >= 5 * (12 + 160)
    assert set(result.tags) == {"C", "B"}
    await ng.delete(call_id=call_id)


async def test_play_media_stop_media_and_play_dtmf(
    ng: NgClient, rtpengine: Rtpengine, caller_socket: socket.socket, tmp_path: Path,
) -> None:
    call_id, to_caller = await connect_call(ng, caller_socket)
    tone = write_tone(rtpengine.run_dir / f"{call_id}.wav")
    played = await ng.play_media(call_id=call_id, from_tag="C", file=str(tone), repeat_times=2)
    assert played.duration_ms == 1000
    await ng.stop_media(call_id=call_id, from_tag="C")
    with pytest.raises(NgError, match="playback"):
        await ng.play_media(call_id=call_id, from_tag="C", file=str(tmp_path / "none.wav"))
    # play DTMF needs the party's media context: the caller sends first.
    RtpSender(caller_socket, (rtpengine.topo.rtpengine.address, media_port(to_caller))).pcmu(3)
    for _ in range(50):
        try:
            await ng.play_dtmf(call_id=call_id, from_tag="C", code="5")
            break
        except NgError as exc:
            assert "SSRC" in exc.reason  # not yet seen the caller's stream
            await asyncio.sleep(0.05)
    else:
        pytest.fail("play DTMF never accepted")
    await ng.delete(call_id=call_id)


async def test_recording_dtmf_and_media_controls(
    ng: NgClient, rtpengine: Rtpengine, caller_socket: socket.socket,
) -> None:
    call_id, _ = await connect_call(ng, caller_socket)
    await ng.start_recording(call_id=call_id)
    await ng.block_dtmf(call_id=call_id, from_tag="C", dtmf_security="silence")
    await ng.unblock_dtmf(call_id=call_id, from_tag="C")
    await ng.block_media(call_id=call_id, from_tag="C")
    await ng.unblock_media(call_id=call_id, from_tag="C")
    await ng.silence_media(call_id=call_id, from_tag="C")
    await ng.stop_recording(call_id=call_id)
    await ng.delete(call_id=call_id)
    assert any(call_id in path.name for path in rtpengine.recordings.rglob("*"))


async def test_subscribe_gives_a_send_only_sdp(
    ng: NgClient, caller_socket: socket.socket,
) -> None:
    call_id, _ = await connect_call(ng, caller_socket)
    subscription = await ng.subscribe_request(call_id=call_id, from_tags=["C", "B"])
    assert "a=sendonly" in subscription.sdp
    assert subscription.to_tag and set(subscription.from_tags) == {"C", "B"}
    supervisor = (
        "v=0\r\no=sup 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        "m=audio 41000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"
        "m=audio 41002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"
    )
    await ng.subscribe_answer(call_id=call_id, to_tag=subscription.to_tag, sdp=supervisor)
    await ng.unsubscribe(call_id=call_id, to_tag=subscription.to_tag)
    await ng.delete(call_id=call_id)


async def test_statistics_and_unknown_call(ng: NgClient) -> None:
    stats = await ng.statistics()
    assert "currentstatistics" in stats["statistics"]
    with pytest.raises(NgError) as info:
        await ng.query(call_id=f"unknown-{uuid.uuid4().hex}")
    assert info.value.reason == "Unknown call-id"


async def test_same_cookie_is_answered_from_rtpengines_cache(
    ng: NgClient, rtpengine: Rtpengine, caller_socket: socket.socket,
) -> None:
    """Why a retransmission keeps its cookie: RTPengine replays the first reply.

    ``subscribe request`` makes a new random to-tag each time it runs, so the same to-tag
    twice shows the second datagram was not executed again.
    """
    call_id, _ = await connect_call(ng, caller_socket)
    message = {"command": "subscribe request", "call-id": call_id, "from-tags": ["C"]}
    replies = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        for cookie in ("samecookie1", "samecookie1", "othercookie"):
            sock.sendto(encode_request(cookie, message), rtpengine.ng_address)
            replies.append(json.loads(sock.recv(65535).split(b" ", 1)[1]))
    assert replies[0]["result"] == "ok"
    assert replies[0]["to-tag"] == replies[1]["to-tag"] != replies[2]["to-tag"]
    await ng.delete(call_id=call_id)


async def test_dead_rtpengine_times_out_after_retries(rtpengine: Rtpengine) -> None:
    dead = (rtpengine.topo.rtpengine.address, rtpengine.topo.rtpengine.ng_port + 7)
    async with NgClient(dead, timeout=0.1, retries=2) as ng:
        with pytest.raises(NgTimeout) as info:
            await ng.ping()
    assert (info.value.address, info.value.attempts) == (dead, 3)
