"""Whisper and barge through our mixing leg, with real tiers, RTPengine and tone parties.

Each party talks in its own tone; what each one hears is measured (Goertzel), so the test
proves who hears whom: whisper — the agent hears the supervisor, the caller does not;
barge — the caller does too; the supervisor's hangup gives back the direct two-way call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from control_plane.calls.mixing_leg import MixLeg
from control_plane.calls.session import CallSession, Phase
from control_plane.calls.supervision import MonitorError, monitor
from control_plane.media.ng_errors import NgError
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.e2e.tones import ToneParty, TonePhone, tone_caller, tone_seats
from tests.support import seat_ip

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 450.0, 850.0, 1350.0


@pytest.fixture
async def tone_phones(call_stack: CallStack) -> AsyncIterator[dict[str, TonePhone]]:
    """Alice and the supervisor on tone softphones, registered through the city edge."""
    async with tone_seats(call_stack, ((181, "alice-e2e", AGENT_HZ),
                                       (183, "sup-e2e", SUPERVISOR_HZ))) as phones:
        yield phones


async def _connected(stack: CallStack, controller: RunningController,
                     ) -> tuple[Caller, ToneParty, CallSession]:
    caller = await tone_caller(seat_ip(stack.topo, 187), CALLER_HZ)
    answer = await caller.call("4008000003", "cc.local", edge(stack, "county-1"))
    assert answer.status == 200
    session = controller.service.controller.sessions[answer.call_id]
    await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
    assert isinstance(caller.rtp, ToneParty)
    return caller, caller.rtp, session


async def _never_hears(party: ToneParty, freq: float, seconds: float = 2.0) -> None:
    """Over ``seconds``, a fresh half second at a time, ``freq`` never arrives."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    party.clear()
    while loop.time() < end:
        await asyncio.sleep(0.1)
        assert not party.hears(freq), f"heard {freq} Hz at {party.level(freq):.0f}"
    assert len(party.window) == party.window.maxlen  # audio did arrive meanwhile


async def test_whisper_barge_and_back_to_the_two_way_call(
    call_stack: CallStack, controller: RunningController, tone_phones: dict[str, TonePhone],
) -> None:
    alice, supervisor = tone_phones["alice-e2e"].tone, tone_phones["sup-e2e"]
    caller, heard_by_caller, session = await _connected(call_stack, controller)
    try:
        assert session.agent_leg is not None and session.agent_leg.seat == "alice-e2e"
        await until(lambda: heard_by_caller.hears(AGENT_HZ), within=5)
        await until(lambda: alice.hears(CALLER_HZ), within=5)
        caller_media = session.caller_answer_sdp

        leg = await monitor(session, "sup-e2e", "whisper")
        assert isinstance(leg, MixLeg) and leg.active
        assert leg.caller_port_kept  # answer on the one tag B: the caller's port stays
        assert session.incoming.transaction.last_response is not None
        sup = supervisor.tone
        await until(lambda: alice.hears(SUPERVISOR_HZ) and alice.hears(CALLER_HZ), within=5,
                    why="the agent hears caller and supervisor")
        await until(lambda: sup.hears(CALLER_HZ) and sup.hears(AGENT_HZ), within=5,
                    why="the supervisor hears caller and agent")
        await until(lambda: heard_by_caller.hears(AGENT_HZ), within=5)
        await _never_hears(heard_by_caller, SUPERVISOR_HZ)
        assert heard_by_caller.hears(AGENT_HZ)  # through the bridge all along
        assert not alice.hears(AGENT_HZ) and not sup.hears(SUPERVISOR_HZ)  # no own echo
        assert leg.bridge is not None
        assert leg.bridge.participants["caller"].received > 50
        assert leg.bridge.participants["agent"].received > 50

        # The supervisor's phone holding is not the caller's hold (no music to the caller).
        assert (await supervisor.reinvite("sendonly")).status == 200
        assert (await supervisor.reinvite("sendrecv")).status == 200
        assert not session.on_hold and heard_by_caller.hears(AGENT_HZ)

        again = await monitor(session, "sup-e2e", "barge")  # same seat: the mode changes
        assert again is leg
        await until(lambda: heard_by_caller.hears(SUPERVISOR_HZ)
                    and heard_by_caller.hears(AGENT_HZ), within=5, why="barge")
        with pytest.raises(MonitorError) as busy:
            await monitor(session, "dave-e2e", "whisper")
        assert busy.value.error_id == "calls.already_mixing"

        await supervisor.hang_up()
        await until(lambda: not session.listeners and leg.bridge is None, within=10)
        assert session.phase is Phase.CONNECTED
        await _never_hears(heard_by_caller, SUPERVISOR_HZ)
        await until(lambda: heard_by_caller.hears(AGENT_HZ), within=5)
        alice.clear()
        await until(lambda: alice.hears(CALLER_HZ), within=5)
        assert not alice.hears(SUPERVISOR_HZ)
        assert session.caller_answer_sdp == caller_media  # the caller was never re-INVITEd
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    notes = session.record.notes
    assert "supervisor sup-e2e joined (whisper)" in notes
    assert "supervisor sup-e2e switched to barge" in notes
    assert "supervisor sup-e2e left" in notes


