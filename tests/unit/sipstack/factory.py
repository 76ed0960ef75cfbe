"""Builders of small, valid SIP messages for the unit tests."""

from __future__ import annotations

from control_plane.sipstack.headers import Address, CSeq, Via
from control_plane.sipstack.message import SipMessage, SipRequest, SipResponse, make_response
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.timers import ManualClock
from control_plane.sipstack.transaction import TransactionUser
from control_plane.sipstack.transaction_server import InviteServerTransaction, ServerTransaction
from control_plane.sipstack.uri import Params, SipUri

ALICE = Peer("192.0.2.1", 5060)
ALICE_TCP = Peer("192.0.2.1", 5060, "TCP")


def request(
    method: str = "INVITE",
    *,
    branch: str | None = "z9hG4bKtest1",
    seq: int = 1,
    call_id: str = "call-1@192.0.2.1",
    from_tag: str = "alice-tag",
    to_tag: str | None = None,
    transport: str = "UDP",
) -> SipRequest:
    """A request from alice to bob."""
    params = Params((("branch", branch),)) if branch is not None else Params()
    to = Address(SipUri(host="example.com", user="bob"))
    return SipRequest(
        method=method,
        uri=SipUri(host="example.com", user="bob"),
        via=(Via(transport, "192.0.2.1", 5060, params),),
        from_=Address(
            SipUri(host="example.com", user="alice"), params=Params((("tag", from_tag),))
        ),
        to=to if to_tag is None else to.with_tag(to_tag),
        call_id=call_id,
        cseq=CSeq(seq, method),
        contact=(Address(SipUri(host="192.0.2.1", port=5060)),),
    )


def answer(req: SipRequest, status: int, to_tag: str = "bob-tag") -> SipResponse:
    """A response to `req` with a To tag."""
    return make_response(req, status, to_tag=to_tag)


class Recorder(TransactionUser):
    """A transaction user and a transport that remember everything."""

    def __init__(self) -> None:
        self.sent: list[tuple[SipMessage, Peer]] = []
        self.requests: list[tuple[SipRequest, ServerTransaction]] = []
        self.acks: list[SipRequest] = []
        self.cancelled: list[InviteServerTransaction] = []
        self.no_ack: list[InviteServerTransaction] = []
        self.strays: list[SipResponse] = []
        self.fail_sends = False
        self.sent_at: list[float] = []
        self.clock: ManualClock | None = None

    def send(self, message: SipMessage, peer: Peer) -> None:
        if self.fail_sends:
            raise OSError("network is unreachable")
        self.sent.append((message, peer))
        if self.clock is not None:
            self.sent_at.append(self.clock.now)

    def on_request(self, request: SipRequest, transaction: ServerTransaction, peer: Peer) -> None:
        self.requests.append((request, transaction))

    def on_ack(self, request: SipRequest, peer: Peer) -> None:
        self.acks.append(request)

    def on_cancel(self, invite: InviteServerTransaction) -> None:
        self.cancelled.append(invite)

    def on_no_ack(self, invite: InviteServerTransaction) -> None:
        self.no_ack.append(invite)

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None:
        self.strays.append(response)

    def sent_requests(self, method: str) -> list[SipRequest]:
        return [m for m, _ in self.sent if isinstance(m, SipRequest) and m.method == method]

    def sent_statuses(self) -> list[int]:
        return [m.status for m, _ in self.sent if isinstance(m, SipResponse)]
