"""The one schema source: every analytics event table and its columns.

Durations are integer milliseconds; instants are UTC epoch seconds (``DateTime('UTC')``).
Caller/callee identities are pseudonymous keys chosen by the producer (for example a salted
hash of the number), so analysts never read PII (DESIGN §8).
"""

from __future__ import annotations

from analytics.schema.model import Column, EventTable, Kind

_EVENT_ID = Column("event_id", Kind.STRING, "producer-chosen id, stable across retries")
_TENANT = Column("tenant", Kind.LABEL, "tenant id")

QUEUE_OUTCOMES = ("answered", "abandoned", "overflowed", "timed_out", "callback")
AGENT_STATES = ("available", "ringing", "talk", "hold", "wrap", "paused")

QUEUE_CALLS = EventTable(
    name="queue_calls",
    doc="one row per queued-call segment, written when the segment ends",
    time_column="enqueued_at",
    order_by=("tenant", "queue", "enqueued_at", "event_id"),
    columns=(
        _EVENT_ID,
        _TENANT,
        Column("queue", Kind.LABEL, "queue id"),
        Column("skill", Kind.LABEL, "skill the segment required", default=""),
        Column("call_id", Kind.STRING, "call id shared by all segments of the call"),
        Column("segment", Kind.UINT16, "segment number within the call", default=0),
        Column("caller_key", Kind.STRING, "pseudonymous caller id, '' if anonymous",
               default=""),
        Column("priority", Kind.UINT8, "numeric priority", default=0),
        Column("enqueued_at", Kind.DATETIME, "when the segment entered the queue"),
        Column("outcome", Kind.ENUM, "how the segment left the queue", values=QUEUE_OUTCOMES),
        Column("wait_ms", Kind.UINT32, "time in queue until answer/abandon/exit"),
        Column("ring_ms", Kind.UINT32, "ringing at the answering agent", default=0),
        Column("talk_ms", Kind.UINT32, "talk time", default=0),
        Column("hold_ms", Kind.UINT32, "hold time", default=0),
        Column("wrap_ms", Kind.UINT32, "after-call work", default=0),
        Column("agent", Kind.LABEL, "answering agent, '' if none", default=""),
        Column("transferred", Kind.UINT8, "1 if the agent transferred the call", default=0),
    ),
)

AGENT_STATES_TABLE = EventTable(
    name="agent_states",
    doc="one row per closed agent state interval [started_at, ended_at) while logged in",
    time_column="started_at",
    order_by=("tenant", "agent", "started_at", "event_id"),
    columns=(
        _EVENT_ID,
        _TENANT,
        Column("agent", Kind.LABEL, "agent id"),
        Column("state", Kind.ENUM, "state held during the interval", values=AGENT_STATES),
        Column("reason", Kind.LABEL, "pause reason code", default=""),
        Column("started_at", Kind.DATETIME, "interval start"),
        Column("ended_at", Kind.DATETIME, "interval end (exclusive)"),
    ),
)

CDR = EventTable(
    name="cdr",
    doc="one row per SIP dialog",
    time_column="started_at",
    order_by=("tenant", "started_at", "event_id"),
    columns=(
        _EVENT_ID,
        _TENANT,
        Column("call_id", Kind.STRING, "call id"),
        Column("direction", Kind.ENUM, "call direction",
               values=("inbound", "outbound", "internal")),
        Column("from_key", Kind.STRING, "pseudonymous calling party", default=""),
        Column("to_key", Kind.STRING, "pseudonymous called party", default=""),
        Column("did", Kind.LABEL, "dialled number of the center", default=""),
        Column("started_at", Kind.DATETIME, "INVITE received"),
        Column("answered_at", Kind.DATETIME, "200 OK, 0 if never answered", default=0),
        Column("ended_at", Kind.DATETIME, "BYE / final failure"),
        Column("sip_code", Kind.UINT16, "final SIP response code"),
        Column("hangup_cause", Kind.LABEL, "who/why ended the dialog", default=""),
        Column("edge", Kind.LABEL, "edge node the call came through", default=""),
        Column("queue", Kind.LABEL, "queue it reached, '' if none", default=""),
        Column("agent", Kind.LABEL, "agent who talked, '' if none", default=""),
        Column("mos", Kind.FLOAT32, "mean opinion score of the media, 0 if unknown",
               default=0.0),
    ),
)

ROUTING_DECISIONS = EventTable(
    name="routing_decisions",
    doc="one row per ACD DecisionRecord: why this agent",
    time_column="decided_at",
    order_by=("tenant", "queue", "decided_at", "event_id"),
    columns=(
        _EVENT_ID,
        _TENANT,
        Column("queue", Kind.LABEL, "queue id"),
        Column("call_id", Kind.STRING, "call id"),
        Column("decided_at", Kind.DATETIME, "decision time"),
        Column("strategy", Kind.LABEL, "strategy name"),
        Column("rule", Kind.LABEL, "rule that fired (relaxation, overflow...)", default=""),
        Column("chosen_agent", Kind.LABEL, "agent offered, '' if none", default=""),
        Column("candidates", Kind.STRINGS, "agents considered", default=()),
        Column("scores", Kind.FLOATS, "their scores, same order", default=()),
        Column("latency_us", Kind.UINT32, "decision time taken", default=0),
    ),
)

IVR_EVENTS = EventTable(
    name="ivr_events",
    doc="one row per IVR step",
    time_column="at",
    order_by=("tenant", "flow", "at", "event_id"),
    columns=(
        _EVENT_ID,
        _TENANT,
        Column("call_id", Kind.STRING, "call id"),
        Column("flow", Kind.LABEL, "IVR flow id"),
        Column("flow_version", Kind.UINT32, "IVR flow version", default=0),
        Column("node", Kind.STRING, "node id in the flow"),
        Column("kind", Kind.LABEL, "entered / digit / timeout / invalid / exit"),
        Column("digits", Kind.STRING, "DTMF collected", default=""),
        Column("at", Kind.DATETIME, "when"),
    ),
)

EVENT_TABLES: dict[str, EventTable] = {
    t.name: t for t in (QUEUE_CALLS, AGENT_STATES_TABLE, CDR, ROUTING_DECISIONS, IVR_EVENTS)
}