async def test_caller_hangup_during_whisper_releases_every_leg(
    call_stack: CallStack, controller: RunningController, tone_phones: dict[str, TonePhone],
) -> None:
    supervisor = tone_phones["sup-e2e"]
    caller, _, session = await _connected(call_stack, controller)
    try:
        leg = await monitor(session, "sup-e2e", "whisper")
        assert isinstance(leg, MixLeg)
        media_calls = list(leg.media_calls)
        assert len(media_calls) == 2
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
        await until(lambda: leg.bridge is None, within=5, why="bridge released")
        await until(lambda: not [d for d in supervisor.dialogs if d.id in supervisor.ua.dialogs],
                    within=5, why="the supervisor was hung up")
    finally:
        await caller.close()
    ctx = controller.service.controller.ctx
    assert ctx is not None

    async def gone(call_id: str) -> bool:  # deleted calls linger for RTPengine's delete-delay
        try:
            await ctx.ng.query(call_id=call_id)
        except NgError as exc:
            return "Unknown call" in str(exc) or "not found" in str(exc).lower()
        return False

    for call_id in media_calls:
        for _ in range(40):
            if await gone(call_id):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"{call_id} still in RTPengine")


async def test_back_to_the_queue_during_whisper_drops_the_supervisor(
    call_stack: CallStack, controller: RunningController, tone_phones: dict[str, TonePhone],
) -> None:
    alice, supervisor = tone_phones["alice-e2e"], tone_phones["sup-e2e"]
    caller, heard_by_caller, session = await _connected(call_stack, controller)
    try:
        leg = await monitor(session, "sup-e2e", "whisper")
        assert isinstance(leg, MixLeg)
        await until(lambda: alice.tone.hears(SUPERVISOR_HZ), within=5)
        assert (await alice.refer("support")).status == 202  # the caller back to the queue
        await until(lambda: session.segment == 1, within=5)
        await until(lambda: leg.bridge is None and not session.listeners, within=10)
        await until(lambda: not [d for d in supervisor.dialogs if d.id in supervisor.ua.dialogs],
                    within=5, why="the supervisor was hung up")
        # Offered again (alice is free again): a plain two-way call, nobody else on it.
        await until(lambda: session.phase is Phase.CONNECTED and session.segment == 1,
                    within=30, why=session.record)
        heard_by_caller.clear()
        await until(lambda: heard_by_caller.hears(AGENT_HZ), within=10)
        await _never_hears(heard_by_caller, SUPERVISOR_HZ, seconds=1.0)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    assert "supervisor sup-e2e dropped: back to queue support" in session.record.notes
