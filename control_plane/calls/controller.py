"""The call controller: a signalling-only B2BUA the province cores dispatch callers to.

It answers callers (media in RTPengine), runs their IVR, queues them in the ACD and places
agent legs back through the core. This module routes SIP, DTMF and ACD commands to the
`CallSession` they belong to; the sessions do the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from control_plane.acd import commands as cmd
from control_plane.acd.events import (
    AgentLoggedIn,
    OfferRejected,
    SeatRegistered,
    SeatUnregistered,
)
from control_plane.acd.model import AgentRef
from control_plane.calls.agent_leg import AgentLeg
from control_plane.calls.callback import CallbackJob
from control_plane.calls.context import ControllerContext
from control_plane.calls.incall import agent_refer, agent_reinvite
from control_plane.calls.records import CallRecord
from control_plane.calls.session import CallSession
from control_plane.media.dtmf import DtmfEvent
from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.exchange import Handler, IncomingRequest
from control_plane.sipstack.message import SipRequest
from control_plane.sipstack.uri import SipUri

log = structlog.get_logger(__name__)
OPERATOR_TENANT = "operator"


class CallController(Handler):
    """Routes everything that happens to the session it concerns."""

    def __init__(self, *, max_calls: int = 2000) -> None:
        self.ctx: ControllerContext | None = None
        self.sessions: dict[str, CallSession] = {}  # by the caller's Call-ID
        self.max_calls = max_calls
        self.on_session_end: Callable[[CallSession], None] = lambda s: None
        self._seat_up: dict[AgentRef, bool] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.callbacks: dict[str, CallbackJob] = {}  # by the caller's Call-ID
        # A standby replica (calls/failover) refuses new calls until it takes over.
        self.active = True
        # Set when dialogs name the core pair (calls/failover/contact.py): Call-ID → Contact.
        self.shared_contact: Callable[[str], SipUri] | None = None

    def attach(self, ctx: ControllerContext) -> None:
        """Bind to the shared context (its ACD driver sends commands to `on_command`)."""
        self.ctx = ctx

    def _context(self) -> ControllerContext:
        if self.ctx is None:
            raise RuntimeError("CallController.attach() was not called")
        return self.ctx

    def login_agents(self) -> None:
        """Log in every agent configured to start logged in (ready, seat assumed up until
        the core says otherwise)."""
        ctx = self._context()
        for agent in ctx.center.agents:
            if agent.auto_login:
                ctx.acd.apply(AgentLoggedIn(agent=AgentRef(agent.tenant, agent.agent_id),
                                            profile=agent.profile))

    # ----- SIP -----

    def contact_for(self, call_id: str) -> SipUri | None:
        """The Contact of a caller's dialog or of one of its legs (None: our own)."""
        if self.shared_contact is None:
            return None
        session = self.sessions.get(call_id)
        if session is None and self.ctx is not None and call_id in self.ctx.legs:
            session = self.ctx.legs[call_id].session
        return self.shared_contact(session.call_id if session is not None else call_id)

    def on_request(self, incoming: IncomingRequest) -> None:
        """New calls, re-INVITEs, INFO digits; BYE was answered by the stack already."""
        request = incoming.request
        if request.method == "INVITE" and incoming.dialog is None and not self.active:
            # Not recorded: the core hands the call to the active replica, which records it.
            incoming.respond(503, "Standby Controller", headers=(("Retry-After", "1"),))
        elif request.method == "INVITE" and incoming.dialog is None:
            self._new_call(incoming)
        elif request.method == "BYE":
            return
        elif (leg := self._context().legs.get(request.call_id)) is not None:
            self._from_leg(leg, incoming)
        elif request.method == "INVITE":
            self._reinvite(incoming)
        elif request.method == "INFO":
            self._info(incoming)
        else:
            incoming.respond(501 if incoming.dialog is None else 200)

    def _from_leg(self, leg: AgentLeg, incoming: IncomingRequest) -> None:
        method = incoming.request.method
        session = leg.session
        if method == "INVITE":
            session.spawn(agent_reinvite(session, leg, incoming))
        elif method == "REFER":
            agent_refer(session, leg, incoming)
        else:  # INFO, NOTIFY, UPDATE without SDP: nothing to do but acknowledge
            incoming.respond(200)

    def _new_call(self, incoming: IncomingRequest) -> None:
        ctx = self._context()
        request = incoming.request
        number = request.uri.user if isinstance(request.uri, SipUri) else None
        route = ctx.center.routes.get(number or "")
        earlier = self.sessions.get(request.call_id)
        if earlier is not None:
            if earlier.refusal is not None:  # the edge retrying through the other core
                incoming.respond(*earlier.refusal)
            else:
                incoming.respond(482, "Loop Detected")
            return
        if route is None:
            log.warning("unknown number", number=number, call_id=request.call_id)
            incoming.respond(404, "Unknown Number")
            self._record_refusal(incoming, number or "", 404, "unknown number")
            return
        if len(self.sessions) >= self.max_calls:
            incoming.respond(503, "Controller Busy", headers=(("Retry-After", "5"),))
            self._record_refusal(incoming, number or "", 503, "controller busy",
                                 tenant=route.tenant)
            return
        session = CallSession(ctx, incoming, route)
        self.sessions[session.call_id] = session
        session.start()
        assert session.task is not None
        session.task.add_done_callback(lambda _: self._session_done(session))

    def _record_refusal(self, incoming: IncomingRequest, number: str, status: int,
                        why: str, *, tenant: str = OPERATOR_TENANT) -> None:
        # A number routed nowhere belongs to no tenant: the operator's own records hold it.
        ctx = self._context()
        request = incoming.request
        uri = request.from_.uri
        record = CallRecord(call_id=request.call_id, tenant=tenant, did=number,
                            caller=uri.user or "" if isinstance(uri, SipUri) else "",
                            started_at=ctx.wall())
        record.refused(status, why)
        record.ended(ctx.wall())
        task = asyncio.get_running_loop().create_task(record.write(ctx))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def adopt(self, session: CallSession) -> None:
        """Carry on a call another replica kept (calls/failover/takeover.py)."""
        self.sessions[session.call_id] = session
        session.resume()
        assert session.task is not None
        session.task.add_done_callback(lambda _: self._session_done(session))

    def _session_done(self, session: CallSession) -> None:
        self.sessions.pop(session.call_id, None)
        legs = self._context().legs
        for call_id, leg in list(legs.items()):
            if leg.session is session:
                del legs[call_id]
        self.on_session_end(session)

    def _reinvite(self, incoming: IncomingRequest) -> None:
        # A session refresh or a hold from the caller: answer with the media we already
        # gave (RTPengine keeps the ports); direction changes are not relayed yet.
        session = self.sessions.get(incoming.request.call_id)
        if session is None or not session.caller_answer_sdp:
            incoming.respond(481)
            return
        incoming.respond(200, headers=(("Content-Type", "application/sdp"),),
                         body=session.caller_answer_sdp.encode())

    def _info(self, incoming: IncomingRequest) -> None:
        session = self.sessions.get(incoming.request.call_id)
        body = incoming.request.body.decode(errors="replace")
        incoming.respond(200)
        if session is None:
            return
        for line in body.splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "signal" and value.strip():
                session.media.digit_pressed(value.strip()[0])

    def on_cancel(self, invite: SipRequest) -> None:
        """The caller gave up before we answered."""
        session = self.sessions.get(invite.call_id)
        if session is not None:
            session.caller_gone("caller_cancel")

    def on_dialog_ended(self, dialog: Dialog, reason: str) -> None:
        """BYE from the caller or from an agent (our own BYEs end here too: ignored)."""
        if reason == "local-bye":
            return
        session = self.sessions.get(dialog.call_id)
        if session is not None:
            session.caller_gone("caller" if reason == "bye" else reason)
            return
        leg = self._context().legs.get(dialog.call_id)
        if leg is not None:
            leg.ended()
            return
        self._callback_dialog_ended(dialog.call_id)

    # ----- media -----

    def on_dtmf(self, event: DtmfEvent) -> None:
        """A digit from RTPengine: only the caller's own digits drive the IVR."""
        session = self.sessions.get(event.call_id)
        if session is not None and event.tag == session.caller_tag:
            session.media.digit_pressed(event.digit)

    # ----- ACD -----

    def on_command(self, command: cmd.Command) -> None:
        """Carry out one ACD command on its call."""
        call = getattr(command, "call", None)
        if call is not None and call.call in self.callbacks:  # the caller hung up: a job
            self._callback_command(self.callbacks[call.call], command)
            return
        # A call sent back to a queue by its agent runs as "<call-id>#<segment>".
        session = self.sessions.get(call.call.split("#", 1)[0]) if call is not None else None
        if session is not None and call != session.ref:
            log.info("acd command for an earlier segment", command=type(command).__name__)
            if not isinstance(command, cmd.CallFinished):
                return
        if isinstance(command, cmd.PauseAgent):
            log.info("agent paused", agent=command.agent.agent, reason=command.reason)
            return
        if session is None:
            if not isinstance(command, cmd.CallFinished):
                log.warning("acd command for a call we do not hold",
                            command=type(command).__name__, call=call)
            return
        if isinstance(command, cmd.OfferCall):
            session.offer(command.agent)
        elif isinstance(command, cmd.CancelOffer):
            session.cancel_offer(command.agent)
        elif isinstance(command, cmd.AnnouncePosition):
            session.announce(command.position, command.estimate.expected_s)
        elif isinstance(command, cmd.CallFinished):
            session.finished_in_acd(command.outcome, command.waited_s)
        elif isinstance(command, cmd.SendToVoicemail):
            asyncio.get_running_loop().create_task(session.voicemail(command.queue.queue))
        elif isinstance(command, cmd.ScheduleCallback):
            self.callbacks[command.call.call] = CallbackJob(
                self._context(), command.call, command.queue.queue, command.number)
            session.callback_scheduled()
        elif isinstance(command, cmd.RejectCall | cmd.HangUpCall):
            session.media.start_music(before=("all_busy",), language=session.language)
            asyncio.get_running_loop().call_later(5.0, session.end, command.reason)
        elif isinstance(command, cmd.MoveToQueue):
            session.record.note(f"moved to {command.to_queue.queue}: {command.reason}")
        # ConnectCall / RequeueCall / DialCallback: the media is already where it should be.

    def _callback_command(self, job: CallbackJob, command: cmd.Command) -> None:
        ctx = self._context()
        if isinstance(command, cmd.OfferCall):
            agent = ctx.center.agent(command.agent.tenant, command.agent.agent)
            if agent is None:
                ctx.acd.apply(OfferRejected(call=command.call, agent=command.agent))
                return
            job.offer(command.agent, agent.seat)
        elif isinstance(command, cmd.CancelOffer):
            job.cancel()
        elif isinstance(command, cmd.DialCallback):
            job.dial()
        elif isinstance(command, cmd.CallFinished):
            self.callbacks.pop(command.call.call, None)

    def _callback_dialog_ended(self, call_id: str) -> bool:
        for job in self.callbacks.values():
            if any(d.call_id == call_id for d in job.dialogs()) or (
                    job.agent_out is not None and job.agent_out.request.call_id == call_id) or (
                    job.customer_out is not None
                    and job.customer_out.request.call_id == call_id):
                job.hang_up("callback_hangup")
                return True
        return False

    def seats_changed(self, aors: frozenset[str]) -> None:
        """Presence changed: agents whose seat (un)registered become (un)offerable."""
        ctx = self._context()
        for agent in ctx.center.agents:
            ref = AgentRef(agent.tenant, agent.agent_id)
            up = f"{agent.seat}@{ctx.center.domain}" in aors
            if self._seat_up.get(ref) == up:
                continue
            self._seat_up[ref] = up
            ctx.acd.apply(SeatRegistered(agent=ref) if up else SeatUnregistered(agent=ref))
