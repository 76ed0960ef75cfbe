"""Callbacks that keep the caller's place: when the ACD offers the call, ring the agent
first, then dial the customer and connect them.

The agent is rung with a late offer (no SDP): their 2xx carries the offer, which anchors a
new RTPengine call (agent = from-tag A, customer = the one far-side tag K) and is answered
in our ACK with a placeholder; the agent hears music while the customer's phone rings
through the core and the carrier; the customer's answer goes to RTPengine on tag K, as an
agent's does for an inbound caller (DESIGN §5).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

import structlog

from control_plane.acd.events import CallEnded, OfferAccepted, OfferRejected, OfferTimedOut
from control_plane.acd.model import AgentRef, CallRef
from control_plane.calls.agent_leg import DECLINED, UNREACHABLE
from control_plane.calls.context import ControllerContext
from control_plane.calls.media_io import CallerMedia
from control_plane.calls.records import CallRecord
from control_plane.calls.sdp import SdpError, parse_audio, placeholder_answer
from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.exchange import OutgoingInvite
from control_plane.sipstack.headers import Address
from control_plane.sipstack.peer import new_tag
from control_plane.sipstack.uri import SipUri

log = structlog.get_logger(__name__)
SDP = (("Content-Type", "application/sdp"),)


@dataclass(eq=False)
class CallbackJob:
    """One scheduled callback, from the ACD's offer to the end of the conversation."""

    ctx: ControllerContext
    ref: CallRef
    queue: str
    number: str
    media_call: str = field(default_factory=lambda: f"cb-{secrets.token_hex(8)}")
    agent: AgentRef | None = None
    agent_out: OutgoingInvite | None = None
    customer_out: OutgoingInvite | None = None
    agent_sdp: str = ""
    agent_tag: str = "A"
    far_tag: str = field(default_factory=new_tag)
    connected: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    record: CallRecord | None = None

    def dialogs(self) -> list[Dialog]:
        """The job's SIP dialogs still up."""
        outs = (self.agent_out, self.customer_out)
        return [o.dialog for o in outs if o is not None and o.dialog is not None
                and o.dialog.id in self.ctx.ua.dialogs]

    def offer(self, agent: AgentRef, seat: str) -> None:
        """The ACD offers the callback to ``agent``: ring their seat."""
        self.agent = agent
        self.record = CallRecord(call_id=self.media_call, tenant=self.ref.tenant,
                                 did=self.number, caller=self.number,
                                 started_at=self.ctx.wall())
        self.record.queue = self.queue
        self.record.direction = "outbound"
        asyncio.get_running_loop().create_task(self._ring_agent(seat))

    async def _ring_agent(self, seat: str) -> None:
        ctx = self.ctx
        request = ctx.ua.new_request("INVITE", SipUri(host=ctx.center.domain, user=seat))
        caller = Address(SipUri(host=ctx.center.domain, user=self.number),
                         display_name=f"Callback {self.number}")
        request = request.evolve(from_=caller.with_tag(new_tag()))
        self.agent_out = ctx.ua.invite(request, ctx.core, late_offer=True)
        response = await self.agent_out.final
        assert self.agent is not None
        if not 200 <= response.status < 300:
            if not self.agent_out.cancelled:
                event = OfferRejected if response.status in DECLINED | UNREACHABLE \
                    else OfferTimedOut
                ctx.acd.apply(event(call=self.ref, agent=self.agent))
            return
        self.agent_sdp = response.body.decode(errors="replace")
        try:
            self.agent_tag = response.to.tag or self.agent_tag
            await ctx.ng.offer(call_id=self.media_call, from_tag=self.agent_tag,
                               sdp=self.agent_sdp)
            answer = await ctx.ng.answer(
                call_id=self.media_call, from_tag=self.agent_tag, to_tag=self.far_tag,
                sdp=placeholder_answer(parse_audio(self.agent_sdp), secrets.randbelow(2**31),
                                       ctx.ua.transport.host))
        except (SdpError, OSError, TimeoutError, ValueError, RuntimeError) as exc:
            log.error("callback media failed", call=self.ref.call, error=str(exc))
            ctx.ua.ack(self.agent_out)
            self.hang_up("media_failed")
            ctx.acd.apply(OfferRejected(call=self.ref, agent=self.agent))
            return
        ctx.ua.ack(self.agent_out, body=answer.sdp.encode(), headers=SDP)
        self.connected = True
        ctx.acd.apply(OfferAccepted(call=self.ref, agent=self.agent))

    def cancel(self) -> None:
        """The ACD called the offer off (ring timeout)."""
        if self.agent_out is not None and not self.agent_out.final.done():
            self.agent_out.cancel()

    def dial(self) -> None:
        """The ACD's DialCallback: the agent holds; now call the customer."""
        asyncio.get_running_loop().create_task(self._dial())

    async def _dial(self) -> None:
        ctx = self.ctx
        media = CallerMedia(ctx.ng, ctx.prompts, call_id=self.media_call,
                            caller_tag=self.agent_tag)
        media.start_music()
        offered = await ctx.ng.offer(call_id=self.media_call, from_tag=self.agent_tag,
                                     to_tag=self.far_tag, sdp=self.agent_sdp)
        request = ctx.ua.new_request("INVITE", SipUri(host=ctx.center.domain, user=self.number),
                                     headers=SDP, body=offered.sdp.encode())
        self.customer_out = ctx.ua.invite(request, ctx.core)
        response = await self.customer_out.final
        media.cancel_background()
        if not 200 <= response.status < 300:
            assert self.record is not None
            self.record.note(f"customer did not answer the callback: {response.status}")
            await media.sequence(("unavailable",), ctx.center.languages.get(self.ref.tenant,
                                                                             "en"))
            self.hang_up("customer_unreachable")
            return
        # Recorded before the media work below: a hangup meanwhile writes the record.
        if self.record is not None:
            self.record.answered(ctx.wall())
            self.record.connected(self.agent.agent if self.agent else "", ctx.wall(), 0)
        await media.stop()
        await ctx.ng.answer(call_id=self.media_call, from_tag=self.agent_tag,
                            to_tag=self.far_tag, sdp=response.body.decode())

    def hang_up(self, cause: str) -> None:
        """End both legs, the ACD's call and the media; write the record."""
        if self.done.is_set():
            return
        self.done.set()
        for dialog in self.dialogs():
            self.ctx.ua.send_bye(dialog)
        if self.connected:
            self.connected = False
            self.ctx.acd.apply(CallEnded(call=self.ref))
        asyncio.get_running_loop().create_task(self._release(cause))

    async def _release(self, cause: str) -> None:
        try:
            await self.ctx.ng.delete(call_id=self.media_call)
        except Exception as exc:
            log.info("callback media already gone", error=str(exc))
        if self.record is not None:
            self.record.hangup_cause = cause
            self.record.sip_code = self.record.sip_code or 487
            self.record.ended(self.ctx.wall())
            await self.record.write(self.ctx)
