"""A simulated run as the analytics rows the call controller would have written for it.

CDRs and queue segments come from the controller's own ``CallRecord`` (so its mapping of
ACD outcomes and durations is the one checked), fed with the simulated instants shifted to
``base_epoch``. Two things the controller's record does not carry are added here: the
queue's wrap-up on answered segments (``wrap_ms``, part of AHT by the industry definition)
and the agents' state intervals (``agent_states``), which the simulator knows exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

from analytics.simfeed.recorder import CallHistory, SimHistory
from control_plane.acd.model import AgentState, CallOutcome
from control_plane.calls.records import CallRecord

STATE_NAMES = {
    AgentState.READY: "available",
    AgentState.OFFERED: "ringing",
    AgentState.ON_CALL: "talk",
    AgentState.WRAP_UP: "wrap",
    AgentState.PAUSED: "paused",
}
"""The ACD's agent states → the analytics state vocabulary (logged out writes no row)."""

_HANGUP = {CallOutcome.ANSWERED: "caller_bye", CallOutcome.ABANDONED: "caller_abandoned"}


class UnfinishedCall(ValueError):
    """A call of the history has no ACD outcome (the run was cut off at its horizon)."""

    error_id = "simfeed.unfinished_call"


def _record(call: CallHistory, tenant: str, base: float) -> CallRecord:
    a = call.arrival
    if call.outcome is None or call.left_queue_at is None:
        raise UnfinishedCall(f"[{UnfinishedCall.error_id}] call {a.call_id} never left the "
                             "ACD; run the scenario to completion")
    rec = CallRecord(call_id=a.call_id, tenant=tenant, did=f"did-{a.queue}",
                     caller=f"caller-{a.call_id}", started_at=base + a.at)
    rec.answered(base + a.at)  # the queue answers the caller with music
    rec.queued(a.queue, base + a.at)
    if call.connected_at is not None and call.agent is not None:
        rec.connected(call.agent, base + call.connected_at, int(call.ring_s * 1000))
    rec.finished(call.outcome.value, call.waited_s)
    rec.hangup_cause = _HANGUP.get(call.outcome, f"acd_{call.outcome.value}")
    ended = call.hung_up_at if call.hung_up_at is not None else call.left_queue_at
    rec.ended(base + ended)
    return rec


def call_rows(history: SimHistory, base_epoch: int) -> Iterator[tuple[str, dict[str, object]]]:
    """``cdr`` and ``queue_calls`` rows of every simulated call, in arrival order."""
    tenant = history.scenario.tenant
    for call in sorted(history.calls.values(), key=lambda c: (c.arrival.at, c.arrival.call_id)):
        rec = _record(call, tenant, float(base_epoch))
        for table, row in rec.rows(f"caller-key-{call.arrival.call_id}"):
            if table == "queue_calls" and row["outcome"] == "answered":
                row["wrap_ms"] = int(call.wrap_s * 1000)
            yield table, row


def state_rows(history: SimHistory, base_epoch: int) -> Iterator[dict[str, object]]:
    """One ``agent_states`` row per state interval of positive length."""
    tenant = history.scenario.tenant
    for n, span in enumerate(history.spans):
        if span.end <= span.start:
            continue  # a state left at the instant it was entered
        yield {
            "event_id": f"{span.agent}:st{n}", "tenant": tenant, "agent": span.agent,
            "state": STATE_NAMES[span.state], "reason": span.reason,
            "started_at": base_epoch + span.start, "ended_at": base_epoch + span.end,
        }
