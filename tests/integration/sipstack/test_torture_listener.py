"""The RFC 4475 messages as raw UDP datagrams against a live UserAgent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from control_plane.sipstack.ua import UserAgent

from .helpers import loopback_host

RFC4475 = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "rfc4475"

# What the listener answers to each torture request (the answer is matched by Call-ID).
# Invalid ones get the parser's 400/505; valid ones the UA's own checks: 405 for methods
# it does not allow, 416 for schemes it cannot route, 420 for unknown Require, 200 to
# OPTIONS, 481 to wsinv (its To tag names a dialog we do not have), and 501 from the
# default handler to the other INVITEs (after 100 Trying).
EXPECTED = {
    "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "quotbal": 400,
    "ltgtruri": 400, "lwsruri": 400, "lwsstart": 400, "trws": 400, "escruri": 400,
    "baddate": 400, "regbadct": 400, "badaspec": 400, "baddn": 400, "badvers": 505,
    "mismatch01": 400, "mismatch02": 400, "insuf": 400, "multi01": 400, "mcl01": 400,
    "unkscm": 416, "novelsc": 416, "bext01": 420, "wsinv": 481, "invut": 501, "sdp01": 501,
    "esc01": 501, "longreq": 501, "inv2543": 501, "lwsdisp": 200,
    "transports": 200, "zeromf": 200, "badbranch": 200, "semiuri": 200, "regaut01": 405,
    "dblreq": 405, "cparam01": 405, "cparam02": 405, "regescrt": 405, "escnull": 405,
    "unksm2": 405, "esc02": 405, "intmeth": 405, "mpart01": 405,
}  # fmt: skip
# Responses (bcast, noreason, unreason, bigcode, scalarlg) and test.dat (no Via) get nothing.
SILENT = {"bcast", "noreason", "unreason", "bigcode", "scalarlg", "test"}
# Answers are matched by Call-ID, or by CSeq for the one message without Call-ID (insuf).
_CALL_ID = re.compile(rb"^(?:Call-ID|i)[ \t]*:[ \t]*(\S+)", re.I | re.M)
_CSEQ = re.compile(rb"^CSeq[ \t]*:[ \t]*(\d+)", re.I | re.M)


def identity(data: bytes) -> bytes | None:
    """The Call-ID of a message, else its CSeq number."""
    match = _CALL_ID.search(data) or _CSEQ.search(data)
    return match[1] if match else None


_STATUS = re.compile(rb"^SIP/2\.0 (\d{3}) ")


class Collector(asyncio.DatagramProtocol):
    """A UDP client socket that keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._arrived = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received.append(data)
        self._arrived.set()

    async def until(self, condition: Callable[[list[bytes]], bool], limit: float = 10) -> None:
        """Wait until `condition(received)` holds; fails after `limit` seconds."""
        async with asyncio.timeout(limit):
            while not condition(self.received):
                self._arrived.clear()
                await self._arrived.wait()


def final_statuses(datagrams: list[bytes]) -> dict[bytes, set[int]]:
    """Call-ID -> the final statuses received for it."""
    seen: dict[bytes, set[int]] = {}
    for data in datagrams:
        status, key = _STATUS.match(data), identity(data)
        if status and key and int(status[1]) >= 200:
            seen.setdefault(key, set()).add(int(status[1]))
    return seen


def options_probe(host: str, port: int, client_host: str, call_id: str) -> bytes:
    """An OPTIONS request to check that a listener still answers."""
    return (
        f"OPTIONS sip:ping@{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {client_host};branch=z9hG4bK{call_id}\r\n"
        "From: <sip:probe@example.com>;tag=p\r\nTo: <sip:ping@example.com>\r\n"
        f"Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


async def test_listener_answers_torture_and_keeps_serving() -> None:
    messages = {p.stem: p.read_bytes() for p in sorted(RFC4475.glob("*.dat"))}
    assert set(EXPECTED) | SILENT == set(messages)
    # One listener per message: several torture messages share branch and sent-by, so
    # on one listener they would rightly match one transaction (RFC 3261 §17.2.3).
    host = loopback_host()
    agents = {name: UserAgent(host, 0) for name in messages}
    loop = asyncio.get_running_loop()
    client_host = loopback_host()
    client, collector = await loop.create_datagram_endpoint(Collector, local_addr=(client_host, 0))
    try:
        for ua in agents.values():
            await ua.start()
        for name, data in messages.items():
            client.sendto(data, (host, agents[name].transport.port))
        wanted = {identity(messages[name]) for name in EXPECTED}
        await collector.until(lambda got: wanted <= set(final_statuses(got)))
        await asyncio.sleep(0.2)  # room for a wrong second answer to show up
        answers = final_statuses(collector.received)
        for name, status in EXPECTED.items():
            assert answers.get(identity(messages[name]) or b"?") == {status}, name
        for name in SILENT:
            assert identity(messages[name]) not in answers, name
        for name, ua in agents.items():
            probe = options_probe(host, ua.transport.port, client_host, f"probe-{name}")
            client.sendto(probe, (host, ua.transport.port))
        probes = {f"probe-{name}".encode() for name in agents}
        await collector.until(lambda got: probes <= set(final_statuses(got)))
        answers = final_statuses(collector.received)
        for name in agents:
            assert answers.get(f"probe-{name}".encode()) == {200}, name
        assert sum(ua.transport.receiver.parse_errors for ua in agents.values()) == 23
    finally:
        client.close()
        for ua in agents.values():
            await ua.close()
