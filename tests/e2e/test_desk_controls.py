"""Call controls from the agent desk's API, carried out by the call controller itself —
real Kamailio tiers, RTPengine, softphones and the served application: hold (music to the
caller, the agent's packets stop reaching them) and resume, hangup by the agent (the CDR
says so), blind transfer to a queue and to an outside number, remote answer of a ringing
softphone (NOTIFY talk), wrong states and other agents' calls refused with their ids."""

from __future__ import annotations

import asyncio

from control_plane.calls.session import CallSession, Phase
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.e2e.desk_stack import DeskApi, call_stack, desk_api
from tests.phones import AgentPhone
from tests.support import seat_ip

__all__ = ["call_stack", "desk_api"]  # the fixtures this module uses from desk_stack


async def _call(stack: CallStack, controller: RunningController, host: int,
                ) -> tuple[Caller, CallSession]:
    caller = await Caller.open(seat_ip(stack.topo, host))
    answer = await caller.call("4008000003", "cc.local", edge(stack, "county-1"))
    assert answer.status == 200
    return caller, controller.service.controller.sessions[answer.call_id]


async def _connected(stack: CallStack, controller: RunningController, host: int,
                     ) -> tuple[Caller, CallSession]:
    caller, session = await _call(stack, controller, host)
    await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
    return caller, session


async def _hears_voice(party: Caller | AgentPhone) -> None:
    before = party.rtp.echoed
    await until(lambda: party.rtp.echoed - before > 20, within=5)


async def test_hold_resume_and_hangup_from_the_desk(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
    desk_api: DeskApi,
) -> None:
    alice = phones["alice-e2e"]
    caller, session = await _connected(call_stack, controller, 191)
    call_id = session.call_id
    try:
        assert session.record.agent == "1"
        await _hears_voice(caller)

        status, body = await desk_api.control("alice", call_id, "resume")
        assert (status, body["error"]["id"]) == (409, "calls.wrong_state")
        assert body["error"]["details"]["on_hold"] is False
        status, body = await desk_api.control("dave", call_id, "hold")  # not dave's call
        assert (status, body["error"]["id"]) == (404, "calls.not_found")
        status, body = await desk_api.post("tim", f"/api/v1/calls/{call_id}/hold")
        assert (status, body["error"]["id"]) == (404, "calls.not_found")  # not tim's team

        status, body = await desk_api.control("alice", call_id, "hold")
        assert status == 200, body
        assert (body["on_hold"], body["phase"], session.on_hold) == (True, "connected", True)
        await asyncio.sleep(0.3)  # packets already on their way
        echoed, heard = caller.rtp.echoed, caller.rtp.received
        await asyncio.sleep(1.5)
        music = caller.rtp.received - caller.rtp.echoed - (heard - echoed)
        assert music > 40, music  # ~75 packets of music in 1.5 s
        assert caller.rtp.echoed - echoed <= 2, "the agent is still heard on hold"
        assert alice.rtp.echoed > 0  # she kept talking all along
        status, body = await desk_api.control("alice", call_id, "hold")
        assert (status, body["error"]["id"]) == (409, "calls.wrong_state")

        status, body = await desk_api.control("alice", call_id, "resume")
        assert (status, body["on_hold"]) == (200, False), body
        await _hears_voice(caller)

        # A supervisor of the tenant holds and resumes too.
        status, body = await desk_api.post("sue", f"/api/v1/calls/{call_id}/hold")
        assert (status, body["on_hold"]) == (200, True), body
        status, body = await desk_api.post("sue", f"/api/v1/calls/{call_id}/resume")
        assert (status, body["on_hold"]) == (200, False), body
        await _hears_voice(caller)

        assert session.agent_leg is not None
        leg_call = session.agent_leg.call_id
        status, body = await desk_api.control("alice", call_id, "hangup")
        assert status == 200, body
        await until(lambda: not caller.connected, within=5)  # the caller got our BYE
        await until(lambda: any(d.call_id == leg_call for d in alice.ended), within=5)
        await until(lambda: session in controller.finished, within=10)
        status, body = await desk_api.control("alice", call_id, "hold")
        assert (status, body["error"]["id"]) == (404, "calls.not_found")
    finally:
        await caller.close()
    await controller.sink.flush()
    cdr = controller.rows("SELECT hangup_cause, agent FROM {db}.cdr FINAL "
                          f"WHERE call_id = '{call_id}'")
    assert cdr == [("agent", "1")]
    held = controller.rows("SELECT hold_ms FROM {db}.queue_calls FINAL "
                           f"WHERE call_id = '{call_id}'")
    assert len(held) == 1 and int(str(held[0][0])) >= 1500


