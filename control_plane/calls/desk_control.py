"""Call controls from the agent desk: answer, hold, resume, blind transfer, hangup.

The phone drives the same features with SIP (re-INVITE, REFER, BYE); here the controller
drives them itself, so a desk works with any softphone or desk phone:

* hold: RTPengine ``block media`` on the far-side tag B (the agent's packets no longer reach
  the caller) and music played to the caller (from-tag C); counted as hold in the records
  exactly like a phone's hold (``CallSession.hold_changed``). Resume undoes both.
* hangup: the controller BYEs both legs; the CDR says the agent hung up.
* blind transfer: to a queue (the existing back-to-queue path) or to a seat or number (a
  ``TransferLeg`` as for a REFER); the agent is released at once and the caller hears music
  while the target rings.
* answer: the ringing seat is asked to answer with a NOTIFY ``Event: talk`` inside the agent
  leg's early dialog (BroadSoft's remote-answer convention, honoured by Yealink, Polycom and
  Cisco desk phones); the answer itself arrives as the seat's usual 200 OK.

Every refusal is a :class:`DeskControlError` with a stable id the API maps to a status.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from control_plane.acd.model import AgentRef
from control_plane.calls.agent_leg import AgentLeg, TransferLeg
from control_plane.calls.incall import back_to_queue, queue_for
from control_plane.calls.phase import Phase
from control_plane.events.bus import EventKind
from control_plane.media.ng_errors import NgFailure
from control_plane.sipstack.dialog import Dialog

if TYPE_CHECKING:
    from control_plane.calls.controller import CallController
    from control_plane.calls.session import CallSession

log = structlog.get_logger(__name__)

#: How long an API answer waits for the seat's 200 OK after it accepted the NOTIFY.
ANSWER_WAIT_S = 5.0
#: How long an API hangup waits for the call's records to be written.
HANGUP_WAIT_S = 5.0
TRANSFER_KINDS = ("queue", "seat", "number")


class DeskControlError(RuntimeError):
    """A control the call cannot take now; ``error_id`` is stable, ``details`` specific."""

    def __init__(self, error_id: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.details = details


@dataclass(frozen=True)
class CallView:
    """The call after an action, as the desk shows it."""

    call_id: str
    phase: str
    on_hold: bool
    agent: str


def view(session: CallSession) -> CallView:
    """What the desk needs to draw its buttons."""
    return CallView(session.call_id, session.phase.value, session.on_hold,
                    session.record.agent)


def _not_found(call_id: str) -> DeskControlError:
    return DeskControlError("calls.not_found", f"no live call {call_id!r} here",
                            call_id=call_id)


def _wrong_state(session: CallSession, action: str, why: str) -> DeskControlError:
    return DeskControlError("calls.wrong_state", f"cannot {action}: {why}", action=action,
                            phase=session.phase.value, on_hold=session.on_hold)


def agent_call(controller: CallController, call_id: str, agent: AgentRef) -> CallSession:
    """The live call ``call_id`` if ``agent`` talks on it or is offered it; else
    ``calls.not_found`` (another agent's call is not revealed to exist)."""
    session = controller.sessions.get(call_id)
    if session is None or session.route.tenant != agent.tenant:
        raise _not_found(call_id)
    leg = session.agent_leg
    if (leg is not None and leg.agent == agent) or agent in session.offers:
        return session
    raise _not_found(call_id)


def tenant_call(controller: CallController, call_id: str, tenant: str | None) -> CallSession:
    """The live call ``call_id`` of ``tenant`` (None: any tenant, the operator)."""
    session = controller.sessions.get(call_id)
    if session is None or (tenant is not None and session.route.tenant != tenant):
        raise _not_found(call_id)
    return session


def _connected_leg(session: CallSession, action: str) -> AgentLeg:
    leg = session.agent_leg
    if session.phase is not Phase.CONNECTED or leg is None or leg.dialog is None:
        raise _wrong_state(session, action, "the call is not connected to an agent")
    if session.transfer_leg is not None:
        raise _wrong_state(session, action, "a transfer is under way")
    return leg


# ----- hold and resume -----


async def hold(session: CallSession) -> CallView:
    """Music to the caller, the agent's audio blocked; hold time counted."""
    _connected_leg(session, "hold")
    if session.on_hold or session.media_blocked:  # (blocked: a hold is being set up)
        raise _wrong_state(session, "hold", "the call is already on hold")
    session.media_blocked = True
    try:
        await session.ctx.ng.block_media(call_id=session.call_id, from_tag=session.far_tag)
    except (NgFailure, OSError, TimeoutError) as exc:
        session.media_blocked = False
        raise DeskControlError("calls.media_failed", f"rtpengine refused to hold: {exc}",
                               action="hold") from exc
    if session.agent_leg is None or session.ended.is_set():  # gone while we asked
        await unblock(session)
        raise _wrong_state(session, "hold", "the call changed meanwhile")
    session.hold_changed(True)
    session.record.note(f"agent {session.record.agent} held the call from the desk")
    session.media.start_music(language=session.language)
    return view(session)


async def resume(session: CallSession) -> CallView:
    """Stop the music, let the agent be heard again."""
    _connected_leg(session, "resume")
    if not session.on_hold:
        raise _wrong_state(session, "resume", "the call is not on hold")
    session.media.cancel_background()
    await session.media.stop()
    await unblock(session)
    session.hold_changed(False)
    return view(session)


async def unblock(session: CallSession) -> None:
    """Lift a desk hold's block on the far side (the next party there must be heard)."""
    if not session.media_blocked:
        return
    session.media_blocked = False
    try:
        await session.ctx.ng.unblock_media(call_id=session.call_id, from_tag=session.far_tag)
    except (NgFailure, OSError, TimeoutError) as exc:
        session.record.note(f"unblocking the far side failed: {exc}")


# ----- hangup -----


async def hangup(session: CallSession, *, cause: str = "agent") -> CallView:
    """End both legs now; the records say who hung up (``cause``: the agent by default)."""
    _connected_leg(session, "hang up")
    session.record.hangup_cause = cause
    session.end(cause)
    if session.task is not None:
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(session.task), HANGUP_WAIT_S)
    return view(session)


