"""DTMF digits from RTPengine's ``--dtmf-log-dest``: one UDP JSON datagram per digit.

RTPengine 10.5 sends, when a digit ends (RFC 4733 events, and in-band tones after
``unblock DTMF`` with ``detect-DTMF``)::

    {"callid": "...", "source_tag": "...", "tags": [...], "type": "DTMF",
     "timestamp": ..., "source_ip": "...", "event": 11, "duration": 120, "volume": 10}

``event`` is 0–9, 10 = ``*``, 11 = ``#``, 12–15 = ``A``–``D``; ``duration`` is in ms.
A malformed datagram is counted and logged and never stops the listener.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import structlog

log = structlog.get_logger(__name__)

DIGITS = "0123456789*#ABCD"


class MalformedDtmf(ValueError):
    """A datagram that is not one of RTPengine's DTMF reports."""


@dataclass(frozen=True, slots=True)
class DtmfEvent:
    """One digit pressed by the party ``tag`` of call ``call_id``."""

    call_id: str
    tag: str
    digit: str
    duration_ms: int
    volume: int


def event_to_digit(event: int) -> str:
    """RFC 4733 event code → digit character (10 → ``*``, 11 → ``#``, 12–15 → A–D)."""
    if isinstance(event, bool) or not isinstance(event, int) or not 0 <= event < len(DIGITS):
        raise MalformedDtmf(f"event {event!r} is not a DTMF event 0-15")
    return DIGITS[event]


def _int(payload: dict[str, Any], key: str) -> int:
    value = payload.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedDtmf(f"{key!r} is {value!r}, not an integer")
    return value


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedDtmf(f"{key!r} missing or not a string")
    return value


def parse_dtmf(data: bytes) -> DtmfEvent:
    """Parse one datagram; raise ``MalformedDtmf`` for anything else."""
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedDtmf(f"not JSON ({exc})") from None
    if not isinstance(payload, dict):
        raise MalformedDtmf("not a JSON object")
    if payload.get("type") != "DTMF":
        raise MalformedDtmf(f"type {payload.get('type')!r}, not 'DTMF'")
    if "event" not in payload:
        raise MalformedDtmf("no 'event'")
    return DtmfEvent(
        call_id=_text(payload, "callid"),
        tag=_text(payload, "source_tag"),
        digit=event_to_digit(payload["event"]),
        duration_ms=_int(payload, "duration"),
        volume=_int(payload, "volume"),
    )


DtmfCallback = Callable[[DtmfEvent], None]
"""Called on the event loop for each digit; schedule slow work, do not block."""


class _DtmfProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: DtmfListener) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.warning("dtmf_socket_error", error=str(exc))


class DtmfListener:
    """Binds ``address`` (the ``dtmf-log-dest`` RTPengine was given) and delivers digits."""

    def __init__(self, address: tuple[str, int], on_event: DtmfCallback) -> None:
        self.address = address
        self.on_event = on_event
        self.received = 0
        self.delivered = 0
        self.malformed = 0
        self.callback_errors = 0
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def bound_address(self) -> tuple[str, int]:
        """The address actually bound (useful with port 0)."""
        if self._transport is None:
            raise RuntimeError("DTMF listener not started")
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def start(self) -> None:
        """Bind the UDP socket (idempotent)."""
        if self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _DtmfProtocol(self), local_addr=self.address,
        )
        log.info("dtmf_listening", address=f"{self.address[0]}:{self.address[1]}")

    def close(self) -> None:
        """Unbind."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def on_datagram(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Parse and deliver one datagram; count and log anything that goes wrong."""
        self.received += 1
        try:
            event = parse_dtmf(data)
        except MalformedDtmf as exc:
            self.malformed += 1
            log.warning("dtmf_malformed", source=str(addr), error=str(exc), size=len(data))
            return
        try:
            self.on_event(event)
        except Exception:
            # One broken consumer must not stop the digits of every other call.
            self.callback_errors += 1
            log.exception("dtmf_callback_failed", call_id=event.call_id, digit=event.digit)
            return
        self.delivered += 1
