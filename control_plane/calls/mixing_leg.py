"""Whisper, barge and the agent's three-way conference through our own mixing bridge.

RTPengine 10.5 does not mix, so the controller runs a small G.711 bridge
(control_plane/media/mixer) and makes it the far side of every leg; RTPengine still anchors
each one. X = the caller's call, C = caller tag, B = the one far-side tag (session.py).

Start (the ng sequence, verified against RTPengine 10.5 by tests/e2e/test_supervision.py):
1. The bridge opens a port per party, all in the caller's negotiated G.711 law.
2. Third party (the supervisor, or the agent's conference guest: a seat or a number):
   ``offer {X-mix-<n>-third, from-tag mixer, sdp: bridge}`` → INVITE the third party with it;
   their 200 → ``answer {X-mix-<n>-third, mixer, seat}`` → the RTPengine port the bridge sends
   the third party's mix to.
3. Agent: ``offer {X-mix-<n>-agent, from-tag mixer, sdp: bridge}`` → re-INVITE the agent
   (their own dialog; the agent moves off X); 200 → ``answer {X-mix-<n>-agent, mixer, seat}``.
4. Caller: ``answer {X, from-tag C, to-tag B, sdp: bridge}`` — the same fixed tag B, so
   RTPengine keeps the caller's port: the caller gets NO re-INVITE; the bridge sends the
   caller's mix to X's B-side port (the SDP the agent was first offered).
End (the third party hangs up): re-INVITE the agent with X's B-side SDP again,
``answer {X, C, B, sdp: agent}``, ``delete`` the two bridge calls, close the bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import structlog

from control_plane.acd.model import AgentRef
from control_plane.calls.agent_leg import AgentLeg
from control_plane.calls.phase import Phase
from control_plane.calls.sdp import SdpError, parse_audio
from control_plane.calls.supervision import MonitorError
from control_plane.media.mixer import g711
from control_plane.media.mixer.bridge import MixingBridge
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.uri import SipUri

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

log = structlog.get_logger(__name__)
SDP = (("Content-Type", "application/sdp"),)
BRIDGE_TAG: Final = "mixer"
SEAT_TAG: Final = "seat"
PARTIES: Final = ("caller", "agent", "third")  # third: the supervisor or the guest
_EVERYONE: Final = {name: frozenset(PARTIES) - {name} for name in PARTIES}
HEARS: Final[Mapping[str, Mapping[str, frozenset[str]]]] = {
    # The caller must not hear the supervisor coach the agent.
    "whisper": {"caller": frozenset({"agent"}), "agent": frozenset({"caller", "third"}),
                "third": frozenset({"caller", "agent"})},
    "barge": _EVERYONE,
    "conference": _EVERYONE,
}
SUPERVISOR_MODES: Final = ("whisper", "barge")
_C_LINE = re.compile(r"^c=IN IP4 (\S+)", re.MULTILINE)
_M_LINE = re.compile(r"^m=audio (\d+)", re.MULTILINE)


def media_target(sdp: str) -> tuple[str, int]:
    """(address, port) of an SDP's first audio stream; `SdpError` when it has none."""
    text = sdp.replace("\r\n", "\n")
    address, port = _C_LINE.search(text), _M_LINE.search(text)
    if address is None or port is None:
        raise SdpError("no IPv4 audio stream in the SDP")
    return address.group(1), int(port.group(1))


def mix_codec(caller_sdp: str) -> str:
    """The G.711 law the caller speaks (the first codec of our answer to them)."""
    try:
        codecs = parse_audio(caller_sdp).codecs
    except SdpError as exc:
        raise MonitorError("calls.mixing_codec_unsupported", str(exc)) from None
    name = codecs[0].name.upper() if codecs else ""
    if name not in g711.PAYLOAD_TYPES:
        raise MonitorError("calls.mixing_codec_unsupported",
                           f"the mixing leg speaks PCMU or PCMA, the caller {name or 'none'}")
    return name


def bridge_sdp(host: str, port: int, codec: str) -> str:
    """The bridge's side of one leg: one G.711 law, 20 ms frames."""
    pt = g711.PAYLOAD_TYPES[codec]
    return "\r\n".join((
        "v=0", f"o=mixer {port} 1 IN IP4 {host}", "s=mixer", f"c=IN IP4 {host}", "t=0 0",
        f"m=audio {port} RTP/AVP {pt}", f"a=rtpmap:{pt} {codec}/8000", "a=ptime:20",
        "a=sendrecv", "")) + "\r\n"


