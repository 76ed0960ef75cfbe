"""Bad input on the call path gets a defined outcome and a record; every other call goes on."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from control_plane.calls.service import CallControllerService
from control_plane.calls.session import Phase
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.phones import AgentPhone
from tests.support import seat_ip


class ListRecords:
    """Records kept in memory (this test reads what the controller wrote, nothing more)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, Mapping[str, object]]] = []

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        self.rows.append((table, row))


async def test_rtpengine_down_is_a_503_with_a_reason_and_a_record(call_stack: CallStack) -> None:
    # The same controller, pointed at an ng port nobody listens on.
    topo = dataclasses.replace(call_stack.topo, rtpengine=dataclasses.replace(
        call_stack.topo.rtpengine, ng_port=9))
    records = ListRecords()
    service = CallControllerService(topology=topo, center=call_stack.center,
                                    prompts=call_stack.prompts, records=records)
    await service.start()
    caller = await Caller.open(seat_ip(call_stack.topo, 191))
    try:
        answer = await caller.call("4008000003", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 503
        await until(lambda: records.rows, within=10)
        # The edge may try the other core too: each attempt is the same call, one record id.
        assert {(table, row["event_id"], row["sip_code"]) for table, row in records.rows} == {
            ("cdr", f"{answer.call_id}:cdr", 503)}
        assert all("rtpengine" in str(row["hangup_cause"]) for _, row in records.rows)
    finally:
        await caller.close()
        await service.stop()


async def test_a_seat_answering_with_a_broken_sdp_is_skipped_and_the_caller_keeps_waiting(
    call_stack: CallStack, controller: RunningController, phones: dict[str, AgentPhone],
) -> None:
    ctl = controller.service.controller
    ctl.seats_changed(frozenset({"alice-e2e@cc.local"}))  # only alice can be offered
    phones["alice-e2e"].broken_sdp = True
    caller = await Caller.open(seat_ip(call_stack.topo, 192))
    try:
        answer = await caller.call("4008000003", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 200
        session = ctl.sessions[answer.call_id]
        await until(lambda: any(o.result == "broken_sdp" for o in session.record.offers),
                    within=30, why=session.record)
        assert session.phase is Phase.QUEUED  # back to music, still in line
        heard = caller.rtp.received
        await until(lambda: caller.rtp.received - heard > 20, within=5)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    assert session.record.queue_outcome == "abandoned"
