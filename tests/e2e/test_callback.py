"""A caller who chooses a callback keeps their place: when an agent is free the agent is
rung first, then the caller's number is dialled through the carrier and connected."""

from __future__ import annotations

import asyncio
import json

from control_plane.calls.session import Phase
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.phones import AgentPhone
from tests.support import seat_ip


def _carrier_invites(stack: CallStack) -> list[dict[str, str]]:
    log = stack.run_dir / "stack" / stack.topo.carriers[0].name / "invites.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


async def test_callback_keeps_the_place_rings_the_agent_then_dials_the_caller(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
) -> None:
    ctl = controller.service.controller
    ctl.seats_changed(frozenset())  # nobody can take a call yet
    dave = phones["dave-e2e"]
    number = "13900002222"
    caller = await Caller.open(seat_ip(call_stack.topo, 187))
    try:
        answer = await caller.call("4008000001", "cc.local", edge(call_stack, "county-1"),
                                   caller_number=number)
        assert answer.status == 200
        session = ctl.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press("1")  # sales
        await until(lambda: session.phase is Phase.QUEUED, within=20, why=session.record)
        await asyncio.sleep(2.5)  # the callback offer plays after a second in the queue
        await caller.rtp.press("1")
        await until(lambda: session.callback, within=10, why=session.record)
        engine = controller.service.driver
        assert engine is not None and engine.engine.position(session.ref) == 1
        await until(lambda: not caller.connected, within=20)  # confirmed, then hung up
    finally:
        await caller.close()
    job = ctl.callbacks[answer.call_id]

    ctl.seats_changed(frozenset({"dave-e2e@cc.local"}))  # dave's seat is up: the turn comes
    await until(lambda: job.customer_out is not None and job.customer_out.final.done(),
                within=30)
    assert job.customer_out is not None and job.customer_out.final.result().status == 200
    assert any(number in invite.get("request_uri", json.dumps(invite))
               for invite in _carrier_invites(call_stack))
    await dave.hang_up()
    await until(job.done.is_set, within=10)
    await until(lambda: answer.call_id not in ctl.callbacks, within=10)
    await controller.sink.flush()
    inbound = controller.rows("SELECT hangup_cause FROM {db}.cdr FINAL "
                              f"WHERE call_id = '{answer.call_id}'")
    assert inbound == [("callback_scheduled",)]
    segment = controller.rows("SELECT outcome FROM {db}.queue_calls FINAL "
                              f"WHERE call_id = '{answer.call_id}'")
    assert segment == [("callback",)]
    outbound = controller.rows("SELECT direction, agent, answered_at > 0 FROM {db}.cdr FINAL "
                               f"WHERE call_id = '{job.media_call}'")
    assert outbound == [("outbound", "dave", 1)]


async def test_the_ivr_transfers_the_caller_to_an_outside_number(
    call_stack: CallStack, controller: RunningController,
) -> None:
    ctl = controller.service.controller
    caller = await Caller.open(seat_ip(call_stack.topo, 188))
    try:
        answer = await caller.call("4008000001", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 200
        session = ctl.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press("8")  # the menu's outside line
        await until(lambda: session.phase is Phase.CONNECTED, within=20, why=session.record)
        assert any("13912345678" in json.dumps(invite)
                   for invite in _carrier_invites(call_stack))
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    assert session.record.transferred and session.record.hangup_cause == "caller"
