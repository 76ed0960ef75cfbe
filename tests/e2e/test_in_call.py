"""During a connected call: hold and resume, blind and attended transfer, transfer back to
the queue, supervisor listen — driven the way agents' softphones drive them."""

from __future__ import annotations

import pytest

from control_plane.calls.session import CallSession, Phase
from control_plane.calls.supervision import MonitorError, monitor
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.phones import AgentPhone
from tests.support import seat_ip


async def _connected_call(stack: CallStack, controller: RunningController, host: int,
                          ) -> tuple[Caller, CallSession]:
    caller = await Caller.open(seat_ip(stack.topo, host))
    answer = await caller.call("4008000003", "cc.local", edge(stack, "county-1"))
    assert answer.status == 200
    session = controller.service.controller.sessions[answer.call_id]
    await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
    return caller, session


async def _hears_voice(party: Caller | AgentPhone) -> None:
    """The party receives the other side's voice (our own test payload), not music."""
    before = party.rtp.echoed
    await until(lambda: party.rtp.echoed - before > 20, within=5)


async def test_hold_music_resume_and_blind_transfer_to_another_seat(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
) -> None:
    alice, dave = phones["alice-e2e"], phones["dave-e2e"]
    caller, session = await _connected_call(call_stack, controller, 184)
    try:
        assert session.agent_leg is not None and session.agent_leg.seat == "alice-e2e"
        await _hears_voice(caller)
        await _hears_voice(alice)

        assert (await alice.reinvite("sendonly")).status == 200  # hold
        await until(lambda: session.on_hold, within=5)
        music = caller.rtp.received - caller.rtp.echoed
        await until(lambda: caller.rtp.received - caller.rtp.echoed - music > 20, within=5)
        assert (await alice.reinvite("sendrecv")).status == 200  # resume
        await until(lambda: not session.on_hold, within=5)
        await _hears_voice(caller)

        assert (await alice.refer("dave-e2e")).status == 202
        await until(lambda: session.agent_leg is not None
                    and session.agent_leg.seat == "dave-e2e", within=15, why=session.record)
        await _hears_voice(caller)
        await _hears_voice(dave)
        await until(lambda: alice.ended, within=5)  # the controller released alice
        assert any("200" in body for body in alice.notifies)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
        await until(lambda: dave.ended, within=5)
    finally:
        await caller.close()
    await controller.sink.flush()
    rows = controller.rows("SELECT agent, transferred, hold_ms > 0 FROM {db}.queue_calls FINAL "
                           f"WHERE call_id = '{session.call_id}'")
    assert rows == [("alice", 1, 1)]


async def test_supervisor_listens_then_the_agent_sends_the_caller_back_to_the_queue(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
) -> None:
    alice, supervisor = phones["alice-e2e"], phones["sup-e2e"]
    caller, session = await _connected_call(call_stack, controller, 185)
    try:
        with pytest.raises(MonitorError) as refused:
            await monitor(session, "sup-e2e", "shout")
        assert refused.value.error_id == "calls.monitor_mode_unknown"
        await monitor(session, "sup-e2e", "listen")
        await _hears_voice(supervisor)  # the caller's (and the agent's) audio reaches them

        assert (await alice.refer("support")).status == 202  # back to the queue
        await until(lambda: session.segment == 1, within=5)
        # Back in the queue the caller is offered again (top-down: alice is free again).
        await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
        await _hears_voice(caller)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    await controller.sink.flush()
    rows = controller.rows("SELECT segment, outcome, transferred FROM {db}.queue_calls FINAL "
                           f"WHERE call_id = '{session.call_id}' ORDER BY segment")
    assert rows == [(0, "answered", 1), (1, "answered", 0)]


async def test_attended_transfer_replaces_the_consultation_call(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
) -> None:
    alice, dave = phones["alice-e2e"], phones["dave-e2e"]
    caller, session = await _connected_call(call_stack, controller, 186)
    answered_before = len(dave.calls)
    try:
        with_caller = alice.current
        consult = await alice.call("dave-e2e")  # alice asks dave first, seat to seat
        assert consult.status == 200
        consultation = alice.current
        assert (await alice.refer("dave-e2e", replaces=consultation, on=with_caller)).status \
            == 202
        await until(lambda: session.agent_leg is not None
                    and session.agent_leg.seat == "dave-e2e", within=15, why=session.record)
        await _hears_voice(caller)
        await until(lambda: consultation in alice.ended, within=5)  # dave dropped it
        assert len(dave.calls) == answered_before + 2  # the consultation, then ours
        assert dave.calls[-1].request.header("Replaces") is not None
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    assert any("attended transfer to dave-e2e" in note for note in session.record.notes)
