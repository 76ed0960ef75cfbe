"""SIP over UDP and TCP on asyncio (RFC 3261 §18).

Every datagram or stream frame is parsed here; a request that fails to parse is answered
with a stateless 400 (505, …) when its Via can be read, anything else unparsable is
dropped, and the listener keeps serving. Incoming requests get `received`/`rport` on their
top Via (RFC 3261 §18.2.1, RFC 3581) and answers go back to the source address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import replace
from typing import cast

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.message import SipMessage, SipRequest
from control_plane.sipstack.parse import error_reply, parse_message
from control_plane.sipstack.peer import Peer

log = logging.getLogger(__name__)

MessageHandler = Callable[[SipMessage, Peer], None]
RECEIVE_BUFFER = 8 * 1024 * 1024  # bursts of INVITEs overflow the default buffer
MAX_HEAD = 64 * 1024
_CONTENT_LENGTH_RE = re.compile(rb"^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$", re.I | re.M)


def stamp_via(request: SipRequest, peer: Peer) -> SipRequest:
    """Add received (if the source differs from sent-by) and fill an empty rport."""
    via = request.top_via
    params = via.params
    if via.host != peer.host:
        params = params.set("received", peer.host)
    if params.has("rport") and not params.get("rport"):
        params = params.set("rport", str(peer.port)).set("received", peer.host)
    if params is via.params:
        return request
    return replace(request, via=(replace(via, params=params), *request.via[1:]))


class Receiver:
    """Turns bytes into messages for the handler, answering what cannot be parsed."""

    def __init__(self, handler: MessageHandler) -> None:
        self._handler = handler
        self.parse_errors = 0

    def feed(self, data: bytes, peer: Peer, reply: Callable[[bytes], None]) -> None:
        """Parse one message and pass it on; never raises."""
        try:
            message = parse_message(data)
        except SipParseError as error:
            self.parse_errors += 1
            answer = error_reply(data, error)
            log.info("unparsable SIP from %s: %s", peer, error.reason)
            if answer is not None:
                with contextlib.suppress(OSError):
                    reply(answer)
            return
        if isinstance(message, SipRequest):
            message = stamp_via(message, peer)
        try:
            self._handler(message, peer)
        except Exception:  # one bad message must not stop the listener
            log.exception("handler failed on a message from %s", peer)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        if not data.strip(b"\r\n"):
            return  # keep-alive
        peer = Peer(str(addr[0]), int(str(addr[1])), "UDP")
        transport = self.transport
        if transport is not None:
            self._receiver.feed(data, peer, lambda raw: transport.sendto(raw, addr[:2]))

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)


class _TcpConnection(asyncio.Protocol):
    """One TCP connection: frames messages by Content-Length (RFC 3261 §18.3)."""

    def __init__(self, owner: SipTransport) -> None:
        self._owner = owner
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer: Peer | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = Peer(str(host), int(port), "TCP")
        self._owner.connections[(self.peer.host, self.peer.port)] = self

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self._owner.connections.pop((self.peer.host, self.peer.port), None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self.peer is not None and self.transport is not None:
            while self._buffer[:2] == b"\r\n":
                del self._buffer[:2]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    self.transport.close()
                return
            match = _CONTENT_LENGTH_RE.search(bytes(self._buffer[:end]))
            size = end + 4 + (int(match[1]) if match else 0)
            if len(self._buffer) < size:
                return
            frame = bytes(self._buffer[:size])
            del self._buffer[:size]
            self._owner.receiver.feed(frame, self.peer, self.transport.write)

    def send(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise OSError("TCP connection closed")
        self.transport.write(data)


class SipTransport:
    """A UDP socket and optionally a TCP listener on one local address."""

    def __init__(self, host: str, port: int, handler: MessageHandler, *, tcp: bool = False):
        self.host = host
        self.port = port
        self.receiver = Receiver(handler)
        self.connections: dict[tuple[str, int], _TcpConnection] = {}
        self._want_tcp = tcp
        self._udp: _UdpProtocol | None = None
        self._tcp_server: asyncio.Server | None = None
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Bind the sockets (port 0 picks a free port, then `self.port` tells which)."""
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self.receiver), local_addr=(self.host, self.port)
        )
        self._udp = protocol
        assert protocol.transport is not None
        self.port = int(protocol.transport.get_extra_info("sockname")[1])
        if self._want_tcp:
            self._tcp_server = await loop.create_server(
                lambda: _TcpConnection(self), self.host, self.port, reuse_address=True
            )

    def send(self, message: SipMessage, peer: Peer) -> None:
        """Send now over UDP or an open TCP connection; a new TCP connection is opened
        in the background (a failure then shows up as the transaction's timeout)."""
        data = message.encode()
        if not peer.reliable:
            if self._udp is None or self._udp.transport is None:
                raise OSError("transport is not started")
            self._udp.transport.sendto(data, (peer.host, peer.port))
            return
        connection = self.connections.get((peer.host, peer.port))
        if connection is not None:
            connection.send(data)
            return
        task = asyncio.get_running_loop().create_task(self._connect_and_send(peer, data))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _connect_and_send(self, peer: Peer, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _TcpConnection(self), peer.host, peer.port
            )
            connection.send(data)
        except OSError as error:
            log.warning("TCP connection to %s failed: %s", peer, error)

    async def close(self) -> None:
        """Close every socket."""
        for task in list(self._pending):
            task.cancel()
        if self._udp is not None and self._udp.transport is not None:
            self._udp.transport.close()
        for connection in list(self.connections.values()):
            if connection.transport is not None:
                connection.transport.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()
