"""Whisper and the agent's three-way conference through the served API — real tiers,
RTPengine, tone softphones and the application on a TCP port (tests/e2e/desk_stack.py).

The supervisor (sue) whispers over ``POST /api/v1/calls/{id}/monitor``; the agent (alice)
adds a guest over ``POST /api/v1/agent/calls/{id}/conference``; tones say who hears whom.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from control_plane.calls.session import Phase
from tests.callers import until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.e2e.desk_stack import DeskApi, call_stack, desk_api
from tests.e2e.test_supervision import _never_hears
from tests.e2e.tones import ToneParty, TonePhone, tone_caller, tone_seats
from tests.support import seat_ip

__all__ = ["call_stack", "desk_api"]  # the fixtures this module uses from desk_stack
CALLER_HZ, AGENT_HZ, THIRD_HZ = 450.0, 850.0, 1350.0


@pytest.fixture
async def tone_phones(call_stack: CallStack) -> AsyncIterator[dict[str, TonePhone]]:
    """Alice (agent 1) and the sup-e2e seat on tone softphones, through the city edge."""
    async with tone_seats(call_stack, ((181, "alice-e2e", AGENT_HZ),
                                       (183, "sup-e2e", THIRD_HZ))) as phones:
        yield phones


async def test_whisper_then_a_conference_guest_over_the_api(
    call_stack: CallStack, controller: RunningController, tone_phones: dict[str, TonePhone],
    desk_api: DeskApi,
) -> None:
    alice, third = tone_phones["alice-e2e"].tone, tone_phones["sup-e2e"]
    caller = await tone_caller(seat_ip(call_stack.topo, 192), CALLER_HZ)
    try:
        answer = await caller.call("4008000003", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 200
        session = controller.service.controller.sessions[answer.call_id]
        await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
        assert isinstance(caller.rtp, ToneParty)
        heard_by_caller, call_id = caller.rtp, session.call_id
        monitor_url = f"/api/v1/calls/{call_id}/monitor"

        status, body = await desk_api.post("sue", monitor_url,
                                           {"seat": "sup-e2e", "mode": "whisper"})
        assert status == 201, body
        assert body == {"call_id": call_id, "seat": "sup-e2e", "mode": "whisper"}
        await until(lambda: alice.hears(THIRD_HZ), within=5, why="alice hears sue")
        await _never_hears(heard_by_caller, THIRD_HZ, seconds=1.5)

        status, body = await desk_api.control("alice", call_id, "conference",
                                              {"target": "dave-e2e"})
        assert (status, body["error"]["details"]["reason"]) == (409, "calls.already_mixing")
        await third.hang_up()
        await until(lambda: not session.listeners, within=10)

        status, body = await desk_api.control("dave", call_id, "conference",
                                              {"target": "sup-e2e"})
        assert status == 404  # not dave's call: not even its existence is told
        status, body = await desk_api.control("alice", call_id, "conference",
                                              {"target": "bad target!"})
        assert (status, body["error"]["id"]) == (400, "request.invalid_body")
        status, body = await desk_api.post("sue", f"/api/v1/agent/calls/{call_id}/conference",
                                           {"target": "sup-e2e"})
        assert status == 403  # sue is no agent

        status, body = await desk_api.control("alice", call_id, "conference",
                                              {"target": "sup-e2e"})
        assert status == 201, body
        guest = third.tone
        guest.clear()
        await until(lambda: heard_by_caller.hears(THIRD_HZ) and heard_by_caller.hears(AGENT_HZ),
                    within=5, why="the caller hears agent and guest")
        await until(lambda: alice.hears(THIRD_HZ) and alice.hears(CALLER_HZ), within=5)
        await until(lambda: guest.hears(CALLER_HZ) and guest.hears(AGENT_HZ), within=5)

        await third.hang_up()  # the guest leaves: caller and agent go on, directly
        await until(lambda: not session.listeners, within=10)
        await _never_hears(heard_by_caller, THIRD_HZ, seconds=1.5)
        assert heard_by_caller.hears(AGENT_HZ)
        alice.clear()
        await until(lambda: alice.hears(CALLER_HZ), within=5)
        assert session.phase is Phase.CONNECTED
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    notes = session.record.notes
    assert "supervisor sup-e2e joined (whisper)" in notes
    assert "conference guest sup-e2e joined (conference)" in notes
    assert "conference guest sup-e2e left" in notes
