"""The ng request/reply machinery: one UDP socket, cookies matched to pending futures.

Every request gets a fresh cookie; a retransmission reuses it, so RTPengine's cookie cache
answers a repeated offer with the same reply instead of acting twice. Replies are matched
by a dict lookup (never a scan of pending requests: that made cost grow with the square of
the rate in the SIP prototype, DESIGN §5). Late replies to requests that already timed out
and duplicate replies to retransmissions are counted and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import socket
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from control_plane.media.ng_errors import NgClosed, NgFailure, NgProtocolError, NgTimeout
from control_plane.media.ng_types import Reply, check_result, decode_reply, encode_request
from control_plane.media.ng_types import split_datagram as _split

log = structlog.get_logger(__name__)

RoundTripHook = Callable[[str, float, bool], None]
"""``on_round_trip(command, seconds, ok)``: one call per request, after its outcome."""

# Bursts of replies (statistics, many queries) must not be dropped by a small default buffer.
RECV_BUFFER_BYTES = 4 * 1024 * 1024


class _NgProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: NgTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.owner.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error (e.g. port unreachable) is not fatal: the request times out and
        # retries, which also covers an RTPengine that is restarting.
        log.warning("ng_socket_error", error=str(exc), ng=self.owner.address_text)


class NgTransport:
    """Sends ng requests to one RTPengine and awaits their replies, with retries."""

    def __init__(
        self, address: tuple[str, int], *, timeout: float = 1.0, retries: int = 2,
        on_round_trip: RoundTripHook | None = None, local_address: tuple[str, int] | None = None,
    ) -> None:
        if timeout <= 0 or retries < 0:
            raise ValueError("timeout must be > 0 and retries >= 0")
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self.on_round_trip = on_round_trip
        self.local_address = local_address or ("0.0.0.0", 0)
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: dict[str, tuple[str, asyncio.Future[Reply]]] = {}
        # A random prefix keeps cookies unique across restarts and client instances.
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self.retransmissions = 0
        self.unmatched_replies = 0

    @property
    def address_text(self) -> str:
        """``host:port`` of RTPengine's ng socket, for logs."""
        return f"{self.address[0]}:{self.address[1]}"

    @property
    def pending(self) -> int:
        """Requests awaiting a reply."""
        return len(self._pending)

    async def start(self) -> None:
        """Open the UDP socket (idempotent)."""
        if self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _NgProtocol(self), local_addr=self.local_address,
        )
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER_BYTES)
        self._transport = transport

    def close(self) -> None:
        """Close the socket; pending requests fail with ``NgClosed``."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        for command, future in self._pending.values():
            if not future.done():
                future.set_exception(NgClosed(command))
        self._pending.clear()

    def next_cookie(self) -> str:
        """A cookie no other request of this client used."""
        return f"{self._prefix}{next(self._counter)}"

    def on_datagram(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Resolve the pending request the reply's cookie names; drop anything else."""
        try:
            cookie, body = _split(data)
        except ValueError:
            self.unmatched_replies += 1
            log.warning("ng_reply_without_cookie", source=str(addr), size=len(data))
            return
        entry = self._pending.get(cookie)
        if entry is None or entry[1].done():
            # A reply after its request timed out, or the second answer to a retransmission.
            self.unmatched_replies += 1
            log.debug("ng_reply_unmatched", cookie=cookie, source=str(addr))
            return
        command, future = entry
        try:
            future.set_result(decode_reply(command, body))
        except NgProtocolError as exc:
            future.set_exception(exc)

    async def request(self, command: str, message: Mapping[str, Any]) -> Reply:
        """Send ``message`` (which names ``command``) and return RTPengine's accepted reply.

        Raises ``NgTimeout`` after ``1 + retries`` attempts of ``timeout`` seconds each,
        ``NgError`` when RTPengine refuses, ``NgProtocolError`` for a malformed reply.
        """
        if self._transport is None:
            raise NgClosed(command)
        loop = asyncio.get_running_loop()
        cookie = self.next_cookie()
        data = encode_request(cookie, message)
        future: asyncio.Future[Reply] = loop.create_future()
        self._pending[cookie] = (command, future)
        started = loop.time()
        ok = False
        try:
            reply = await self._exchange(command, data, future)
            ok = True
            return check_result(command, reply)
        except NgFailure:
            ok = False
            raise
        finally:
            self._pending.pop(cookie, None)
            if not future.done():
                future.cancel()
            self._report(command, loop.time() - started, ok=ok)

    async def _exchange(self, command: str, data: bytes, future: asyncio.Future[Reply]) -> Reply:
        attempts = 1 + self.retries
        for attempt in range(1, attempts + 1):
            if self._transport is None:
                raise NgClosed(command)
            if attempt > 1:
                self.retransmissions += 1
                log.info("ng_retransmit", command=command, attempt=attempt, ng=self.address_text)
            self._transport.sendto(data, self.address)
            try:
                # shield: a timed-out attempt must not cancel the future the next one awaits.
                return await asyncio.wait_for(asyncio.shield(future), self.timeout)
            except TimeoutError:
                continue
        raise NgTimeout(command, self.address, attempts)

    def _report(self, command: str, seconds: float, *, ok: bool) -> None:
        if self.on_round_trip is None:
            return
        try:
            self.on_round_trip(command, seconds, ok)
        except Exception:
            # A broken metrics hook must never fail a call.
            log.exception("ng_round_trip_hook_failed", command=command)
