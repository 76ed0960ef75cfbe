"""A real caller through the county edge to a real seat through the city edge, decided by
the ACD, media in RTPengine (DESIGN §5)."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

from control_plane.calls.session import Phase
from control_plane.events.bus import EventFilter, LiveEvent
from tests.callers import Caller, until
from tests.e2e.conftest import CallStack, RunningController, edge
from tests.support import answering_seat, register_seat, seat_ip


async def test_ivr_queue_music_no_answer_then_answer_two_way_media_and_records(
    call_stack: CallStack, controller: RunningController, tmp_path: Path,
) -> None:
    city = call_stack.topo.node("city-1")
    bob_ip, alice_ip, caller_ip = (seat_ip(call_stack.topo, h) for h in (161, 162, 163))
    for seat, ip in (("bob-e2e", bob_ip), ("alice-e2e", alice_ip)):
        reg = await asyncio.to_thread(register_seat, f"{city.address}:5060",
                                      call_stack.seats[seat], ip, tmp_path)
        assert reg.successful == 1, reg.output
    assert controller.service.bus is not None
    events = controller.service.bus.subscribe(EventFilter(tenant="acme"), maxsize=1000)
    silent = answering_seat(bob_ip, tmp_path, ring_ms=60_000)
    talking = answering_seat(alice_ip, tmp_path, ring_ms=500, rtp_echo=True)
    caller = await Caller.open(caller_ip)
    try:
        answer = await caller.call("4008000001", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 200
        session = controller.service.controller.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press("22")  # typed ahead during the welcome: support, support
        await until(lambda: session.phase is Phase.QUEUED, within=20, why=session.record)

        # In the queue: music on hold reaches the caller while bob's seat rings.
        heard = caller.rtp.received
        await asyncio.sleep(1.5)
        assert caller.rtp.received - heard > 30
        assert session.offers or session.record.offers

        # Bob never answers: after the ring timeout alice is offered and answers.
        await until(lambda: session.phase is Phase.CONNECTED, within=30, why=session.record)
        assert session.agent_leg is not None and session.agent_leg.agent.agent == "alice"
        echoed = caller.rtp.echoed
        await until(lambda: caller.rtp.echoed - echoed > 25, within=5)
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
        silent.kill()
        await asyncio.to_thread(talking.wait, 30)

    assert talking.returncode == 0  # alice's seat got the call and its BYE
    # Desks, wallboards and CTI clients saw the call go by.
    seen = []
    while events.pending():
        item = await events.__anext__()
        if isinstance(item, LiveEvent) and item.call_id == answer.call_id:
            seen.append((item.kind.value, item.agent))
    assert seen == [("call.queued", None), ("call.offered", "bob"),
                    ("call.offer_ended", "bob"), ("call.offered", "alice"),
                    ("call.connected", "alice"), ("call.ended", "alice")]
    offers = [(o.agent, o.result) for o in session.record.offers]
    assert offers[0] == ("bob", "cancelled") and offers[-1] == ("alice", "answered")
    await controller.sink.flush()
    cdr = controller.rows(
        "SELECT sip_code, hangup_cause, queue, agent, answered_at > 0 "
        f"FROM {{db}}.cdr FINAL WHERE call_id = '{answer.call_id}'")
    assert cdr == [(200, "caller", "support", "alice", 1)]
    segment = controller.rows(
        "SELECT outcome, agent, ring_ms > 0, talk_ms > 0 "
        f"FROM {{db}}.queue_calls FINAL WHERE call_id = '{answer.call_id}'")
    assert segment == [("answered", "alice", 1, 1)]
    choices = controller.rows(
        "SELECT node, digits FROM {db}.ivr_events FINAL "
        f"WHERE call_id = '{answer.call_id}' AND kind = 'choice' ORDER BY at, node")
    assert choices == [("menu", "2"), ("support_menu", "2")]
    # The answered call is recorded: a stereo WAV, caller left, agent right.
    wavs = await until(lambda: list(controller.recordings.rglob("*.wav")), within=30)
    with wave.open(str(wavs[0])) as recording:
        assert (recording.getnchannels(), recording.getframerate()) == (2, 8000)
        assert recording.getnframes() > 2400  # the half second of conversation the test held
    assert controller.service.metrics is not None
    registry = controller.service.metrics.registry
    labels = {"tenant": "acme", "queue": "support"}
    assert registry.get_sample_value("cc_queue_calls_offered_total", labels) == 1
    assert registry.get_sample_value("cc_queue_calls_answered_total", labels) == 1

    # The agents' state intervals went to analytics (occupancy and utilization read them).
    async def states(agent: str) -> set[str]:
        await controller.sink.flush()
        return {str(row[0]) for row in controller.rows(
            f"SELECT state FROM {{db}}.agent_states FINAL WHERE agent = '{agent}'")}

    for _ in range(50):  # the talk interval closes at the hangup (or the next sweep)
        if {"available", "ringing", "talk"} <= await states("alice"):
            break
        await asyncio.sleep(0.2)
    assert {"available", "ringing", "talk"} <= await states("alice")
    assert "ringing" in await states("bob")


async def test_caller_who_hangs_up_in_the_queue_is_an_abandon_everywhere(
    call_stack: CallStack, controller: RunningController,
) -> None:
    caller = await Caller.open(seat_ip(call_stack.topo, 171))
    try:
        answer = await caller.call("4008000001", "cc.local", edge(call_stack, "county-1"))
        assert answer.status == 200
        session = controller.service.controller.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press("1")  # sales: nobody holds the skill, the caller waits
        await until(lambda: session.phase is Phase.QUEUED, within=20, why=session.record)
        heard = caller.rtp.received
        await until(lambda: caller.rtp.received - heard > 30, within=5)  # music on hold
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
    await controller.sink.flush()
    cdr = controller.rows("SELECT hangup_cause, queue, agent FROM {db}.cdr FINAL "
                          f"WHERE call_id = '{answer.call_id}'")
    assert cdr == [("caller", "sales", "")]
    segment = controller.rows("SELECT outcome FROM {db}.queue_calls FINAL "
                              f"WHERE call_id = '{answer.call_id}'")
    assert segment == [("abandoned",)]
    assert controller.service.metrics is not None
    abandoned = controller.service.metrics.registry.get_sample_value(
        "cc_queue_calls_abandoned_total", {"tenant": "acme", "queue": "sales"})
    assert abandoned == 1


async def test_unknown_number_and_unplayable_codec_get_clear_sip_answers(
    call_stack: CallStack, controller: RunningController,
) -> None:
    caller = await Caller.open(seat_ip(call_stack.topo, 172))
    try:
        # In the center's number range but routed nowhere: the controller says so.
        unknown = await caller.call("4008999999", "cc.local", edge(call_stack, "county-1"))
        assert (unknown.status, unknown.reason) == (404, "Unknown Number")
        # A handset offering G.723 only: no prompt can be played to it.
        only_g723 = await caller.call("4008000003", "cc.local", edge(call_stack, "county-1"),
                                      codecs=((4, "G723/8000"),))
        assert only_g723.status == 488
        assert "no codec we can play" in (only_g723.header("Reason") or "")
    finally:
        await caller.close()
    await until(lambda: len(controller.finished) >= 1, within=10)
    await controller.sink.flush()
    codes = controller.rows("SELECT tenant, did, sip_code FROM {db}.cdr FINAL ORDER BY sip_code")
    # Both refusals are recorded; a number routed nowhere under the operator.
    assert codes == [("operator", "4008999999", 404), ("acme", "4008000003", 488)]


async def test_in_band_tones_walk_the_ivr_like_rfc4733_digits(
    call_stack: CallStack, controller: RunningController,
) -> None:
    caller = await Caller.open(seat_ip(call_stack.topo, 173))
    try:
        answer = await caller.call("4008000001", "cc.local", edge(call_stack, "county-1"),
                                   codecs=((0, "PCMU/8000"),))  # no telephone-event at all
        assert answer.status == 200
        session = controller.service.controller.sessions[answer.call_id]
        await asyncio.sleep(0.5)
        await caller.rtp.press_in_band("22")
        await until(lambda: session.phase is Phase.QUEUED, within=20, why=session.record)
        assert session.record.queue == "support"
        await caller.hang_up()
        await until(lambda: session in controller.finished, within=10)
    finally:
        await caller.close()
