"""The transaction layer: tables of client and server transactions, matched by key.

Every incoming message costs one dict lookup (never a scan of all transactions: that made
cost grow with the square of the rate in an earlier experiment). Keys follow RFC 3261
§17.1.3 (branch + CSeq method) and §17.2.3 (branch + sent-by + method, ACK counted as
INVITE), with the RFC 2543 fallback for branches without the magic cookie.
"""

from __future__ import annotations

from typing import Protocol

from control_plane.sipstack.message import SipMessage, SipRequest, SipResponse, make_response
from control_plane.sipstack.peer import MAGIC_COOKIE, Peer, Sender, new_tag
from control_plane.sipstack.timers import Clock, TimerConfig
from control_plane.sipstack.transaction_base import Context, State, Transaction, derived_request
from control_plane.sipstack.transaction_client import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
    ResponseHandler,
)
from control_plane.sipstack.transaction_server import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)

ServerKey = tuple[str, ...]


class TransactionUser(Protocol):
    """What sits above the transaction layer (the UA core): it receives what is new."""

    def on_request(self, request: SipRequest, transaction: ServerTransaction, peer: Peer) -> None:
        """A new request (not ACK, not CANCEL) with its fresh server transaction."""

    def on_ack(self, request: SipRequest, peer: Peer) -> None:
        """An ACK for a 2xx (or a stray ACK); it has no transaction of its own."""

    def on_cancel(self, invite: InviteServerTransaction) -> None:
        """A CANCEL ended this INVITE; the layer already answered 200 and 487."""

    def on_no_ack(self, invite: InviteServerTransaction) -> None:
        """Our final answer to this INVITE was never ACKed (timer H or L)."""

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None:
        """A response that matches no client transaction (e.g. a late 2xx retransmission)."""


