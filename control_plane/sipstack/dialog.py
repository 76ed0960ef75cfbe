"""Dialog state of RFC 3261 §12: route set, remote target, CSeq, in-dialog requests."""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from control_plane.sipstack.headers import Address, CSeq, Via
from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.uri import SipUri, Uri


class DialogState(enum.Enum):
    """Early after a tagged 1xx, confirmed after a 2xx, terminated after BYE or failure."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class DialogId:
    """Call-ID plus local and remote tags (RFC 3261 §12)."""

    call_id: str
    local_tag: str
    remote_tag: str

    @staticmethod
    def of_incoming_request(request: SipRequest) -> DialogId:
        """The id, seen from us, of the dialog an incoming request belongs to."""
        return DialogId(request.call_id, request.to.tag or "", request.from_.tag or "")

    @staticmethod
    def of_incoming_response(response: SipResponse) -> DialogId:
        """The id, seen from us, of the dialog a response to our request belongs to."""
        return DialogId(response.call_id, response.from_.tag or "", response.to.tag or "")


class OutOfOrderRequest(Exception):
    """An in-dialog request with a CSeq lower than the last one: answer 500 (§12.2.2)."""


def _target(contacts: tuple[Address, ...], fallback: Uri) -> Uri:
    return contacts[0].uri if contacts else fallback


@dataclass(slots=True)
class Dialog:
    """One dialog, from either side; mutable because its CSeq and target move."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: Address
    remote_uri: Address
    remote_target: Uri
    route_set: tuple[Address, ...]
    local_seq: int
    remote_seq: int | None
    state: DialogState
    secure: bool = False
    # Free for the application (the call controller keeps its leg here).
    context: dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> DialogId:
        """The dialog id."""
        return DialogId(self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uac(cls, request: SipRequest, response: SipResponse) -> Dialog:
        """The caller's dialog from its INVITE and a tagged 1xx/2xx (§12.1.2):
        route set = Record-Route reversed, remote target = the answer's Contact."""
        return cls(
            call_id=request.call_id,
            local_tag=request.from_.tag or "",
            remote_tag=response.to.tag or "",
            local_uri=request.from_,
            remote_uri=response.to,
            remote_target=_target(response.contact, request.uri),
            route_set=tuple(reversed(response.record_route)),
            local_seq=request.cseq.seq,
            remote_seq=None,
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
            secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
        )

    @classmethod
    def as_uas(cls, request: SipRequest, local_tag: str, confirmed: bool = True) -> Dialog:
        """The callee's dialog from the INVITE it answers (§12.1.1): route set =
        Record-Route in order, remote target = the request's Contact."""
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=request.from_.tag or "",
            local_uri=request.to.with_tag(local_tag),
            remote_uri=request.from_,
            remote_target=_target(request.contact, request.uri),
            route_set=request.record_route,
            # §12.1.1 leaves our first CSeq free; a random start avoids clashes on failover.
            local_seq=random.randint(1, 2**20),
            remote_seq=request.cseq.seq,
            state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
            secure=isinstance(request.uri, SipUri) and request.uri.scheme == "sips",
        )

    def update_from_response(self, response: SipResponse) -> None:
        """Confirm on a 2xx; a 2xx/1xx to an INVITE refreshes the remote target."""
        if 200 <= response.status < 300:
            self.state = DialogState.CONFIRMED
        if response.cseq.method == "INVITE" and response.contact and response.status < 300:
            self.remote_target = response.contact[0].uri

    def check_request(self, request: SipRequest) -> None:
        """Check and record the remote CSeq of an incoming in-dialog request (§12.2.2);
        a re-INVITE with a Contact refreshes the remote target."""
        if request.method in ("ACK", "CANCEL"):
            return
        seq = request.cseq.seq
        if self.remote_seq is not None and seq < self.remote_seq:
            raise OutOfOrderRequest(f"CSeq {seq} lower than {self.remote_seq}")
        self.remote_seq = seq
        if request.method == "INVITE" and request.contact:
            self.remote_target = request.contact[0].uri

    def _request_uri_and_route(self) -> tuple[Uri, tuple[Address, ...]]:
        """§12.2.1.1: loose routing keeps the target in the Request-URI; a strict router
        (first route without ;lr) takes the Request-URI and the target goes last."""
        if not self.route_set:
            return self.remote_target, ()
        first = self.route_set[0].uri
        if isinstance(first, SipUri) and first.params.has("lr"):
            return self.remote_target, self.route_set
        if isinstance(first, SipUri):
            first = SipUri(host=first.host, user=first.user, port=first.port,
                           scheme=first.scheme, params=first.params)  # fmt: skip
        return first, (*self.route_set[1:], Address(self.remote_target))

    def create_request(
        self,
        method: str,
        via: Via,
        *,
        contact: tuple[Address, ...] = (),
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        cseq: int | None = None,
    ) -> SipRequest:
        """An in-dialog request. The CSeq advances except for ACK (pass the INVITE's
        number as `cseq`)."""
        if method == "ACK":
            if cseq is None:
                raise ValueError("an ACK needs the CSeq number of its INVITE")
            seq = cseq
        else:
            self.local_seq += 1
            seq = self.local_seq
        uri, route = self._request_uri_and_route()
        return SipRequest(
            method=method,
            uri=uri,
            via=(via,),
            from_=self.local_uri.with_tag(self.local_tag),
            to=self.remote_uri.with_tag(self.remote_tag),
            call_id=self.call_id,
            cseq=CSeq(seq, method),
            route=route,
            contact=contact,
            headers=headers,
            body=body,
        )

    def next_hop(self) -> Uri:
        """Where in-dialog requests go first: the top Route, else the Request-URI."""
        uri, route = self._request_uri_and_route()
        return route[0].uri if route else uri
