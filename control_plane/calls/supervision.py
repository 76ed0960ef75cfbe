"""Supervisor listen, whisper and barge.

Listen: RTPengine's ``subscribe request`` on the caller's call (from-tags C and B) gives
the SDP the supervisor is offered; their answer goes back with ``subscribe answer``;
``unsubscribe`` ends it (DESIGN §5 step 6). RTPengine 10.5 does not mix, so whisper and
barge go through our own mixing bridge (control_plane/calls/mixing_leg.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog

from control_plane.acd.model import AgentRef
from control_plane.calls.agent_leg import AgentLeg
from control_plane.sipstack.uri import SipUri

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

log = structlog.get_logger(__name__)
MODES = ("listen", "whisper", "barge")


class MonitorError(RuntimeError):
    """A monitoring request that cannot be carried out; ``error_id`` is stable."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


class ListenLeg(AgentLeg):
    """The INVITE to the supervisor's seat carrying the subscription's SDP."""

    def __init__(self, session: CallSession, supervisor: str) -> None:
        super().__init__(session, AgentRef(session.route.tenant, f"supervisor:{supervisor}"),
                         supervisor)
        self.subscription: str | None = None

    async def _run(self) -> None:
        session = self.session
        ctx = session.ctx
        subscribed = await ctx.ng.subscribe_request(
            call_id=session.call_id, from_tags=(session.caller_tag, session.far_tag))
        self.subscription = subscribed.to_tag
        self.offered_sdp = subscribed.sdp  # what a re-INVITE from the seat is answered with
        request = ctx.ua.new_request(
            "INVITE", SipUri(host=ctx.center.domain, user=self.seat),
            headers=(("Content-Type", "application/sdp"),), body=subscribed.sdp.encode())
        self.out = ctx.ua.invite(request, ctx.core)
        ctx.legs[request.call_id] = self
        response = await self.out.final
        self.status = response.status
        if 200 <= response.status < 300 and not self.withdrawn:
            self.dialog = self.out.dialog
            await ctx.ng.subscribe_answer(call_id=session.call_id, to_tag=subscribed.to_tag,
                                          sdp=response.body.decode())
            session.record.note(f"supervisor {self.seat} listened")
        else:
            await self._unsubscribe()

    async def _unsubscribe(self) -> None:
        tag, self.subscription = self.subscription, None
        if tag is not None:
            try:
                await self.session.ctx.ng.unsubscribe(call_id=self.session.call_id, to_tag=tag)
            except Exception as exc:  # the call may be gone already: nothing left to stop
                log.info("unsubscribe failed", error=str(exc))

    def ended(self) -> None:
        """The supervisor hung up."""
        self.dialog = None
        self.session.listeners.discard(self)
        self.session.spawn(self._unsubscribe())


async def monitor(session: CallSession, supervisor_seat: str, mode: str) -> AgentLeg:
    """Start monitoring ``session`` from ``supervisor_seat``; waits for the INVITE's answer
    (whisper/barge: until every leg is on the mixing bridge)."""
    from control_plane.calls.mixing_leg import start_mixing
    from control_plane.calls.session import Phase

    if mode not in MODES:
        raise MonitorError("calls.monitor_mode_unknown", f"mode must be one of {MODES}")
    if session.phase is not Phase.CONNECTED:
        raise MonitorError("calls.not_connected", f"the call is {session.phase.value}")
    if mode != "listen":
        return await start_mixing(session, supervisor_seat, mode)
    leg = ListenLeg(session, supervisor_seat)
    session.listeners.add(leg)
    leg.start()
    assert leg.task is not None
    await leg.task
    if leg.status is None or not 200 <= leg.status < 300:
        session.listeners.discard(leg)
        raise MonitorError("calls.monitor_unanswered",
                           f"the supervisor's seat answered {leg.status}")
    return leg
