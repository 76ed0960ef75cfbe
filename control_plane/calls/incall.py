"""What happens during a connected call: hold and resume, transfers, supervisor listen.

Agents drive hold with a re-INVITE (sendonly/inactive = hold) and transfers with REFER
(RFC 3515; a Refer-To carrying Replaces is an attended transfer), as their softphones do.
The caller's media never moves: every party on the far side is the one RTPengine tag B.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import unquote

import structlog

from control_plane.acd.model import AgentRef, CallRef
from control_plane.calls.agent_leg import AgentLeg, TransferLeg
from control_plane.calls.mixing_leg import drop_mixing
from control_plane.calls.sdp import parse_audio, placeholder_answer
from control_plane.events.bus import EventKind
from control_plane.media.ng_errors import NgFailure
from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.exchange import IncomingRequest
from control_plane.sipstack.headers import Address, parse_address
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.uri import SipUri

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

from control_plane.calls.phase import Phase

log = structlog.get_logger(__name__)
SDP = (("Content-Type", "application/sdp"),)
_DIRECTION = re.compile(r"^a=(sendrecv|sendonly|recvonly|inactive)[ \t]*$", re.MULTILINE)
_ANSWER_DIRECTION = {"sendonly": "recvonly", "inactive": "inactive", "recvonly": "sendonly"}


def sdp_direction(sdp: str) -> str:
    """The (first) media direction attribute; sendrecv when absent."""
    found = _DIRECTION.search(sdp.replace("\r\n", "\n"))
    return found.group(1) if found else "sendrecv"


def with_direction(sdp: str, direction: str) -> str:
    """``sdp`` with its direction attribute(s) set to ``direction``."""
    text = sdp.replace("\r\n", "\n")
    if _DIRECTION.search(text):
        text = _DIRECTION.sub(f"a={direction}", text)
    else:
        text = text.rstrip("\n") + f"\na={direction}\n"
    return text.replace("\n", "\r\n")


async def agent_reinvite(session: CallSession, leg: AgentLeg, incoming: IncomingRequest) -> None:
    """Hold (music to the caller) or resume (the agent's voice again)."""
    offer = incoming.request.body.decode(errors="replace")
    direction = sdp_direction(offer) if offer else "sendrecv"
    answer = with_direction(leg.offered_sdp, _ANSWER_DIRECTION.get(direction, "sendrecv"))
    incoming.respond(200, headers=SDP, body=answer.encode())
    if leg is not session.agent_leg:  # a supervisor's or guest's phone: not the caller's hold
        return
    holding = direction in ("sendonly", "inactive")
    if holding and not session.on_hold:
        session.hold_changed(True)
        session.media.start_music(language=session.language)
    elif not holding and session.on_hold:
        session.media.cancel_background()
        await session.media.stop()
        session.hold_changed(False)


def _refer_target(incoming: IncomingRequest) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    raw = incoming.request.header("Refer-To")
    if not raw:
        return None
    try:
        address: Address = parse_address(raw, "Refer-To")
    except (SipParseError, ValueError):
        return None
    uri = address.uri
    if not isinstance(uri, SipUri) or not uri.user:
        return None
    headers = tuple((name, unquote(value)) for name, value in uri.headers
                    if name.lower() == "replaces")
    return uri.user, headers


def agent_refer(session: CallSession, leg: AgentLeg, incoming: IncomingRequest) -> None:
    """A transfer asked by the connected agent: to a queue, a seat or a number."""
    target = _refer_target(incoming)
    if target is None:
        incoming.respond(400, "Bad Refer-To")
        return
    if leg is not session.agent_leg or session.transfer_leg is not None:
        incoming.respond(491, "Request Pending")
        return
    user, replaces = target
    incoming.respond(202, "Accepted")
    notify(session, leg, "SIP/2.0 100 Trying", final=False)
    queue = queue_for(session, user)
    if queue is not None:
        session.record.note(f"agent {leg.agent.agent} transferred the caller to queue {queue}")
        told = notify(session, leg, "SIP/2.0 200 OK", final=True)
        session.agent_leg = None  # the agent's BYE after the NOTIFY must not end the call

        async def after_notify() -> None:
            await _answered(told)
            back_to_queue(session, queue, leg)

        session.spawn(after_notify())
        return
    transfer = TransferLeg(session, leg.agent, user, headers=replaces)
    session.transfer_leg = transfer
    session.ctx.publish(EventKind.CALL_TRANSFERRED, tenant=session.route.tenant,
                        call_id=session.call_id, queue=session.record.queue,
                        agent=leg.agent.agent, target=user,
                        kind="attended" if replaces else "blind")
    session.record.note(f"{'attended' if replaces else 'blind'} transfer to {user}")
    transfer.start()


def notify(session: CallSession, leg: AgentLeg, sipfrag: str, *,
           final: bool) -> asyncio.Future[SipResponse] | None:
    """Tell the transferring agent how the transfer goes (RFC 3515 NOTIFY); the answer's
    future, to await before hanging the agent up (a BYE first would orphan the NOTIFY)."""
    if leg.dialog is None or leg.dialog.id not in session.ctx.ua.dialogs:
        return None
    state = "terminated;reason=noresource" if final else "active;expires=60"
    request = session.ctx.ua.in_dialog(leg.dialog, "NOTIFY", headers=(
        ("Event", "refer"), ("Subscription-State", state),
        ("Content-Type", "message/sipfrag;version=2.0")), body=sipfrag.encode())
    return asyncio.ensure_future(session.ctx.ua.request(
        request, session.ctx.ua.peer_for(leg.dialog.next_hop())))


async def _answered(told: asyncio.Future[SipResponse] | None) -> None:
    """Wait (a little) for the agent to answer our final NOTIFY before hanging them up."""
    if told is not None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(told, timeout=2.0)


async def ivr_transfer(session: CallSession, number: str) -> None:
    """The IVR sends the caller to a number (or seat): music while it rings, then connect."""
    leg = TransferLeg(session, AgentRef(session.route.tenant, f"ivr-transfer:{number}"),
                      number)
    session.transfer_leg = leg
    session.record.note(f"IVR transfer to {number}")
    session.media.start_music(before=("transferring",), language=session.language)
    leg.start()


async def transfer_answered(session: CallSession, leg: TransferLeg,
                            response: SipResponse) -> None:
    """The transfer target answered: connect it, release the agent."""
    old = session.agent_leg
    drop_mixing(session, f"transfer to {leg.seat}")  # the far side B moves to the target
    session.media.cancel_background()  # music while an IVR transfer rang
    await session.media.stop()
    try:
        await session.ctx.ng.answer(call_id=session.call_id, from_tag=session.caller_tag,
                                    to_tag=session.far_tag, sdp=response.body.decode())
    except (NgFailure, OSError, TimeoutError) as exc:
        session.record.note(f"transfer target's answer unusable: {exc}")
        leg.hang_up()
        transfer_failed(session, leg)
        return
    session.transfer_leg = None
    session.agent_leg = leg
    session.record.transferred = True
    if session.phase is Phase.IVR:
        session.phase = Phase.CONNECTED
    if old is not None:
        await _answered(notify(session, old, f"SIP/2.0 {response.status} {response.reason}",
                               final=True))
        old.hang_up()
        session.release_agent()


def transfer_failed(session: CallSession, leg: TransferLeg) -> None:
    """The target did not answer: the agent keeps the caller and hears why; if the agent
    already left (blind transfer), the caller hears that nobody could be reached."""
    session.transfer_leg = None
    session.record.note(f"transfer to {leg.seat} failed with {leg.status}")
    if session.agent_leg is not None:
        notify(session, session.agent_leg, f"SIP/2.0 {leg.status or 500} Transfer Failed",
               final=True)
        return
    session.media.start_music(before=("unavailable", "goodbye"), language=session.language)
    asyncio.get_running_loop().call_later(8.0, session.end, "transfer_failed")


def queue_for(session: CallSession, user: str) -> str | None:
    """The queue a transfer target names: a queue id of the tenant, or a center number
    routed to a queue."""
    tenant = session.route.tenant
    if (tenant, user) in session.ctx.center.queues:
        return user
    route = session.ctx.center.routes.get(user)
    if route is not None and route.tenant == tenant and route.queue is not None:
        return route.queue
    return None


def back_to_queue(session: CallSession, queue: str, leg: AgentLeg) -> None:
    """Transfer to a queue: the agent (``leg``) leaves, the caller gets the placeholder far
    side again and music, in a new queue segment (DESIGN §5 step 4)."""
    drop_mixing(session, f"back to queue {queue}")
    leg.hang_up()
    session.hold_changed(False)
    session.release_agent()
    session.record.close_segment(session.ctx.wall())
    session.segment += 1
    session.ref = CallRef(session.route.tenant, f"{session.call_id}#{session.segment}")
    session.phase = Phase.QUEUED

    async def requeue() -> None:
        offer = parse_audio(session.caller_sdp)
        await session.ctx.ng.answer(
            call_id=session.call_id, from_tag=session.caller_tag, to_tag=session.far_tag,
            sdp=placeholder_answer(offer, secrets.randbelow(2**31),
                                   session.ctx.ua.transport.host))
        session.enqueue(queue)

    session.spawn(requeue())