# ----- blind transfer -----


async def transfer(session: CallSession, *, kind: str, target: str) -> CallView:
    """Blind transfer to a queue of the tenant, a seat of the tenant or a number."""
    leg = _connected_leg(session, "transfer")
    if kind not in TRANSFER_KINDS:
        raise DeskControlError("calls.transfer_target_unknown",
                               f"kind must be one of {TRANSFER_KINDS}", field="kind")
    tenant = session.route.tenant
    if kind == "queue":
        queue = queue_for(session, target)
        if queue is None:
            raise DeskControlError("calls.transfer_target_unknown",
                                   f"no queue {target!r} in tenant {tenant}", field="target")
        await _leave_hold(session)
        session.record.note(f"agent {leg.agent.agent} transferred the caller to queue "
                            f"{queue} from the desk")
        session.agent_leg = None  # the agent's leg ending must not end the call
        back_to_queue(session, queue, leg)
        return view(session)
    if kind == "seat":
        agent = session.ctx.center.agent_by_seat(target)
        if agent is None or agent.tenant != tenant:
            raise DeskControlError("calls.transfer_target_unknown",
                                   f"no seat {target!r} in tenant {tenant}", field="target")
    await _leave_hold(session)
    out = TransferLeg(session, leg.agent, target)
    session.transfer_leg = out
    session.ctx.publish(EventKind.CALL_TRANSFERRED, tenant=tenant, call_id=session.call_id,
                        queue=session.record.queue, agent=leg.agent.agent, target=target,
                        kind="blind")
    session.record.note(f"blind transfer to {kind} {target} from the desk")
    # Blind: the agent leaves at once; the caller hears music until the target answers
    # (or hears why not: incall.transfer_failed).
    session.agent_leg = None
    leg.hang_up()
    session.release_agent()
    session.media.start_music(before=("transferring",), language=session.language)
    out.start()
    return view(session)


async def _leave_hold(session: CallSession) -> None:
    if session.on_hold:
        session.media.cancel_background()
        await session.media.stop()
        session.hold_changed(False)
    await unblock(session)


# ----- answer -----


async def answer(session: CallSession, agent: AgentRef) -> CallView:
    """Ask ``agent``'s ringing seat to answer (NOTIFY talk in the early dialog) and wait
    for the seat's 200 OK to connect the call."""
    leg = session.offers.get(agent)
    if leg is None or leg.out is None or leg.out.final.done():
        raise _wrong_state(session, "answer", "no offer is ringing this agent")
    if leg.early is None:
        raise DeskControlError(
            "calls.remote_answer_unavailable",
            "the seat has not sent a ringing answer with a dialog tag yet: try again",
            action="answer")
    early = Dialog.as_uac(leg.out.request, leg.early)
    ua = session.ctx.ua
    notify = ua.in_dialog(early, "NOTIFY", headers=(
        ("Event", "talk"), ("Subscription-State", "terminated;reason=noresource")))
    response = await ua.request(notify, ua.peer_for(early.next_hop()))
    if not 200 <= response.status < 300:
        raise DeskControlError(
            "calls.remote_answer_refused",
            f"the seat refused to answer remotely: {response.status} {response.reason}",
            sip_status=response.status)
    final = leg.out
    try:
        await asyncio.wait_for(asyncio.shield(final.final), ANSWER_WAIT_S)
    except TimeoutError as exc:
        raise DeskControlError("calls.remote_answer_unanswered",
                               f"the seat accepted but did not answer in {ANSWER_WAIT_S:.0f} s",
                               action="answer") from exc
    if final.dialog is not None:
        # Our NOTIFY used a CSeq of the dialog: later requests must go above it.
        final.dialog.local_seq = max(final.dialog.local_seq, early.local_seq)
    # The session connects the answered leg (media, ACD) on its own task: wait for it.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_WAIT_S
    while (session.agent_leg is not leg and not session.ended.is_set()
           and loop.time() < deadline):
        if leg.status is not None and not 200 <= leg.status < 300:
            break
        await asyncio.sleep(0.05)
    if session.agent_leg is not leg:
        raise _wrong_state(session, "answer", f"the seat answered {leg.status} but the call "
                           "could not be connected")
    return view(session)
