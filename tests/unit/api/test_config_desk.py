"""The engine-backed agent desk and live figures, on a real (pure) ACD engine."""

from __future__ import annotations

import pytest

from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import (
    CallAbandoned,
    CallArrived,
    CallEnded,
    Event,
    OfferAccepted,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    AgentProfile,
    AgentRef,
    CallRef,
    QueueConfig,
    ServiceLevel,
    SkillRequirement,
    TenantConfig,
)
from control_plane.api.agent_engine_desk import EngineDesk
from control_plane.api.agent_live import AgentLedger, EngineLiveStats
from control_plane.api.agent_ports import AgentStatus, DeskRefusal, Disposition, Refusal

T = "acme"
ANN, BOB = AgentRef(T, "1"), AgentRef(T, "2")


class Clocked:
    """Applies events to the engine at a time the test sets, commands to the ledger."""

    def __init__(self) -> None:
        self.engine, self.now = Engine(), 0.0
        self.ledger = AgentLedger(self.engine, lambda: self.now)

    def apply(self, event: Event) -> Outcome:
        out = self.engine.apply(event, self.now)
        for command in out.commands:
            self.ledger.observe(command)
        return out


@pytest.fixture
def acd() -> Clocked:
    acd = Clocked()
    acd.apply(TenantUpserted(TenantConfig(T, frozenset({"zh", "en"}),
                                          pause_reasons=frozenset({"lunch"}))))
    acd.apply(QueueUpserted(QueueConfig(T, "sales", (SkillRequirement("zh"),),
                                        service_level=ServiceLevel(0.8, 20.0),
                                        wrap_up_s=10.0, ring_timeout_s=60.0)))
    return acd


def _desk(acd: Clocked, sink: list[Disposition] | None = None) -> EngineDesk:
    return EngineDesk(acd, acd.ledger, on_disposition=(sink if sink is not None else []).append)


def _code(result: object) -> Refusal:
    assert isinstance(result, DeskRefusal), result
    return result.code


async def test_refusals_leave_the_state_alone(acd: Clocked) -> None:
    desk = _desk(acd)
    assert _code(await desk.ready(ANN)) is Refusal.NOT_LOGGED_IN
    assert _code(await desk.log_in(ANN, AgentProfile({"klingon": 3}))) is Refusal.UNKNOWN_SKILL
    assert _code(await desk.log_in(ANN, AgentProfile({"zh": 3}), pause_reason="nap")) is \
        Refusal.UNKNOWN_PAUSE_REASON
    assert _code(await desk.log_in(AgentRef("nobody", "1"), AgentProfile())) is \
        Refusal.UNKNOWN_TENANT
    assert (await desk.status(ANN)).state == "logged_out"
    assert isinstance(await desk.log_in(ANN, AgentProfile({"zh": 3})), AgentStatus)
    assert _code(await desk.log_in(ANN, AgentProfile({"zh": 3}))) is Refusal.ALREADY_LOGGED_IN
    assert _code(await desk.end_wrap_up(ANN)) is Refusal.NOT_IN_WRAP_UP
    assert _code(await desk.pause(ANN, "nap")) is Refusal.UNKNOWN_PAUSE_REASON
    assert (await desk.status(ANN)).state == "ready"


async def test_a_call_through_the_desk_and_the_figures(acd: Clocked) -> None:
    sink: list[Disposition] = []
    desk, stats = _desk(acd, sink), EngineLiveStats(acd.ledger)
    await desk.log_in(ANN, AgentProfile({"zh": 3}))
    acd.now = 5.0
    acd.apply(CallArrived(CallRef(T, "c1"), "sales"))
    assert (await desk.status(ANN)).state == "offered"
    assert _code(await desk.pause(ANN, "lunch")) is Refusal.BUSY
    acd.now = 30.0  # answered after 25 s: outside the 20 s target
    assert acd.apply(OfferAccepted(CallRef(T, "c1"), ANN)).ok
    assert _code(await desk.log_out(ANN)) is Refusal.BUSY
    acd.now = 90.0
    acd.apply(CallEnded(CallRef(T, "c1")))
    agent = await stats.agent(ANN)
    assert (agent.state, agent.calls_handled, agent.seconds_in_state) == ("wrap_up", 1, 0.0)
    acd.now = 93.0
    assert (await stats.agent(ANN)).seconds_in_state == 3.0
    assert _code(await desk.set_disposition(ANN, "c9", "sale", None)) is Refusal.NOT_YOUR_CALL
    assert isinstance(await desk.set_disposition(ANN, "c1", "sale", "ok"), AgentStatus)
    assert [(d.call_id, d.code) for d in sink] == [("c1", "sale")]
    assert (await desk.end_wrap_up(ANN)).state == "ready"  # type: ignore[union-attr]
    for i, wait in enumerate((2.0, 40.0)):  # a short abandon, then a real one
        acd.apply(CallArrived(CallRef(T, f"a{i}"), "sales"))
        acd.now += wait
        acd.apply(CallAbandoned(CallRef(T, f"a{i}")))
    queue = await stats.queue(T, "sales")
    assert queue is not None
    assert (queue.answered, queue.answered_in_target, queue.abandoned,
            queue.short_abandoned) == (1, 0, 2, 1)
    assert queue.service_level == 0.0  # 0 in target / (1 answered + 2 - 1 short)
    assert await stats.queue(T, "nowhere") is None
    assert [q.queue for q in await stats.queues(T)] == ["sales"]


async def test_skills_change_live_only_when_idle(acd: Clocked) -> None:
    desk = _desk(acd)
    assert _code(await desk.update_profile(ANN, AgentProfile({"en": 2}))) is \
        Refusal.NOT_LOGGED_IN
    await desk.log_in(ANN, AgentProfile({"en": 2}), pause_reason="lunch")
    assert (await EngineLiveStats(acd.ledger).agent(ANN)).queues == ()
    changed = await desk.update_profile(ANN, AgentProfile({"en": 2, "zh": 4}))
    assert isinstance(changed, AgentStatus)
    assert (changed.state, changed.pause_reason) == ("paused", "lunch")  # pause kept
    assert (await EngineLiveStats(acd.ledger).agent(ANN)).queues == ("sales",)
    assert _code(await desk.update_profile(ANN, AgentProfile({"xx": 1}))) is \
        Refusal.UNKNOWN_SKILL
    await desk.ready(ANN)
    acd.apply(CallArrived(CallRef(T, "c1"), "sales"))
    assert _code(await desk.update_profile(ANN, AgentProfile({"zh": 1}))) is Refusal.BUSY