async def test_blind_transfer_to_a_queue_then_to_an_outside_number(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
    desk_api: DeskApi,
) -> None:
    alice = phones["alice-e2e"]
    caller, session = await _connected(call_stack, controller, 192)
    call_id = session.call_id
    try:
        assert session.agent_leg is not None
        first = session.agent_leg
        status, body = await desk_api.control("alice", call_id, "transfer",
                                              {"kind": "queue", "target": "nowhere"})
        assert (status, body["error"]["id"]) == (400, "calls.transfer_target_unknown")
        status, body = await desk_api.control("alice", call_id, "transfer",
                                              {"kind": "seat", "target": "nobody-e2e"})
        assert (status, body["error"]["details"]["field"]) == (400, "target")
        status, body = await desk_api.control("alice", call_id, "transfer",
                                              {"kind": "queue", "target": "support"})
        assert (status, body["phase"]) == (200, "queued"), body
        await until(lambda: first.dialog is None and len(alice.ended) > 0, within=5)
        # A new queue segment; the queue offers the caller again and an agent answers.
        await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
        assert session.segment == 1
        await _hears_voice(caller)

        agent = "alice" if session.record.agent == "1" else "dave"
        number = "13911112222"
        status, body = await desk_api.control(agent, call_id, "transfer",
                                              {"kind": "number", "target": number})
        assert status == 200, body
        status, body = await desk_api.control(agent, call_id, "hold")  # agent is gone
        assert (status, body["error"]["id"]) == (404, "calls.not_found")
        await until(lambda: session.agent_leg is not None
                    and session.agent_leg.seat == number, within=20, why=session.record)
        log = call_stack.run_dir / "stack" / call_stack.topo.carriers[0].name / "invites.jsonl"
        assert number in log.read_text()
        assert session.phase is Phase.CONNECTED and not session.ended.is_set()
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    assert session.record.transferred
    assert any(f"blind transfer to number {number}" in n for n in session.record.notes)
    await controller.sink.flush()
    rows = controller.rows("SELECT segment, transferred FROM {db}.queue_calls FINAL "
                           f"WHERE call_id = '{call_id}' ORDER BY segment")
    assert rows == [(0, 1), (1, 1)]
    assert session.record.hangup_cause == "caller"


async def test_answer_from_the_desk_makes_the_ringing_softphone_answer(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
    desk_api: DeskApi,
) -> None:
    alice = phones["alice-e2e"]
    alice.answer_calls = False  # she rings until the desk answers
    caller, session = await _call(call_stack, controller, 193)
    try:
        leg = await until(lambda: next((leg for leg in session.offers.values()
                                        if leg.early is not None), None), within=15,
                          why=session.record)
        assert leg.seat == "alice-e2e"
        status, body = await desk_api.control("dave", session.call_id, "answer")
        assert (status, body["error"]["id"]) == (404, "calls.not_found")  # not offered to dave

        status, body = await desk_api.control("alice", session.call_id, "answer")
        assert (status, body["phase"], body["agent"]) == (200, "connected", "1"), body
        assert [t.header("Event") for t in alice.talks] == ["talk"]
        assert session.agent_leg is leg
        await _hears_voice(caller)
        await _hears_voice(alice)
        status, body = await desk_api.control("alice", session.call_id, "answer")
        assert (status, body["error"]["id"]) == (409, "calls.wrong_state")
        # In-dialog requests after the NOTIFY are accepted by the seat (CSeq above it).
        assert (await alice.reinvite("sendonly")).status == 200
        await until(lambda: session.on_hold, within=5)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        alice.answer_calls = True
        await caller.close()
    assert session.record.agent == "1" and session.record.hangup_cause == "caller"


async def test_a_seat_that_refuses_remote_answer_is_reported(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
    desk_api: DeskApi,
) -> None:
    alice = phones["alice-e2e"]
    alice.answer_calls, alice.remote_answer = False, False
    caller, session = await _call(call_stack, controller, 194)
    try:
        await until(lambda: any(leg.early is not None for leg in session.offers.values()),
                    within=15, why=session.record)
        status, body = await desk_api.control("alice", session.call_id, "answer")
        assert (status, body["error"]["id"]) == (409, "calls.remote_answer_refused"), body
        assert body["error"]["details"]["sip_status"] == 403
        assert session.phase is Phase.QUEUED  # still ringing; the caller still waits
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        alice.answer_calls, alice.remote_answer = True, True
        await caller.close()