class MixLeg(AgentLeg):
    """A supervisor whispering to the agent or barging in, or the agent's conference guest
    (see the module docstring); ``seat`` is the third party."""

    def __init__(self, session: CallSession, third: str, mode: str) -> None:
        role = "conference" if mode == "conference" else "supervisor"
        super().__init__(session, AgentRef(session.route.tenant, f"{role}:{third}"), third)
        self.mode = mode
        self.who = "conference guest" if mode == "conference" else "supervisor"
        # Fresh ng call ids each time: a deleted call lingers for RTPengine's delete-delay.
        self.token = secrets.token_hex(3)
        self.bridge: MixingBridge | None = None
        self.media_calls: list[str] = []  # the ng calls the bridge's legs live in
        self.moved: AgentLeg | None = None  # the agent leg re-INVITEd onto the bridge
        self.agent_home_sdp = ""  # X's B-side SDP: where the agent goes back to
        self.caller_port_kept: bool | None = None  # the proof step 4 moved nothing
        self.error: MonitorError | None = None
        self.active = False

    def set_mode(self, mode: str) -> None:
        """Whisper ↔ barge: only the matrix changes, no signalling."""
        self.mode = mode
        if self.bridge is not None:
            self.bridge.set_hears(HEARS[mode])
        self.session.record.note(f"{self.who} {self.seat} switched to {mode}")

    async def _run(self) -> None:
        try:
            await self._connect()
        except MonitorError as exc:
            self.error = exc
        except Exception as exc:  # RTPengine or the seats said no: undo what was moved
            log.warning("mixing leg failed", call_id=self.session.call_id, error=str(exc))
            self.error = MonitorError("calls.mixing_failed", f"mixing leg failed: {exc}")
        if self.error is not None:
            AgentLeg.hang_up(self)  # the supervisor may have answered before it failed
            await self._stop(restore=True)

    async def _connect(self) -> None:
        session = self.session
        ctx = session.ctx
        agent = session.agent_leg
        if agent is None or agent.dialog is None:
            raise MonitorError("calls.not_connected", "no agent is connected")
        codec = mix_codec(session.caller_answer_sdp)
        host = ctx.ua.transport.host
        self.bridge = bridge = MixingBridge(host)
        ports = {name: await bridge.add(name, codec=codec) for name in PARTIES}
        bridge.set_hears(HEARS[self.mode])
        bridge.start()
        sup_call = f"{session.call_id}-mix-{self.token}-third"
        offered = await self._offer(sup_call, bridge_sdp(host, ports["third"], codec))
        self.offered_sdp = offered
        request = ctx.ua.new_request(
            "INVITE", SipUri(host=ctx.center.domain, user=self.seat), headers=SDP,
            body=offered.encode())
        self.out = ctx.ua.invite(request, ctx.core)
        ctx.legs[request.call_id] = self
        response = await self.out.final
        self.status = response.status
        if not 200 <= response.status < 300 or self.withdrawn:
            self.dialog = self.out.dialog if 200 <= response.status < 300 else None
            unanswered = ("calls.conference_unanswered" if self.mode == "conference"
                          else "calls.monitor_unanswered")
            raise MonitorError(unanswered, f"the {self.who} answered {response.status}")
        self.dialog = self.out.dialog
        bridge.connect("third", await self._answer(sup_call, response))

        agent_call = f"{session.call_id}-mix-{self.token}-agent"
        offered = await self._offer(agent_call, bridge_sdp(host, ports["agent"], codec))
        self.agent_home_sdp = agent.offered_sdp
        reply = await self._reinvite(agent, offered)
        self.moved, agent.offered_sdp = agent, offered  # its hold re-INVITEs get this SDP
        bridge.connect("agent", await self._answer(agent_call, reply))

        answer = await ctx.ng.answer(call_id=session.call_id, from_tag=session.caller_tag,
                                     to_tag=session.far_tag,
                                     sdp=bridge_sdp(host, ports["caller"], codec))
        self.caller_port_kept = (media_target(answer.sdp)[1]
                                 == media_target(session.caller_answer_sdp)[1])
        bridge.connect("caller", media_target(self.agent_home_sdp))
        self.active = True
        session.record.note(f"{self.who} {self.seat} joined ({self.mode})")

    async def _offer(self, call_id: str, sdp: str) -> str:
        self.media_calls.append(call_id)
        offered = await self.session.ctx.ng.offer(call_id=call_id, from_tag=BRIDGE_TAG, sdp=sdp)
        return offered.sdp

    async def _answer(self, call_id: str, response: SipResponse) -> tuple[str, int]:
        answered = await self.session.ctx.ng.answer(
            call_id=call_id, from_tag=BRIDGE_TAG, to_tag=SEAT_TAG, sdp=response.body.decode())
        return media_target(answered.sdp)

    async def _reinvite(self, leg: AgentLeg, sdp: str) -> SipResponse:
        ua = self.session.ctx.ua
        if leg.dialog is None:
            raise MonitorError("calls.not_connected", "the agent left")
        request = ua.in_dialog(leg.dialog, "INVITE", headers=SDP, body=sdp.encode())
        response = await ua.invite(request, ua.peer_for(leg.dialog.next_hop())).final
        if not 200 <= response.status < 300:
            raise MonitorError("calls.agent_media_refused",
                               f"the agent's seat answered the re-INVITE {response.status}")
        return response

    async def _stop(self, *, restore: bool) -> None:
        """Put the agent back on X (if the call goes on), release the bridge's media."""
        session, ctx = self.session, self.session.ctx
        agent, self.moved = self.moved, None
        self.active = False
        if (restore and agent is not None and agent is session.agent_leg
                and session.phase is Phase.CONNECTED and agent.dialog is not None):
            agent.offered_sdp = self.agent_home_sdp
            try:
                reply = await self._reinvite(agent, self.agent_home_sdp)
                await ctx.ng.answer(call_id=session.call_id, from_tag=session.caller_tag,
                                    to_tag=session.far_tag, sdp=reply.body.decode())
            except Exception as exc:  # the call goes on; what failed is in the record
                session.record.note(f"restoring the two-way call failed: {exc}")
        elif agent is not None:
            agent.offered_sdp = self.agent_home_sdp
        for call_id in self.media_calls:
            with contextlib.suppress(Exception):  # gone already (RTPengine timed it out)
                await ctx.ng.delete(call_id=call_id)
        self.media_calls = []
        if self.bridge is not None:
            await self.bridge.close()
            self.bridge = None
        session.listeners.discard(self)
        if self.error is None:
            session.record.note(f"{self.who} {self.seat} left")

    def ended(self) -> None:
        """The third party hung up: the caller and agent talk directly again."""
        self.dialog = None
        self.session.spawn(self._stop(restore=True))

    def hang_up(self) -> None:
        """BYE (or CANCEL) the third party; when the call ends, release the bridge."""
        if self.dialog is None and self.out is not None and not self.out.final.done():
            self.withdraw()
        super().hang_up()
        if self.session.phase is Phase.ENDED:
            self.session.ctx.in_background(self._stop(restore=False))
        else:
            self.session.spawn(self._stop(restore=True))


