"""An agent's softphone for the call-path tests: registers with digest through an edge,
answers with real RTP, puts on hold, transfers (REFER, with Replaces for attended), and
calls other seats — what SIPp's scripted seats cannot do. Like Yealink, Polycom and Cisco
desk phones it answers a ringing call when told to by a NOTIFY ``Event: talk`` inside the
call's early dialog (BroadSoft's remote-answer convention)."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass, field
from urllib.parse import quote

from control_plane.sipstack.dialog import Dialog, DialogId
from control_plane.sipstack.exchange import Handler, IncomingRequest, OutgoingInvite
from control_plane.sipstack.headers import Address, CSeq
from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.peer import Peer, new_tag
from control_plane.sipstack.ua import DEFAULT_ALLOW, UserAgent
from control_plane.sipstack.uri import SipUri
from tests.callers import RtpParty, offer_sdp, sdp_target

SDP = (("Content-Type", "application/sdp"),)


def digest(challenge: str, *, user: str, password: str, method: str, uri: str) -> str:
    """The Authorization value answering a WWW-/Proxy-Authenticate challenge (MD5, auth)."""
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    realm, nonce = fields["realm"], fields["nonce"]
    cnonce, nc = secrets.token_hex(4), "00000001"
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=MD5')


@dataclass(eq=False)
class AgentPhone(Handler):
    """One softphone (see the module docstring)."""

    ua: UserAgent
    rtp: RtpParty
    user: str = ""
    domain: str = "cc.local"
    password: str = ""
    edge: Peer | None = None
    ring_s: float = 0.3
    answer_calls: bool = True
    broken_sdp: bool = False  # answer with an SDP no media relay can use
    remote_answer: bool = True  # honour NOTIFY Event: talk on a ringing call
    calls: list[IncomingRequest] = field(default_factory=list)
    dialogs: list[Dialog] = field(default_factory=list)
    ended: list[Dialog] = field(default_factory=list)
    notifies: list[str] = field(default_factory=list)
    talks: list[SipRequest] = field(default_factory=list)  # NOTIFY talk received
    ringing: dict[DialogId, IncomingRequest] = field(default_factory=dict)  # early dialogs
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    async def open(cls, address: str, rtp_port: int = 41000) -> AgentPhone:
        """Bind SIP (port 5060) and RTP on ``address``."""
        loop = asyncio.get_running_loop()
        _, rtp = await loop.create_datagram_endpoint(RtpParty, local_addr=(address, rtp_port))
        phone = cls(UserAgent(address, 5060, user="phone",
                              allow=(*DEFAULT_ALLOW, "REFER", "NOTIFY")), rtp)
        phone.ua.handler = phone
        await phone.ua.start()
        return phone

    def _sdp(self, direction: str = "sendrecv") -> bytes:
        assert self.rtp.transport is not None
        port = self.rtp.transport.get_extra_info("sockname")[1]
        sdp = offer_sdp(self.ua.transport.host, port).replace("a=sendrecv", f"a={direction}")
        return sdp.encode()

    async def register(self, edge: Peer, user: str, password: str) -> int:
        """REGISTER ``user`` through ``edge``, answering the digest challenge."""
        self.edge, self.user, self.password = edge, user, password
        me = Address(SipUri(host=self.domain, user=user))
        request = self.ua.new_request("REGISTER", SipUri(host=self.domain), to=me)
        request = request.evolve(from_=me.with_tag(new_tag()), contact=(self.ua.contact(),),
                                 headers=(("Expires", "300"),))
        response = await self.ua.request(request, edge)
        if response.status == 401:
            auth = digest(response.header("WWW-Authenticate") or "", user=user,
                          password=password, method="REGISTER", uri=f"sip:{self.domain}")
            request = request.evolve(via=(self.ua.via(),), cseq=CSeq(2, "REGISTER"),
                                     headers=(("Expires", "300"), ("Authorization", auth)))
            response = await self.ua.request(request, edge)
        return response.status

    # ----- Handler -----

    def on_request(self, incoming: IncomingRequest) -> None:
        request = incoming.request
        if request.method == "NOTIFY" and (request.header("Event") or "").strip() == "talk":
            self._talk(incoming)
        elif request.method == "NOTIFY":
            self.notifies.append(request.body.decode(errors="replace"))
            incoming.respond(200)
        elif request.method == "INVITE" and incoming.dialog is None:
            self.calls.append(incoming)
            if self.answer_calls:
                self._spawn(self._answer(incoming))
            else:
                self._ring(incoming)
        elif request.method == "INVITE":
            incoming.respond(200, headers=SDP, body=self._sdp())
        else:
            incoming.respond(200)

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _ring(self, incoming: IncomingRequest) -> None:
        """180 with our tag; the early dialog is kept so a NOTIFY talk inside it is ours."""
        incoming.respond(180)
        early = Dialog.as_uas(incoming.request, incoming.to_tag, confirmed=False)
        self.ringing[early.id] = incoming
        self.ua.dialogs[early.id] = early  # the 200 replaces it with the confirmed dialog

    def _talk(self, incoming: IncomingRequest) -> None:
        """Remote answer: a NOTIFY talk for a call still ringing here answers it."""
        self.talks.append(incoming.request)
        dialog = incoming.dialog
        ringing = self.ringing.get(dialog.id) if dialog is not None else None
        if ringing is None or ringing.answered:  # nothing rings here (any more)
            incoming.respond(481 if dialog is None else 200)
            return
        if not self.remote_answer:
            incoming.respond(403, "Remote Answer Disabled")
            return
        incoming.respond(200)
        self._spawn(self._answer(ringing, ring=False))

    def on_cancel(self, invite: SipRequest) -> None:
        for key, ringing in list(self.ringing.items()):
            if ringing.request.call_id == invite.call_id:
                del self.ringing[key]
                self.ua.dialogs.pop(key, None)

    async def _answer(self, incoming: IncomingRequest, *, ring: bool = True) -> None:
        if ring:
            self._ring(incoming)
            await asyncio.sleep(self.ring_s)
        self.ringing = {k: v for k, v in self.ringing.items() if v is not incoming}
        answer = b"v=0\r\nm=video nonsense\r\n" if self.broken_sdp else self._sdp()
        dialog = incoming.respond(200, headers=SDP, body=answer)
        if dialog is not None:
            self.dialogs.append(dialog)
        if incoming.request.body:  # a late offer's answer comes in the ACK (on_ack)
            self.rtp.start(sdp_target(incoming.request.body.decode()))
        replaces = incoming.request.header("Replaces")
        if replaces:  # attended transfer: this call replaces our consultation call
            call_id = replaces.split(";", 1)[0]
            for old in list(self.dialogs):
                if old.call_id == call_id and old.id in self.ua.dialogs:
                    await self.ua.send_bye(old)

    def on_ack(self, ack: SipRequest, dialog: Dialog | None) -> None:
        if ack.body and self.rtp.destination is None:
            self.rtp.start(sdp_target(ack.body.decode()))

    def on_dialog_ended(self, dialog: Dialog, reason: str) -> None:
        self.ended.append(dialog)

    # ----- actions -----

    @property
    def current(self) -> Dialog:
        """The newest dialog still up."""
        live = [d for d in self.dialogs if d.id in self.ua.dialogs]
        assert live, "no call up"
        return live[-1]

    async def reinvite(self, direction: str) -> SipResponse:
        """A re-INVITE with our SDP in ``direction`` (sendonly = hold)."""
        request = self.ua.in_dialog(self.current, "INVITE", headers=SDP,
                                    body=self._sdp(direction))
        return await self.ua.invite(request).final

    async def refer(self, target: str, *, replaces: Dialog | None = None,
                    on: Dialog | None = None) -> SipResponse:
        """REFER the call ``on`` (default: the current one) to ``target`` (a seat, number
        or queue); with ``replaces``, an attended transfer onto that consultation call."""
        uri = f"sip:{target}@{self.domain}"
        if replaces is not None:
            value = (f"{replaces.call_id};to-tag={replaces.remote_tag};"
                     f"from-tag={replaces.local_tag}")
            uri += "?Replaces=" + quote(value, safe="")
        request = self.ua.in_dialog(on or self.current, "REFER",
                                    headers=(("Refer-To", f"<{uri}>"),))
        return await self.ua.request(request)

    async def call(self, user: str) -> SipResponse:
        """Call another seat through our edge (digest on the 407)."""
        assert self.edge is not None
        target = SipUri(host=self.domain, user=user)
        me = Address(SipUri(host=self.domain, user=self.user)).with_tag(new_tag())
        request = self.ua.new_request("INVITE", target, headers=SDP, body=self._sdp())
        request = request.evolve(from_=me)
        response = await self._invite(request)
        if response.status == 407:
            auth = digest(response.header("Proxy-Authenticate") or "", user=self.user,
                          password=self.password, method="INVITE", uri=str(target))
            request = request.evolve(via=(self.ua.via(),), cseq=CSeq(2, "INVITE"),
                                     headers=(*SDP, ("Proxy-Authorization", auth)))
            response = await self._invite(request)
        return response

    async def _invite(self, request: SipRequest) -> SipResponse:
        assert self.edge is not None
        out: OutgoingInvite = self.ua.invite(request, self.edge)
        response = await out.final
        if out.dialog is not None and 200 <= response.status < 300:
            self.dialogs.append(out.dialog)
        return response

    async def hang_up(self) -> None:
        """BYE the current call."""
        await self.ua.send_bye(self.current)

    async def close(self) -> None:
        """Release the sockets."""
        for task in self._tasks:
            task.cancel()
        self.rtp.stop()
        await self.ua.close()
