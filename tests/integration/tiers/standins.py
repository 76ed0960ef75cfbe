"""Stand-in call-controller replicas, callers and seats for the cores' dialog routing tests.

Each stand-in is a real SIP endpoint of our own stack (`control_plane.sipstack`) on its
replica's address and port; together they keep the contract of the controllers
(DESIGN.md §5 "Failover of queued calls", kamailio.cfg route[CONTROLLER_DIALOG]):

- an answered INVITE carries ``Contact: <sip:cc-KEY@CORE_PAIR_HOST;ctl=IP:PORT>`` (``ctl`` the
  replica answering), and agent legs a replica places carry the caller's KEY;
- a replica that does not own the called number answers ``302`` with
  ``Contact: <sip:NUMBER@OWNER_IP:OWNER_SIP_PORT>``;
- the replicas share their dialogs (one dict, as the real ones share Redis), so whichever
  replica Kamailio hands a request to can answer it in its dialog.

The endpoints run on an event loop in a thread of their own, so the tests stay synchronous
while Kamailio probes and calls the stand-ins.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from control_plane.sipstack import (
    Address,
    Dialog,
    DialogId,
    Handler,
    IncomingRequest,
    Params,
    Peer,
    SipRequest,
    SipResponse,
    SipUri,
    UserAgent,
)

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread; `run` waits for a coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run ``coro`` on the loop and return its result (raise its exception)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop the loop and wait for the thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


@dataclass(frozen=True, slots=True)
class Seen:
    """One request an endpoint received: method, Call-ID and Request-URI as it arrived."""

    method: str
    call_id: str
    uri: str
    key: str | None


def _key_of(uri: object) -> str | None:
    if isinstance(uri, SipUri) and uri.user and uri.user.startswith("cc-"):
        return uri.user.removeprefix("cc-")
    return None


class _KeyedAgent(UserAgent):
    """A UA whose Contact the handler sets per answer (one session key per call)."""

    next_contact: SipUri | None = None

    def contact(self, transport: str = "UDP", *args: Any, **kwargs: Any) -> Address:
        """The Contact set for the answer being made, else the UA's own."""
        if self.next_contact is not None:
            return Address(self.next_contact)
        return super().contact(transport, *args, **kwargs)


class Endpoint(Handler):
    """A SIP endpoint that records every request and ACK it gets and answers 200."""

    def __init__(self, name: str, address: str, port: int, *,
                 hosts: dict[str, Peer] | None = None) -> None:
        self.name = name
        self.address = address
        self.port = port
        self.ua = _KeyedAgent(address, port, handler=self, user=name, hosts=hosts)
        self.seen: list[Seen] = []
        self.running = False

    async def start(self) -> None:
        """Bind the socket."""
        await self.ua.start()
        self.running = True

    async def stop(self) -> None:
        """Close the socket at once, as a kill -9 would: no goodbye to anyone."""
        if self.running:
            await self.ua.close()
            self.running = False

    def _record(self, request: SipRequest) -> None:
        self.seen.append(Seen(request.method, request.call_id, str(request.uri),
                              _key_of(request.uri)))

    def on_request(self, incoming: IncomingRequest) -> None:
        """Record, then answer 200 (a BYE was already answered by the UA)."""
        self._record(incoming.request)
        if incoming.request.method != "BYE":
            incoming.respond(200)

    def on_ack(self, ack: SipRequest, dialog: Dialog | None) -> None:
        """Record the ACK."""
        self._record(ack)

    def got_invites(self) -> int:
        """How many INVITEs this endpoint received in all."""
        return sum(1 for s in self.seen if s.method == "INVITE")

    def got(self, method: str, call_id: str) -> int:
        """How many ``method`` requests of ``call_id`` this endpoint received."""
        return sum(1 for s in self.seen if s.method == method and s.call_id == call_id)


