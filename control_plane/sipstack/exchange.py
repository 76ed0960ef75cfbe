"""The application-facing handles of one request exchange: incoming and outgoing."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.transaction_client import InviteClientTransaction
from control_plane.sipstack.transaction_server import ServerTransaction
from control_plane.sipstack.uri import SipUri, Uri

if TYPE_CHECKING:
    from control_plane.sipstack.ua import UserAgent


@dataclass(eq=False)
class IncomingRequest:
    """A request for the application, with the means to answer it (once, finally)."""

    request: SipRequest
    peer: Peer
    dialog: Dialog | None
    to_tag: str
    transaction: ServerTransaction
    ua: UserAgent = field(repr=False)

    @property
    def answered(self) -> bool:
        """True once a final response went out (then `respond` does nothing)."""
        return self.transaction.final_sent

    def respond(
        self,
        status: int,
        reason: str | None = None,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
    ) -> Dialog | None:
        """Answer; a 2xx to an INVITE outside a dialog creates (and returns) the dialog."""
        return self.ua.respond(self, status, reason, headers=headers, body=body)


ProvisionalHandler = Callable[[SipResponse], None]


@dataclass(eq=False)
class OutgoingInvite:
    """An INVITE we sent: await `final`, read `dialog` after a 2xx, or `cancel()`."""

    request: SipRequest
    peer: Peer
    final: asyncio.Future[SipResponse]
    on_provisional: ProvisionalHandler | None = None
    dialog: Dialog | None = None
    transaction: InviteClientTransaction | None = None
    cancelled: bool = False
    ack: SipRequest | None = None
    # Late offer (an INVITE without SDP): the 2xx carries the offer and the ACK must carry
    # our answer, so the application sends the ACK itself with `UserAgent.ack`.
    deferred_ack: bool = False
    ua: UserAgent | None = field(default=None, repr=False)

    def cancel(self) -> bool:
        """Send CANCEL (RFC 3261 §9.1). If a 2xx still wins the race, the call is ACKed
        and hung up with BYE at once, and `final` holds that 2xx with `cancelled` set."""
        if self.ua is None or self.transaction is None:
            return False
        self.cancelled = True
        return self.ua.cancel(self)


class Handler:
    """What the application overrides; the defaults decline politely."""

    def on_request(self, incoming: IncomingRequest) -> None:
        """A new request (INVITE, re-INVITE, INFO, BYE already answered 200…)."""
        incoming.respond(501 if incoming.request.method != "BYE" else 200)

    def on_ack(self, ack: SipRequest, dialog: Dialog | None) -> None:
        """The ACK for our 2xx (it may carry the SDP answer)."""

    def on_cancel(self, invite: SipRequest) -> None:
        """The caller cancelled this INVITE; 487 was already sent."""

    def on_dialog_ended(self, dialog: Dialog, reason: str) -> None:
        """A dialog ended: "bye" (from the peer), "no-ack" (our 2xx was never ACKed)."""


def peer_for_uri(uri: Uri, default_transport: str = "UDP") -> Peer:
    """The next-hop address of a SIP URI; hosts must be IP literals (no DNS here)."""
    if not isinstance(uri, SipUri):
        raise ValueError(f"cannot route to {uri}")
    host = uri.params.get("maddr") or uri.host
    ipaddress.ip_address(host)  # raises ValueError for names
    transport = (uri.params.get("transport") or default_transport).upper()
    return Peer(host, uri.port or (5061 if uri.scheme == "sips" else 5060), transport)
