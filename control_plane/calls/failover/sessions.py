"""Taking a call session's snapshot and rebuilding the session from one on another
replica (its dialogs go back into the SIP stack, its agent leg into the controller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from control_plane.acd.model import AgentRef, CallRef
from control_plane.calls.agent_leg import AgentLeg
from control_plane.calls.center import Route
from control_plane.calls.failover.snapshot import (
    DialogSnapshot,
    LegSnapshot,
    SessionSnapshot,
    record_data,
    record_of,
)
from control_plane.calls.phase import Phase
from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.exchange import IncomingRequest
from control_plane.sipstack.headers import CSeq
from control_plane.sipstack.message import SipRequest
from control_plane.sipstack.peer import Peer
from control_plane.sipstack.transaction_server import ServerTransaction

SDP = (("Content-Type", "application/sdp"),)

if TYPE_CHECKING:
    from control_plane.calls.context import ControllerContext
    from control_plane.calls.session import CallSession


def capture(session: CallSession, *, owner: str, now: float) -> SessionSnapshot | None:
    """The session as it stands; None before the caller was answered (nothing to keep:
    the INVITE transaction dies with its replica and the caller's side retries)."""
    dialog = session.incoming.dialog
    if dialog is None or session.phase in (Phase.ANSWERING, Phase.ENDED):
        return None
    leg = session.agent_leg
    leg_snapshot = None
    if leg is not None and leg.dialog is not None and session.phase is Phase.CONNECTED:
        leg_snapshot = LegSnapshot(
            tenant=leg.agent.tenant, agent=leg.agent.agent, seat=leg.seat,
            offered_sdp=leg.offered_sdp, offered_at=leg.offered_at, rang_at=leg.rang_at,
            answered_at=leg.answered_at, dialog=DialogSnapshot.of(leg.dialog))
    route = session.route
    return SessionSnapshot(
        call_id=session.call_id, acd_call=session.ref.call, caller_tag=session.caller_tag,
        far_tag=session.far_tag, caller=session.caller, number=route.number,
        tenant=route.tenant, flow=route.flow, queue=route.queue, phase=session.phase.value,
        language=session.language, caller_sdp=session.caller_sdp,
        caller_answer_sdp=session.caller_answer_sdp, media_created=session.media_created,
        recording=session.recording, acd_connected=session.acd_connected,
        on_hold=session.on_hold, hold_since=session.hold_since, segment=session.segment,
        callback=session.callback, caller_dialog=DialogSnapshot.of(dialog),
        agent_leg=leg_snapshot, record=record_data(session.record), owner=owner,
        saved_at=now, media_blocked=session.media_blocked)


@dataclass(eq=False)
class RestoredInvite(IncomingRequest):
    """The caller's INVITE of a call answered by another replica: answered already, its
    transaction gone with that replica."""

    @property
    def answered(self) -> bool:
        """Always: the caller was answered before the snapshot."""
        return True

    def respond(self, status: int, reason: str | None = None, *,
                headers: tuple[tuple[str, str], ...] = (), body: bytes = b"") -> Dialog | None:
        """Nothing to answer any more."""
        return self.dialog


def restore(ctx: ControllerContext, snap: SessionSnapshot) -> CallSession:
    """The session again on this replica, its dialogs known to the SIP stack."""
    from control_plane.calls.session import CallSession

    dialog = snap.caller_dialog.restore()
    ctx.ua.dialogs[dialog.id] = dialog
    invite = SipRequest(
        method="INVITE", uri=dialog.local_uri.uri, via=(ctx.ua.via(),),
        from_=dialog.remote_uri.with_tag(dialog.remote_tag),
        to=dialog.local_uri.with_tag(dialog.local_tag), call_id=dialog.call_id,
        cseq=CSeq(dialog.remote_seq or 1, "INVITE"), body=snap.caller_sdp.encode())
    incoming = RestoredInvite(invite, Peer(ctx.core.host, ctx.core.port), dialog, snap.far_tag,
                              cast(ServerTransaction, None), ctx.ua)
    session = CallSession(ctx, incoming, Route(snap.number, snap.tenant, snap.flow, snap.queue))
    session.caller = snap.caller
    session.phase = Phase(snap.phase)
    session.language = snap.language
    session.caller_answer_sdp = snap.caller_answer_sdp
    session.media_created = snap.media_created
    session.recording = snap.recording
    session.acd_connected = snap.acd_connected
    session.on_hold, session.hold_since = snap.on_hold, snap.hold_since
    session.media_blocked = snap.media_blocked
    session.segment = snap.segment
    session.callback = snap.callback
    session.ref = CallRef(snap.tenant, snap.acd_call)
    session.record = record_of(snap.record)
    session.record.note(f"taken over from replica {snap.owner}")
    if snap.agent_leg is not None:
        session.agent_leg = _restore_leg(ctx, session, snap.agent_leg)
    return session


def _restore_leg(ctx: ControllerContext, session: CallSession, snap: LegSnapshot) -> AgentLeg:
    leg = AgentLeg(session, AgentRef(snap.tenant, snap.agent), snap.seat)
    leg.offered_sdp, leg.offered_at = snap.offered_sdp, snap.offered_at
    leg.rang_at, leg.answered_at = snap.rang_at, snap.answered_at
    leg.status = 200
    leg.dialog = snap.dialog.restore()
    ctx.ua.dialogs[leg.dialog.id] = leg.dialog
    ctx.legs[leg.dialog.call_id] = leg
    return leg


async def refresh_targets(session: CallSession) -> None:
    """Tell the caller and the agent where the call lives now: a re-INVITE is a target
    refresh (RFC 3261 §12.2), carrying the SDP they already have, so media is untouched.
    Afterwards their requests name this replica, even if the dead one comes back (a
    restarted replica stands by and holds none of these dialogs)."""
    ctx = session.ctx
    legs = [(session.incoming.dialog, session.caller_answer_sdp)]
    leg = session.agent_leg
    if leg is not None and not session.on_hold:  # a held agent keeps its own direction
        legs.append((leg.dialog, leg.offered_sdp))
    for dialog, sdp in legs:
        if dialog is None or not sdp or dialog.id not in ctx.ua.dialogs:
            continue
        request = ctx.ua.in_dialog(dialog, "INVITE", headers=SDP, body=sdp.encode())
        response = await ctx.ua.invite(request).final
        if response.status >= 300:
            session.record.note(f"target refresh after takeover refused: {response.status}")
