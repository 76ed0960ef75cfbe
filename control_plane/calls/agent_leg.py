"""One offer of a caller to an agent: the INVITE to the seat through the province core.

The seat's SDP comes from RTPengine's ``offer`` on the caller's call with the one fixed
far-side tag, so whichever agent answers, the caller's media port stays where it is and the
caller needs no re-INVITE (DESIGN §5, step 4).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import structlog

from control_plane.acd.model import AgentRef
from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.exchange import OutgoingInvite
from control_plane.sipstack.headers import Address
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.peer import new_tag
from control_plane.sipstack.uri import SipUri

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

log = structlog.get_logger(__name__)

# Answers that mean "this agent will not take it now" rather than "did not answer".
DECLINED = frozenset({486, 600, 603})
# Answers that mean the seat is not reachable at all (not registered, gone).
UNREACHABLE = frozenset({404, 410, 480})


class AgentLeg:
    """The INVITE to one agent's seat for one call, until it is answered or given up."""

    def __init__(self, session: CallSession, agent: AgentRef, seat: str, *,
                 headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.session = session
        self.agent = agent
        self.seat = seat
        self.headers = headers
        self.offered_sdp = ""  # what we sent the seat (re-sent when it puts the caller on hold)
        self.out: OutgoingInvite | None = None
        self.dialog: Dialog | None = None
        self.withdrawn = False  # the ACD (or the caller's hangup) called this offer off
        self.offered_at = session.ctx.wall()
        self.rang_at: float | None = None
        self.early: SipResponse | None = None  # a tagged 1xx: the early dialog (remote answer)
        self.answered_at: float | None = None
        self.status: int | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def call_id(self) -> str | None:
        """The agent leg's own SIP Call-ID (not the caller's)."""
        return self.out.request.call_id if self.out is not None else None

    def start(self) -> None:
        """Place the INVITE in the background."""
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        session = self.session
        ctx = session.ctx
        try:
            offered = await ctx.ng.offer(call_id=session.call_id, from_tag=session.caller_tag,
                                         to_tag=session.far_tag, sdp=session.caller_sdp)
        except Exception as exc:
            log.error("media offer for agent failed", agent=self.agent.agent, error=str(exc))
            self.status = 500
            self.failed(declined=True)
            return
        if self.withdrawn:
            return
        self.offered_sdp = offered.sdp
        request = ctx.ua.new_request(
            "INVITE", SipUri(host=ctx.center.domain, user=self.seat),
            headers=(("Content-Type", "application/sdp"), *self.headers),
            body=offered.sdp.encode(),
        )
        caller = Address(SipUri(host=ctx.center.domain, user=session.caller or "anonymous"),
                         display_name=session.caller or None)
        # The leg's Contact names the caller's session, so the core can take the agent's
        # later requests to whichever replica holds the call (calls/failover/contact.py).
        request = request.evolve(from_=caller.with_tag(new_tag()),
                                 contact=(ctx.ua.contact(call_id=session.call_id),))
        self.out = ctx.ua.invite(request, ctx.core, on_provisional=self._provisional)
        ctx.legs[request.call_id] = self
        response = await self.out.final
        self.status = response.status
        if 200 <= response.status < 300:
            self.dialog = self.out.dialog
            if self.out.cancelled or self.withdrawn:
                return  # the stack already hung up the late answer (CANCEL/200 race)
            self.answered_at = ctx.wall()
            await self.answered(response)
        elif not self.withdrawn:
            self.failed(declined=response.status in DECLINED or response.status in UNREACHABLE)

    async def answered(self, response: SipResponse) -> None:
        """The seat answered: the session connects it."""
        await self.session.agent_answered(self, response)

    def failed(self, *, declined: bool) -> None:
        """The seat did not take the call: the session tells the ACD."""
        self.session.offer_failed(self, declined=declined)

    def _provisional(self, response: SipResponse) -> None:
        if response.status in (180, 183) and self.rang_at is None:
            self.rang_at = self.session.ctx.wall()
        if response.to.tag and self.early is None:
            self.early = response

    def withdraw(self) -> None:
        """Call the offer off: CANCEL while ringing, BYE if it was answered meanwhile."""
        self.withdrawn = True
        if self.out is None:
            return
        if self.dialog is not None:
            self.hang_up()
        elif not self.out.final.done():
            self.out.cancel()

    def ended(self) -> None:
        """The seat hung up (BYE)."""
        self.session.agent_gone(self)

    def hang_up(self) -> None:
        """BYE the agent's dialog if it is up."""
        dialog, self.dialog = self.dialog, None
        if dialog is not None and dialog.id in self.session.ctx.ua.dialogs:
            self.session.ctx.ua.send_bye(dialog)

    def ring_ms(self) -> int:
        """How long the seat rang before the answer (0 if it never rang)."""
        if self.answered_at is None:
            return 0
        return int((self.answered_at - (self.rang_at or self.offered_at)) * 1000)


class TransferLeg(AgentLeg):
    """A blind or attended transfer's leg to a seat or a number: the ACD is not involved;
    on answer the caller is connected to it, otherwise the caller hears why and the call
    ends (the transferring agent is already gone)."""

    async def answered(self, response: SipResponse) -> None:
        """The target answered."""
        from control_plane.calls.incall import transfer_answered

        await transfer_answered(self.session, self, response)

    def failed(self, *, declined: bool) -> None:
        """The target did not answer."""
        from control_plane.calls.incall import transfer_failed

        transfer_failed(self.session, self)
