"""The queue side of a call session: entering the queue with music, announcements, the
callback offer, offers to agents and connecting the one who answers (DESIGN §5 step 4)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine
from typing import TYPE_CHECKING, cast

from control_plane.acd.events import (
    CallArrived,
    CallbackRequested,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
    SeatUnregistered,
)
from control_plane.acd.model import AgentRef, CallOutcome, CallRef, PriorityClass
from control_plane.calls.agent_leg import UNREACHABLE, AgentLeg
from control_plane.calls.center import Route
from control_plane.calls.context import ControllerContext
from control_plane.calls.media_io import CallerMedia
from control_plane.calls.phase import Phase
from control_plane.calls.records import CallRecord
from control_plane.events.bus import EventKind
from control_plane.ivr.prompts import number_prompts
from control_plane.media.ng_errors import NgFailure
from control_plane.sipstack.message import SipResponse

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession
    from control_plane.ivr.runner import IvrOutcome

_PRIORITY = {"normal": PriorityClass.NORMAL, "important": PriorityClass.IMPORTANT,
             "vip": PriorityClass.VIP}


class QueueSide:
    """Mixed into `CallSession`; the attributes below are the session's."""

    ctx: ControllerContext
    route: Route
    ref: CallRef
    call_id: str
    caller: str
    caller_tag: str
    far_tag: str
    phase: Phase
    language: str
    media: CallerMedia
    record: CallRecord
    offers: dict[AgentRef, AgentLeg]
    agent_leg: AgentLeg | None
    acd_connected: bool
    callback: bool
    callback_offered: bool

    if TYPE_CHECKING:  # provided by CallSession
        def spawn(self, work: Coroutine[object, object, object]) -> None: ...
        def end(self, cause: str) -> None: ...
        async def start_recording(self) -> None: ...

    def enqueue(self, queue: str, outcome: IvrOutcome | None = None) -> None:
        """Put the caller in ``queue`` with music on hold."""
        self.phase = Phase.QUEUED
        self.record.queued(queue, self.ctx.wall())
        self.ctx.metrics.queued(self.route.tenant, queue)
        self.ctx.publish(EventKind.CALL_QUEUED, tenant=self.route.tenant, call_id=self.call_id,
                         queue=queue, caller=self.caller, position=0, priority=0)
        offer_after = self.ctx.center.callback_offers.get((self.route.tenant, queue))
        if offer_after is not None and not self.callback:
            self.spawn(self._offer_callback(offer_after))
        self.media.start_music(language=self.language)
        attributes = dict(outcome.variables) if outcome else {}
        if outcome and outcome.skill:
            attributes["ivr_skill"] = outcome.skill
        priority = _PRIORITY.get(outcome.priority or "") if outcome else None
        result = self.ctx.acd.apply(CallArrived(
            call=self.ref, queue=queue, caller=self.caller, priority_class=priority,
            attributes=attributes,
        ))
        self.ctx.keep(cast("CallSession", self))
        if result.rejection is not None:
            self.record.note(f"queue refused the call: {result.rejection.reason}")
            self.media.start_music(before=("unavailable",), language=self.language)
            asyncio.get_running_loop().call_later(5.0, self.end, "queue_refused")

    async def _offer_callback(self, after_s: float) -> None:
        """After ``after_s`` in the queue: "press 1 to be called back, keeping your place"."""
        await asyncio.sleep(after_s)
        if self.phase is not Phase.QUEUED:
            return
        self.media.start_music(before=("callback_offer",), language=self.language)
        await self._await_callback_choice()

    async def _await_callback_choice(self) -> None:
        if self.callback_offered:
            return
        self.callback_offered = True
        while self.phase is Phase.QUEUED and not self.callback:
            if await self.media.digits.get() == "1":
                self.ctx.acd.apply(CallbackRequested(call=self.ref))
                return

    def callback_scheduled(self) -> None:
        """The ACD keeps the caller's place as a callback: confirm, then hang up."""
        self.callback = True
        self.record.note("callback scheduled: the caller keeps the place")
        self.record.queue_outcome = "callback"
        self.record.waited_s = self.ctx.wall() - self.record.enqueued_at

        async def confirm() -> None:
            await self.media.sequence(("callback_confirmed", "goodbye"), self.language)
            self.end("callback_scheduled")

        self.media.cancel_background()
        self.spawn(confirm())

    def announce(self, position: int, expected_s: float) -> None:
        """Position and expected wait, then back to music."""
        if self.phase is not Phase.QUEUED:
            return
        prompts = ["queue_position_prefix", *number_prompts(position), "queue_position_suffix"]
        if math.isfinite(expected_s):  # no staffed agent: no honest estimate to announce
            minutes = round(expected_s / 60)
            if minutes < 1:
                prompts.append("wait_under_minute")
            else:
                prompts += ["wait_prefix", *number_prompts(minutes), "wait_minutes"]
        # A long estimated wait (or none at all) is when a callback is worth offering.
        long_wait = self.ctx.center.callback_offer_waits.get((self.route.tenant,
                                                              self.record.queue))
        if long_wait is not None and not self.callback and expected_s >= long_wait:
            prompts.append("callback_offer")
            self.spawn(self._await_callback_choice())
        self.media.start_music(before=prompts, language=self.language)

    def offer(self, agent: AgentRef) -> None:
        """The ACD offers the call to ``agent``: ring their seat (music keeps playing)."""
        found = self.ctx.center.agent(agent.tenant, agent.agent)
        if found is None or self.phase is not Phase.QUEUED:
            self.ctx.acd.apply(OfferRejected(call=self.ref, agent=agent))
            return
        leg = AgentLeg(cast("CallSession", self), agent, found.seat)
        self.offers[agent] = leg
        self.ctx.publish(EventKind.CALL_OFFERED, tenant=self.route.tenant,
                         call_id=self.call_id, queue=self.record.queue, agent=agent.agent,
                         caller=self.caller, ring_timeout_s=self.ctx.ring_timeout_s,
                         waited_s=round(self.ctx.wall() - self.record.enqueued_at, 1))
        leg.start()

    def cancel_offer(self, agent: AgentRef) -> None:
        """The ACD calls the offer off (ring timeout, answered elsewhere, caller gone)."""
        leg = self.offers.pop(agent, None)
        if leg is not None:
            self.record.offer(leg.agent.agent, "cancelled", leg.status)
            leg.withdraw()
            self._offer_ended(agent, "timeout" if self.phase is Phase.QUEUED else "cancelled")

    def _offer_ended(self, agent: AgentRef, reason: str) -> None:
        self.ctx.publish(EventKind.CALL_OFFER_ENDED, tenant=self.route.tenant,
                         call_id=self.call_id, queue=self.record.queue, agent=agent.agent,
                         reason=reason)

    def offer_failed(self, leg: AgentLeg, *, declined: bool) -> None:
        """The seat refused or could not be reached: back to the ACD, which re-queues."""
        if self.offers.pop(leg.agent, None) is None:
            return
        self.record.offer(leg.agent.agent, "declined" if declined else "no_answer", leg.status)
        self._offer_ended(leg.agent, "declined" if declined else "timeout")
        event = OfferRejected if declined else OfferTimedOut
        self.ctx.acd.apply(event(call=self.ref, agent=leg.agent))
        if leg.status in UNREACHABLE:  # the core has no registration: stop offering it
            self.ctx.acd.apply(SeatUnregistered(agent=leg.agent))

    async def agent_answered(self, leg: AgentLeg, response: SipResponse) -> None:
        """Connect: stop the music first, then answer on the same far-side tag."""
        self.offers.pop(leg.agent, None)
        if self.phase is not Phase.QUEUED:
            leg.hang_up()
            return
        self.media.cancel_background()
        await self.media.stop()
        try:
            await self.ctx.ng.answer(call_id=self.call_id, from_tag=self.caller_tag,
                                     to_tag=self.far_tag, sdp=response.body.decode())
        except (NgFailure, OSError, TimeoutError) as exc:
            self.record.offer(leg.agent.agent, "broken_sdp", response.status)
            self.record.note(f"agent {leg.agent.agent} answer unusable: {exc}")
            leg.hang_up()
            self.media.start_music(language=self.language)
            self.ctx.acd.apply(OfferRejected(call=self.ref, agent=leg.agent))
            return
        self.phase = Phase.CONNECTED
        self.agent_leg = leg
        self.record.connected(leg.agent.agent, self.ctx.wall(), leg.ring_ms())
        self.record.offer(leg.agent.agent, "answered", response.status)
        waited = self.ctx.wall() - self.record.enqueued_at
        config = self.ctx.center.queues.get((self.route.tenant, self.record.queue))
        self.ctx.metrics.answered(
            self.route.tenant, self.record.queue, waited_s=waited,
            threshold_s=config.service_level.threshold_s if config else 20.0)
        self.ctx.acd.apply(OfferAccepted(call=self.ref, agent=leg.agent))
        self.acd_connected = True
        self.ctx.keep(cast("CallSession", self))
        self.ctx.publish(EventKind.CALL_CONNECTED, tenant=self.route.tenant,
                         call_id=self.call_id, queue=self.record.queue, agent=leg.agent.agent,
                         caller=self.caller, waited_s=round(waited, 1))
        if self.ctx.record_calls:
            await self.start_recording()

    def finished_in_acd(self, outcome: CallOutcome, waited_s: float) -> None:
        """The ACD's verdict for this call's queue segment."""
        self.record.finished(outcome.value, waited_s)

