"""The ng client against a tiny fake UDP responder.

This is the unit layer: the fake only stands in for RTPengine where the real one cannot be
made to misbehave on demand (lost requests, late or duplicate replies, garbage), so retries
and timeouts are tested deterministically. Real RTPengine behaviour is covered in
``tests/integration/media``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest

from control_plane.media.ng import NgClient
from control_plane.media.ng_errors import NgClosed, NgError, NgProtocolError, NgTimeout

Answer = Callable[[str, dict[str, Any], int], "bytes | None"]


class FakeRtpengine(asyncio.DatagramProtocol):
    """Records requests; ``answer(cookie, message, n)`` gives the reply or None (lost)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        cookie, body = data.decode().split(" ", 1)
        message = json.loads(body)
        self.requests.append((cookie, message))
        reply = self.answer(cookie, message, len(self.requests))
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


def ok(cookie: str, payload: dict[str, Any]) -> bytes:
    return f"{cookie} {json.dumps(payload)}".encode()


@pytest.fixture
async def responder() -> AsyncIterator[Callable[[Answer], Any]]:
    """Start a fake on a free loopback port; yields a factory, stops them all after."""
    started: list[asyncio.DatagramTransport] = []

    async def start(answer: Answer) -> FakeRtpengine:
        loop = asyncio.get_running_loop()
        transport, fake = await loop.create_datagram_endpoint(
            lambda: FakeRtpengine(answer), local_addr=("127.0.0.1", 0))
        started.append(transport)
        return fake

    yield start
    for transport in started:
        transport.close()


def address(fake: FakeRtpengine) -> tuple[str, int]:
    assert fake.transport is not None
    host, port = fake.transport.get_extra_info("sockname")[:2]
    return host, port


async def test_lost_requests_are_retried_with_the_same_cookie(responder: Any) -> None:
    fake = await responder(lambda c, m, n: ok(c, {"result": "pong"}) if n == 3 else None)
    async with NgClient(address(fake), timeout=0.05, retries=2) as ng:
        await ng.ping()
        assert ng.transport.retransmissions == 2
    assert len({cookie for cookie, _ in fake.requests}) == 1
    assert len(fake.requests) == 3


async def test_no_reply_raises_timeout_after_every_attempt(responder: Any) -> None:
    fake = await responder(lambda c, m, n: None)
    async with NgClient(address(fake), timeout=0.02, retries=1) as ng:
        with pytest.raises(NgTimeout) as info:
            await ng.query(call_id="x")
        assert ng.transport.pending == 0
    assert (info.value.command, info.value.attempts) == ("query", 2)
    assert info.value.address == address(fake)
    assert len(fake.requests) == 2


async def test_each_request_gets_its_own_cookie_and_late_replies_are_dropped(
    responder: Any,
) -> None:
    held: list[bytes] = []

    def answer(cookie: str, message: dict[str, Any], n: int) -> bytes | None:
        if n == 1:  # the first request's only reply arrives after it timed out
            held.append(ok(cookie, {"result": "pong"}))
            return None
        return held.pop() if held else ok(cookie, {"result": "pong"})

    fake = await responder(answer)
    async with NgClient(address(fake), timeout=0.02, retries=0) as ng:
        with pytest.raises(NgTimeout):
            await ng.ping()
        # The second request triggers the stale reply (wrong cookie), then times out again:
        with pytest.raises(NgTimeout):
            await ng.ping()
        assert ng.transport.unmatched_replies == 1
        await ng.ping()
    assert len({cookie for cookie, _ in fake.requests}) == 3


async def test_duplicate_replies_do_not_disturb(responder: Any) -> None:
    def answer(cookie: str, message: dict[str, Any], n: int) -> bytes:
        return ok(cookie, {"result": "ok", "duration": 500})

    fake = await responder(answer)
    async with NgClient(address(fake), timeout=1.0, retries=0) as ng:
        assert fake.transport is not None
        first = await ng.play_media(call_id="x", from_tag="C", file="/p.wav")
        cookie, _ = fake.requests[0]
        fake.transport.sendto(ok(cookie, {"result": "ok"}), ("127.0.0.1", 1))  # harmless
        second = await ng.stop_media(call_id="x", from_tag="C")
    assert first.duration_ms == 500 and second["result"] == "ok"


async def test_error_and_garbage_replies_map_to_typed_errors(responder: Any) -> None:
    def answer(cookie: str, message: dict[str, Any], n: int) -> bytes:
        if message["command"] == "query":
            return ok(cookie, {"result": "error", "error-reason": "Unknown call-id"})
        if message["command"] == "play media":
            return ok(cookie, {"result": "ok"})  # nothing was played
        return f"{cookie} d6:result2:oke".encode()

    fake = await responder(answer)
    async with NgClient(address(fake), timeout=1.0, retries=0) as ng:
        with pytest.raises(NgError, match="Unknown call-id"):
            await ng.query(call_id="x")
        with pytest.raises(NgError, match="nothing was played"):
            await ng.play_media(call_id="x", from_tag="C", file="/p.wav")
        with pytest.raises(NgProtocolError):
            await ng.statistics()


async def test_offer_answer_carry_the_design_defaults(responder: Any) -> None:
    fake = await responder(lambda c, m, n: ok(c, {"result": "ok", "sdp": "v=0\r\n"}))
    async with NgClient(address(fake)) as ng:
        await ng.offer(call_id="X", from_tag="C", sdp="v=0\r\n")
        await ng.answer(call_id="X", from_tag="C", to_tag="B", sdp="v=0\r\n",
                        extra={"codec": {"transcode": ["PCMA"]}})
        await ng.unblock_dtmf(call_id="X", from_tag="C")
        await ng.block_dtmf(call_id="X", from_tag="C", dtmf_security="silence")
    offer, answer, unblock, block = (message for _, message in fake.requests)
    for message in (offer, answer):
        assert message["flags"] == ["trust-address", "port-latching"]
        assert message["replace"] == ["origin", "session-connection"]
    assert "to-tag" not in offer
    assert answer["to-tag"] == "B" and answer["codec"] == {"transcode": ["PCMA"]}
    assert unblock == {"command": "unblock DTMF", "call-id": "X", "from-tag": "C",
                       "delay-buffer": 0, "flags": ["detect-DTMF"]}
    assert block["DTMF-security"] == "silence"


async def test_round_trip_hook_sees_every_outcome(responder: Any) -> None:
    seen: list[tuple[str, bool]] = []
    fake = await responder(lambda c, m, n: (
        ok(c, {"result": "pong"}) if m["command"] == "ping"
        else ok(c, {"result": "error", "error-reason": "no"})))
    async with NgClient(address(fake), on_round_trip=lambda c, s, o: seen.append((c, o))) as ng:
        await ng.ping()
        with pytest.raises(NgError):
            await ng.delete(call_id="x")
    assert seen == [("ping", True), ("delete", False)]


async def test_close_fails_pending_requests(responder: Any) -> None:
    arrived = asyncio.Event()
    fake = await responder(lambda c, m, n: arrived.set())
    ng = NgClient(address(fake), timeout=5, retries=0)
    await ng.start()
    pending = asyncio.create_task(ng.ping())
    await asyncio.wait_for(arrived.wait(), 5)
    ng.close()
    with pytest.raises(NgClosed):
        await pending
    with pytest.raises(NgClosed):
        await ng.ping()
