"""DTMF datagram parsing and the listener's robustness (unit layer: loopback socket only)."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from control_plane.media.dtmf import (
    DtmfEvent,
    DtmfListener,
    MalformedDtmf,
    event_to_digit,
    parse_dtmf,
)

REPORT = {"callid": "X", "source_tag": "C", "tags": ["C", "B"], "type": "DTMF",
          "timestamp": 1, "source_ip": "127.0.0.1", "event": 11, "duration": 120, "volume": 10}


@pytest.mark.parametrize(("event", "digit"), [
    (0, "0"), (5, "5"), (9, "9"), (10, "*"), (11, "#"), (12, "A"), (15, "D")])
def test_event_codes_map_to_digits(event: int, digit: str) -> None:
    assert event_to_digit(event) == digit


@pytest.mark.parametrize("event", [-1, 16, True, "5", 1.0])
def test_bad_event_codes_are_refused(event: object) -> None:
    with pytest.raises(MalformedDtmf):
        event_to_digit(event)  # type: ignore[arg-type]


def test_parse_rtpengine_report() -> None:
    assert parse_dtmf(json.dumps(REPORT).encode()) == DtmfEvent("X", "C", "#", 120, 10)


@pytest.mark.parametrize("data", [
    b"", b"not json", b"[1,2]", b'{"type":"DTMF"}',
    json.dumps({**REPORT, "type": "other"}).encode(),
    json.dumps({**REPORT, "event": 42}).encode(),
    json.dumps({**REPORT, "callid": 5}).encode(),
    json.dumps({**REPORT, "duration": "long"}).encode(),
    b"\xff\xfe",
])
def test_malformed_datagrams_raise(data: bytes) -> None:
    with pytest.raises(MalformedDtmf):
        parse_dtmf(data)


async def test_listener_survives_garbage_and_a_failing_callback() -> None:
    got: list[DtmfEvent] = []
    arrived = asyncio.Event()

    def on_event(event: DtmfEvent) -> None:
        if event.digit == "1":
            raise RuntimeError("consumer bug")
        got.append(event)
        arrived.set()

    async with DtmfListener(("127.0.0.1", 0), on_event) as listener:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"garbage", listener.bound_address)
            sender.sendto(json.dumps({**REPORT, "event": 1}).encode(), listener.bound_address)
            sender.sendto(json.dumps(REPORT).encode(), listener.bound_address)
            await asyncio.wait_for(arrived.wait(), 5)
    assert got == [DtmfEvent("X", "C", "#", 120, 10)]
    assert (listener.received, listener.malformed, listener.callback_errors,
            listener.delivered) == (3, 1, 1, 1)