async def start_mixing(session: CallSession, third: str, mode: str) -> MixLeg:
    """Whisper or barge from the supervisor's seat ``third`` (a second request from the
    same seat switches the mode), or a conference with ``third``; waits until every leg
    is on the bridge. One bridge per call: anyone else is refused ``calls.already_mixing``."""
    current = next((leg for leg in session.listeners if isinstance(leg, MixLeg)), None)
    if current is not None:
        same_kind = (current.mode in SUPERVISOR_MODES) == (mode in SUPERVISOR_MODES)
        if current.seat != third or not same_kind:
            raise MonitorError("calls.already_mixing",
                               f"{current.who} {current.seat} is already on this call")
        if current.mode != mode:
            current.set_mode(mode)
        return current
    leg = MixLeg(session, third, mode)
    session.listeners.add(leg)
    leg.start()
    assert leg.task is not None
    await asyncio.shield(leg.task)
    if leg.error is not None:
        raise leg.error
    return leg


def drop_mixing(session: CallSession, why: str) -> None:
    """The caller's far side is about to move (a transfer, back to the queue): hang up the
    third party and release the bridge without restoring (that would fight the move)."""
    for leg in [leg for leg in session.listeners if isinstance(leg, MixLeg)]:
        session.record.note(f"{leg.who} {leg.seat} dropped: {why}")
        if leg.dialog is None and leg.out is not None and not leg.out.final.done():
            leg.withdraw()
        AgentLeg.hang_up(leg)
        session.listeners.discard(leg)
        session.ctx.in_background(leg._stop(restore=False))


async def conference(session: CallSession, target: str) -> MixLeg:
    """The connected agent adds ``target`` (a seat or a number): all three hear each
    other until the guest hangs up (then caller and agent talk directly again)."""
    if session.phase is not Phase.CONNECTED or session.agent_leg is None:
        raise MonitorError("calls.not_connected", f"the call is {session.phase.value}")
    return await start_mixing(session, target, "conference")
