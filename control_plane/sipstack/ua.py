"""A small SIP user agent: transport + transaction layer + dialogs, with callbacks.

It answers on its own only what RFC 3261 makes mechanical: 416 (scheme), 405 (method),
420 (Require), 481 (no such dialog), 500 (CSeq out of order), 200 to OPTIONS outside a
dialog and to BYE. Everything else reaches the application's `Handler`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from control_plane.sipstack.dialog import Dialog, DialogId, DialogState, OutOfOrderRequest
from control_plane.sipstack.exchange import (
    Handler,
    IncomingRequest,
    OutgoingInvite,
    ProvisionalHandler,
    peer_for_uri,
)
from control_plane.sipstack.headers import Address, CSeq, Via
from control_plane.sipstack.message import SipMessage, SipRequest, SipResponse, make_response
from control_plane.sipstack.peer import Peer, new_branch, new_call_id, new_tag
from control_plane.sipstack.timers import AsyncioClock, TimerConfig
from control_plane.sipstack.transaction import TransactionLayer
from control_plane.sipstack.transaction_client import InviteClientTransaction
from control_plane.sipstack.transaction_server import InviteServerTransaction, ServerTransaction
from control_plane.sipstack.transport import SipTransport
from control_plane.sipstack.uri import Params, SipUri, Uri

log = logging.getLogger(__name__)
DEFAULT_ALLOW = ("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE")


class UserAgent:
    """One SIP endpoint on host:port; see the module docstring for what it answers."""

    def __init__(
        self,
        host: str,
        port: int = 0,
        *,
        handler: Handler | None = None,
        user: str = "sipstack",
        tcp: bool = False,
        timers: TimerConfig | None = None,
        allow: tuple[str, ...] = DEFAULT_ALLOW,
        contact: SipUri | None = None,
        hosts: dict[str, Peer] | None = None,
    ):
        self.handler = handler or Handler()
        self.transport = SipTransport(host, port, self._receive, tcp=tcp)
        self.user = user
        self.allow = allow
        self.dialogs: dict[DialogId, Dialog] = {}
        self._timers = timers
        self._contact_uri = contact
        self._layer: TransactionLayer | None = None
        self._invites: dict[tuple[str, str], OutgoingInvite] = {}  # (call-id, from-tag)
        # Host names we route to without DNS (the core pair's Record-Route name); the owner
        # may update an entry when a host moves.
        self.hosts: dict[str, Peer] = hosts if hosts is not None else {}
        # A Contact per dialog, by Call-ID (the call controller names the core pair and a
        # session key so another replica can take the dialog); None: `contact()` as usual.
        self.contact_for: Callable[[str], SipUri | None] | None = None

    async def start(self) -> None:
        """Bind the sockets and start the transaction layer."""
        await self.transport.start()
        self._layer = TransactionLayer(self.transport.send, AsyncioClock(), self, self._timers)

    async def close(self) -> None:
        """Close the sockets (live transactions are abandoned)."""
        await self.transport.close()

    @property
    def layer(self) -> TransactionLayer:
        """The transaction layer (after start)."""
        if self._layer is None:
            raise RuntimeError("UserAgent.start() was not awaited")
        return self._layer

    def contact(self, transport: str = "UDP", call_id: str | None = None) -> Address:
        """Our Contact (configurable: the controller may advertise a shared address);
        over TCP it says ;transport=tcp so that in-dialog requests come back over TCP."""
        if call_id is not None and self.contact_for is not None:
            chosen = self.contact_for(call_id)
            if chosen is not None:
                return Address(chosen)
        if self._contact_uri is not None:
            return Address(self._contact_uri)
        params = Params((("transport", "tcp"),)) if transport.upper() == "TCP" else Params()
        uri = SipUri(host=self.transport.host, user=self.user, port=self.transport.port,
                     params=params)  # fmt: skip
        return Address(uri)

    def _receive(self, message: SipMessage, peer: Peer) -> None:
        self.layer.receive(message, peer)

    def via(self, transport: str = "UDP") -> Via:
        """A Via for a new client transaction (fresh branch, rport asked)."""
        params = Params((("branch", new_branch()), ("rport", None)))
        return Via(transport.upper(), self.transport.host, self.transport.port, params)

    # ----- TransactionUser -----

    def on_request(self, request: SipRequest, transaction: ServerTransaction, peer: Peer) -> None:
        """From the transaction layer: apply RFC 3261 §8.2 checks, then the handler."""
        dialog: Dialog | None = None
        status = self._precheck(request)
        if status is None and request.to.tag is not None:
            dialog = self.dialogs.get(DialogId.of_incoming_request(request))
            if dialog is None:
                status = 481
            else:
                try:
                    dialog.check_request(request)
                except OutOfOrderRequest:
                    status = 500
        incoming = IncomingRequest(
            request, peer, dialog, dialog.local_tag if dialog else new_tag(), transaction, self
        )
        if status is not None:
            headers = (("Allow", ", ".join(self.allow)),) if status == 405 else ()
            if status == 420:
                headers = (("Unsupported", ", ".join(request.header_values("Require"))),)
            incoming.respond(status, headers=headers)
            return
        if request.method == "OPTIONS" and dialog is None:
            incoming.respond(200, headers=(("Allow", ", ".join(self.allow)),))
            return
        if request.method == "BYE" and dialog is not None:
            incoming.respond(200)
            self._end(dialog, "bye")
        try:
            self.handler.on_request(incoming)
        except Exception:
            log.exception("handler failed on %s", request.method)
            incoming.respond(500)

    def _precheck(self, request: SipRequest) -> int | None:
        if not isinstance(request.uri, SipUri) and request.uri.scheme != "tel":
            return 416
        if request.method not in self.allow:
            return 405
        if request.header_values("Require"):
            return 420
        return None

    def on_ack(self, request: SipRequest, peer: Peer) -> None:
        """From the transaction layer: an ACK for a 2xx."""
        self.handler.on_ack(request, self.dialogs.get(DialogId.of_incoming_request(request)))

    def on_cancel(self, invite: InviteServerTransaction) -> None:
        """From the transaction layer: the INVITE was cancelled and answered 487."""
        self.handler.on_cancel(invite.request)

    def on_no_ack(self, invite: InviteServerTransaction) -> None:
        """RFC 3261 §13.3.1.4: a 2xx never ACKed ends the dialog with a BYE."""
        response = invite.last_response
        if response is None or not 200 <= response.status < 300:
            return
        dialog = self.dialogs.get(
            DialogId(response.call_id, response.to.tag or "", response.from_.tag or "")
        )
        if dialog is not None and invite.request.to.tag is None:
            self._end(dialog, "no-ack")
            try:
                self.send_bye(dialog)
            except ValueError as error:  # a target we cannot route to: nothing to hang up
                log.warning("cannot send BYE for %s: %s", dialog.id, error)

    def on_stray_response(self, response: SipResponse, peer: Peer) -> None:
        """A 2xx retransmitted after its transaction ended: ACK it again."""
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            out = self._invites.get((response.call_id, response.from_.tag or ""))
            if out is not None and out.ack is not None and out.dialog is not None:
                self.layer.send_stateless(out.ack, self.peer_for(out.dialog.next_hop()))

    # ----- answering -----

    def respond(
        self,
        incoming: IncomingRequest,
        status: int,
        reason: str | None = None,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
    ) -> Dialog | None:
        """Send a response through the request's server transaction."""
        request = incoming.request
        creates = request.method == "INVITE" and 100 < status < 300
        response = make_response(
            request,
            status,
            reason,
            to_tag=incoming.to_tag,
            contact=(self.contact(incoming.peer.transport, request.call_id),) if creates else (),
            headers=headers,
            body=body,
        )
        incoming.transaction.respond(response)
        if creates and status >= 200 and incoming.dialog is None:
            incoming.dialog = Dialog.as_uas(request, incoming.to_tag)
            self.dialogs[incoming.dialog.id] = incoming.dialog
        return incoming.dialog

    def _end(self, dialog: Dialog, reason: str) -> None:
        dialog.state = DialogState.TERMINATED
        if self.dialogs.pop(dialog.id, None) is not None:
            self._invites.pop((dialog.call_id, dialog.local_tag), None)
            self.handler.on_dialog_ended(dialog, reason)

    # ----- sending -----

    def new_request(
        self,
        method: str,
        uri: SipUri,
        *,
        to: Address | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        route: tuple[Address, ...] = (),
    ) -> SipRequest:
        """A request outside any dialog, from us (fresh Call-ID and From tag)."""
        me = Address(SipUri(host=self.transport.host, user=self.user, port=self.transport.port))
        call_id = new_call_id(self.transport.host)
        return SipRequest(
            method=method,
            uri=uri,
            via=(self.via(uri.transport),),
            from_=me.with_tag(new_tag()),
            to=to or Address(uri),
            call_id=call_id,
            cseq=CSeq(1, method),
            contact=(self.contact(uri.transport, call_id),) if method == "INVITE" else (),
            route=route,
            headers=headers,
            body=body,
        )

    def peer_for(self, uri: Uri) -> Peer:
        """The next hop for ``uri``: a known host name, else its IP literal."""
        if isinstance(uri, SipUri) and uri.host in self.hosts and uri.params.get("maddr") is None:
            known = self.hosts[uri.host]
            transport = (uri.params.get("transport") or known.transport).upper()
            return Peer(known.host, uri.port or known.port, transport)
        return peer_for_uri(uri)

    def _next_hop(self, request: SipRequest) -> Peer:
        return self.peer_for(request.route[0].uri if request.route else request.uri)

    async def request(self, request: SipRequest, peer: Peer | None = None) -> SipResponse:
        """Send a non-INVITE request in its own transaction; returns the final answer
        (a synthetic 408 on timeout, 503 on transport error).

        When the first hop is a name of `hosts` that moved meanwhile (the core pair's name,
        re-pointed at the live core), a request that got no answer is sent once more, as
        a new transaction, through where the name points now: a BYE sent into a dead core
        still reaches the far end."""
        first = peer or self._next_hop(request)
        response = await self._one_request(request, first)
        if response.status in (408, 503):
            now = self._next_hop(request)
            if now != first and self._hop_is_named(request):
                retry = request.evolve(via=(self.via(now.transport),))
                log.info("%s to %s unanswered; again through %s", request.method, first, now)
                response = await self._one_request(retry, now)
        return response

    def _hop_is_named(self, request: SipRequest) -> bool:
        uri = request.route[0].uri if request.route else request.uri
        return isinstance(uri, SipUri) and uri.host in self.hosts

    async def _one_request(self, request: SipRequest, peer: Peer) -> SipResponse:
        done: asyncio.Future[SipResponse] = asyncio.get_running_loop().create_future()

        def on_response(response: SipResponse) -> None:
            if response.status >= 200 and not done.done():
                done.set_result(response)

        self.layer.send_request(request, peer, on_response)
        return await done

    def invite(
        self,
        request: SipRequest,
        peer: Peer | None = None,
        on_provisional: ProvisionalHandler | None = None,
        *,
        late_offer: bool = False,
    ) -> OutgoingInvite:
        """Send an INVITE (initial, or a re-INVITE made with `in_dialog`). With
        ``late_offer`` (no SDP in the INVITE) the 2xx carries the offer: answer it with
        `ack` once `final` resolves."""
        loop = asyncio.get_running_loop()
        out = OutgoingInvite(
            request, peer or self._next_hop(request), loop.create_future(), on_provisional, ua=self,
            deferred_ack=late_offer,
        )
        if request.to.tag is not None:
            out.dialog = self.dialogs.get(
                DialogId(request.call_id, request.from_.tag or "", request.to.tag)
            )
        txn = self.layer.send_request(request, out.peer, lambda r: self._on_invite_answer(out, r))
        assert isinstance(txn, InviteClientTransaction)
        out.transaction = txn
        return out

    def cancel(self, out: OutgoingInvite) -> bool:
        """CANCEL an outgoing INVITE (see OutgoingInvite.cancel)."""
        assert out.transaction is not None
        return self.layer.cancel(out.transaction, lambda _: None)

    def _on_invite_answer(self, out: OutgoingInvite, response: SipResponse) -> None:
        status = response.status
        if status < 200:
            if out.on_provisional is not None:
                out.on_provisional(response)
            return
        if status >= 300:
            if out.dialog is not None and status in (408, 481):
                self._end(out.dialog, "failed")  # RFC 3261 §12.2.1.2
            if not out.final.done():
                out.final.set_result(response)
            return
        dialog_id = DialogId.of_incoming_response(response)
        if out.dialog is None:
            out.dialog = Dialog.as_uac(out.request, response)
            self.dialogs[dialog_id] = out.dialog
            self._invites[(response.call_id, response.from_.tag or "")] = out
        elif out.dialog.id != dialog_id:
            self._ack_and_drop_fork(out, response)
            return
        out.dialog.update_from_response(response)
        if out.ack is None and out.deferred_ack and not out.cancelled:
            if not out.final.done():  # the application answers the offer in its ACK
                out.final.set_result(response)
            return
        if out.ack is None:
            out.ack = out.dialog.create_request(
                "ACK", self.via(out.peer.transport), cseq=out.request.cseq.seq
            )
        self.layer.send_stateless(out.ack, self.peer_for(out.dialog.next_hop()))
        if not out.final.done():
            out.final.set_result(response)
            if out.cancelled and out.request.to.tag is None:  # the CANCEL/200 race
                self._end(out.dialog, "cancelled")
                self.send_bye(out.dialog)

    def ack(self, out: OutgoingInvite, *, body: bytes = b"",
            headers: tuple[tuple[str, str], ...] = ()) -> None:
        """Send the ACK of a late-offer INVITE's 2xx, carrying our answer (RFC 3264)."""
        if out.dialog is None or out.ack is not None:
            return
        out.ack = out.dialog.create_request(
            "ACK", self.via(out.peer.transport), cseq=out.request.cseq.seq,
            headers=headers, body=body,
        )
        self.layer.send_stateless(out.ack, self.peer_for(out.dialog.next_hop()))

    def _ack_and_drop_fork(self, out: OutgoingInvite, response: SipResponse) -> None:
        fork = Dialog.as_uac(out.request, response)
        ack = fork.create_request("ACK", self.via(out.peer.transport), cseq=out.request.cseq.seq)
        self.layer.send_stateless(ack, self.peer_for(fork.next_hop()))
        self.send_bye(fork)

    def in_dialog(
        self,
        dialog: Dialog,
        method: str,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
    ) -> SipRequest:
        """A request inside `dialog` (BYE, INFO, re-INVITE…) with a fresh Via."""
        transport = self.peer_for(dialog.next_hop()).transport
        contact = (self.contact(transport, dialog.call_id),) if method == "INVITE" else ()
        return dialog.create_request(
            method, self.via(transport), contact=contact, headers=headers, body=body
        )

    def send_bye(self, dialog: Dialog) -> asyncio.Future[SipResponse]:
        """Hang up: send BYE, forget the dialog; the future holds the BYE's answer."""
        bye = self.in_dialog(dialog, "BYE")
        self._end(dialog, "local-bye")
        return asyncio.ensure_future(self.request(bye, self.peer_for(dialog.next_hop())))