class StandInController(Endpoint):
    """One call-controller replica: answers the center's calls with the keyed Contact,
    or redirects them to ``owner`` (``"IP:PORT"``) when that is set and not itself."""

    def __init__(self, name: str, address: str, port: int, *, core_pair_host: str,
                 core: Peer, dialogs: dict[DialogId, Dialog]) -> None:
        super().__init__(name, address, port, hosts={core_pair_host: core})
        self.core_pair_host = core_pair_host
        self.core = core
        self.ua.dialogs = dialogs  # the shared store of the replicas
        self.owner: str | None = None
        # (status, Retry-After or None): how in-dialog INFOs are refused, when set.
        self.refuse_info: tuple[int, str | None] | None = None

    @property
    def ctl(self) -> str:
        """This replica as the ``ctl`` parameter names it."""
        return f"{self.address}:{self.port}"

    def contact_for(self, key: str) -> SipUri:
        """The Contact of this replica's dialogs of session ``key``."""
        return SipUri(host=self.core_pair_host, user=f"cc-{key}",
                      params=Params((("ctl", self.ctl),)))

    def on_request(self, incoming: IncomingRequest) -> None:
        """A new call: redirect to its owner or answer it with a fresh session key;
        in-dialog requests: answer 200 with this replica in the Contact."""
        request = incoming.request
        self._record(request)
        if request.method == "BYE":
            return
        if request.method == "INVITE" and request.to.tag is None:
            if self.owner is not None and self.owner != self.ctl:
                number = request.uri.user if isinstance(request.uri, SipUri) else ""
                incoming.respond(302, headers=(("Contact", f"<sip:{number}@{self.owner}>"),))
                return
            key = "k" + secrets.token_hex(6)
        elif request.method == "INFO" and self.refuse_info is not None:
            status, retry_after = self.refuse_info
            incoming.respond(status, headers=(("Retry-After", retry_after),)
                             if retry_after is not None else ())
            return
        else:
            key = _key_of(request.uri) or "k-unknown"
        self.ua.next_contact = self.contact_for(key)
        try:
            incoming.respond(200)
        finally:
            self.ua.next_contact = None

    async def call_seat(self, seat_uri: SipUri, key: str) -> SipResponse:
        """Place an agent leg of session ``key`` to ``seat_uri`` through a core; its
        final answer (a 2xx is ACKed)."""
        self.ua.next_contact = self.contact_for(key)
        try:
            request = self.ua.new_request("INVITE", seat_uri)
        finally:
            self.ua.next_contact = None
        return await self.ua.invite(request, self.core).final


@dataclass
class Call:
    """A caller's call: its dialog once answered, and the final answers it got."""

    caller: Endpoint
    call_id: str
    final: SipResponse
    dialog: Dialog | None = None
    answers: list[int] = field(default_factory=list)

    @property
    def key(self) -> str | None:
        """The session key in the answer's Contact."""
        return _key_of(self.final.contact[0].uri) if self.final.contact else None

    @property
    def ctl(self) -> str | None:
        """The replica the answer's Contact names."""
        if not self.final.contact:
            return None
        uri = self.final.contact[0].uri
        return uri.params.get("ctl") if isinstance(uri, SipUri) else None


async def place_call(caller: Endpoint, number: str, domain: str, edge: Peer) -> Call:
    """``caller`` calls the center's ``number`` through ``edge``; returns once answered
    (or refused)."""
    request = caller.ua.new_request("INVITE", SipUri(host=domain, user=number))
    out = caller.ua.invite(request, edge)
    final = await out.final
    return Call(caller, request.call_id, final, out.dialog)


async def in_dialog(endpoint: Endpoint, dialog: Dialog, method: str) -> int:
    """Send ``method`` (BYE, INFO, re-INVITE) in ``dialog``; the status of its answer."""
    if method == "BYE":
        return (await endpoint.ua.send_bye(dialog)).status
    request = endpoint.ua.in_dialog(dialog, method)
    if method == "INVITE":
        return (await endpoint.ua.invite(request).final).status
    return (await endpoint.ua.request(request)).status
