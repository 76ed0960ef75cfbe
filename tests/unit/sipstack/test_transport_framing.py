"""Transport logic without sockets: TCP framing, Via stamping, answers to garbage."""

from __future__ import annotations

from control_plane.sipstack.headers import Via
from control_plane.sipstack.message import SipMessage
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.transport import Receiver, SipTransport, _TcpConnection, stamp_via
from control_plane.sipstack.uri import Params

from .factory import request


class FakeStream:
    """Stands in for an asyncio.Transport."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def get_extra_info(self, name: str) -> tuple[str, int]:
        return ("192.0.2.7", 40000)

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


def connection() -> tuple[_TcpConnection, list[SipMessage], FakeStream]:
    got: list[SipMessage] = []
    owner = SipTransport("127.0.0.1", 0, lambda message, _peer: got.append(message), tcp=True)
    conn = _TcpConnection(owner)
    stream = FakeStream()
    conn.connection_made(stream)  # type: ignore[arg-type]
    return conn, got, stream


def test_frames_split_and_glued_by_content_length() -> None:
    conn, got, _ = connection()
    first = request("MESSAGE", branch="z9hG4bK1").evolve(body=b"hello\r\n\r\nworld").encode()
    second = request("OPTIONS", branch="z9hG4bK2").encode()
    stream = b"\r\n\r\n" + first + second  # keep-alive CRLFs first
    for i in range(0, len(stream), 7):
        conn.data_received(stream[i : i + 7])
    assert [m.cseq.method for m in got] == ["MESSAGE", "OPTIONS"]
    assert got[0].body == b"hello\r\n\r\nworld"


def test_unparsable_frame_gets_400_on_the_same_connection() -> None:
    conn, got, stream = connection()
    broken = request("OPTIONS").encode().replace(b"CSeq: 1 OPTIONS", b"CSeq: x OPTIONS")
    conn.data_received(broken + request("OPTIONS", branch="z9hG4bK3").encode())
    assert len(got) == 1  # the next message on the stream still gets through
    assert stream.written and stream.written[0].startswith(b"SIP/2.0 400 Bad CSeq")


def test_oversized_head_closes_the_connection() -> None:
    conn, got, stream = connection()
    conn.data_received(b"OPTIONS sip:a@b SIP/2.0\r\nX: " + b"y" * 70000)
    assert stream.closed and got == []


def test_received_and_rport_are_stamped() -> None:
    via = Via("UDP", "host.example.com", 5060, Params((("branch", "z9hG4bK1"), ("rport", None))))
    stamped = stamp_via(request("OPTIONS").evolve(via=(via,)), Peer("192.0.2.9", 41000))
    assert stamped.top_via.received == "192.0.2.9" and stamped.top_via.rport == 41000
    same = request("OPTIONS")  # sent-by is already the source address, no rport asked
    assert stamp_via(same, Peer("192.0.2.1", 5060)) is same


def test_receiver_survives_a_failing_handler() -> None:
    def explode(message: SipMessage, peer: Peer) -> None:
        raise RuntimeError("bug in the application")

    replies: list[bytes] = []
    receiver = Receiver(explode)
    receiver.feed(request("OPTIONS").encode(), Peer("192.0.2.1", 5060), replies.append)
    receiver.feed(b"\x00garbage", Peer("192.0.2.1", 5060), replies.append)
    assert receiver.parse_errors == 1 and replies == []