def server_key(request: SipRequest) -> ServerKey:
    """The server transaction key of a request (ACK and CANCEL see the INVITE's method
    through their own methods: ACK maps to INVITE, CANCEL stays CANCEL)."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return (branch, via.sent_by, method)
    return ("2543", request.call_id, request.from_.tag or "", str(request.cseq.seq),
            via.sent_by, branch, method)  # fmt: skip


def _with_method(key: ServerKey, method: str) -> ServerKey:
    return (*key[:-1], method)


class TransactionLayer:
    """Owns every live transaction; the transport feeds it, the TU drives it."""

    def __init__(
        self,
        send: Sender,
        clock: Clock,
        user: TransactionUser,
        timers: TimerConfig | None = None,
    ) -> None:
        self._ctx = Context(send=send, clock=clock, timers=timers or TimerConfig())
        self._user = user
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self._servers: dict[ServerKey, ServerTransaction] = {}
        self._accepted: dict[tuple[str, int, str], InviteServerTransaction] = {}

    def __len__(self) -> int:
        return len(self._clients) + len(self._servers)

    @property
    def timers(self) -> TimerConfig:
        """The T1/T2/T4 values in force."""
        return self._ctx.timers

    # ----- client side -----

    def send_request(
        self, request: SipRequest, peer: Peer, on_response: ResponseHandler
    ) -> ClientTransaction:
        """Start a client transaction; the request's top Via must carry a fresh branch."""
        if request.method == "ACK":
            raise ValueError("an ACK for a 2xx is sent with send_stateless, not a transaction")
        txn: ClientTransaction
        if request.method == "INVITE":
            txn = InviteClientTransaction(self._ctx, request, peer, on_response, self._forget)
        else:
            txn = NonInviteClientTransaction(self._ctx, request, peer, on_response, self._forget)
        if txn.key in self._clients:
            raise ValueError(f"branch {txn.branch} is already in use")
        self._clients[txn.key] = txn
        txn.start()
        return txn

    def send_stateless(self, message: SipMessage, peer: Peer) -> None:
        """Send outside any transaction (ACK for a 2xx, stateless answers)."""
        self._ctx.send(message, peer)

    def cancel(self, invite: InviteClientTransaction, on_response: ResponseHandler) -> bool:
        """CANCEL a pending INVITE (RFC 3261 §9.1): at once if a provisional answer came,
        else as soon as one does. False when it is too late (a final answer came)."""
        if invite.state not in (State.CALLING, State.PROCEEDING) or invite.cancel_requested:
            return False

        def send_cancel() -> None:
            if invite.final_response is None:
                self.send_request(derived_request(invite.request, "CANCEL"), invite.peer,
                                  on_response)  # fmt: skip

        invite.guard_cancel()
        if invite.state is State.PROCEEDING:
            send_cancel()
        else:
            invite.on_provisional_for_cancel = send_cancel
        return True

    # ----- incoming -----

    def receive(self, message: SipMessage, peer: Peer) -> None:
        """Dispatch one parsed message from the transport."""
        if isinstance(message, SipResponse):
            txn = self._clients.get((message.top_via.branch or "", message.cseq.method))
            if txn is None:
                self._user.on_stray_response(message, peer)
            else:
                txn.receive(message)
            return
        key = server_key(message)
        existing = self._servers.get(key)
        if message.method == "ACK":
            self._receive_ack(message, peer, existing)
        elif existing is not None:
            existing.receive_request(message)  # a retransmission
        elif message.method == "CANCEL":
            self._receive_cancel(message, peer, key)
        else:
            self._new_server(message, peer, key)

    def _new_server(self, request: SipRequest, peer: Peer, key: ServerKey) -> None:
        txn: ServerTransaction
        if request.method == "INVITE":
            invite = InviteServerTransaction(self._ctx, request, peer, self._forget,
                                             self._user.on_no_ack)  # fmt: skip
            invite.on_accepted = self._index_accepted
            txn = invite
        else:
            txn = NonInviteServerTransaction(self._ctx, request, peer, self._forget)
        self._servers[key] = txn
        if request.method == "INVITE":
            txn.respond(make_response(request, 100))  # quench INVITE retransmissions at once
        self._user.on_request(request, txn, peer)

    def _receive_ack(self, ack: SipRequest, peer: Peer, existing: ServerTransaction | None) -> None:
        if isinstance(existing, InviteServerTransaction) and existing.state is not State.ACCEPTED:
            existing.receive_request(ack)  # ACK for our 3xx-6xx: hop by hop, ends here
            return
        if isinstance(existing, InviteServerTransaction):
            existing.confirm_2xx()
        else:
            accepted = self._accepted.get((ack.call_id, ack.cseq.seq, ack.to.tag or ""))
            if accepted is not None:
                accepted.confirm_2xx()
        self._user.on_ack(ack, peer)

    def _receive_cancel(self, cancel: SipRequest, peer: Peer, key: ServerKey) -> None:
        cancel_txn = NonInviteServerTransaction(self._ctx, cancel, peer, self._forget)
        self._servers[key] = cancel_txn
        invite = self._servers.get(_with_method(key, "INVITE"))
        if not isinstance(invite, InviteServerTransaction):
            cancel_txn.respond(make_response(cancel, 481))
            return
        previous = invite.last_response.to.tag if invite.last_response is not None else None
        tag = previous or new_tag()
        cancel_txn.respond(make_response(cancel, 200, to_tag=tag))
        if invite.state is State.PROCEEDING:
            invite.respond(make_response(invite.request, 487, to_tag=tag))
            self._user.on_cancel(invite)

    # ----- bookkeeping -----

    def _index_accepted(self, txn: InviteServerTransaction) -> None:
        response = txn.last_response
        if response is not None:
            key = (txn.request.call_id, txn.request.cseq.seq, response.to.tag or "")
            self._accepted[key] = txn

    def _forget(self, txn: Transaction) -> None:
        if isinstance(txn, ClientTransaction):
            if self._clients.get(txn.key) is txn:
                del self._clients[txn.key]
            return
        key = server_key(txn.request)
        if self._servers.get(key) is txn:
            del self._servers[key]
        if isinstance(txn, InviteServerTransaction) and txn.last_response is not None:
            accepted_key = (txn.request.call_id, txn.request.cseq.seq,
                            txn.last_response.to.tag or "")  # fmt: skip
            if self._accepted.get(accepted_key) is txn:
                del self._accepted[accepted_key]
