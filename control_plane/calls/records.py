"""What one call leaves behind: the CDR, its queue segment and its IVR steps.

Rows follow analytics/schema/tables.py; callers appear only as pseudonymous keys. Every
call writes exactly one CDR with a terminal cause, whatever stage it ended in (the ledger
of the soak counts on it); the ids are stable, so a retried write never double-counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from control_plane.media.ng_types import QueryResult

if TYPE_CHECKING:
    from control_plane.calls.context import ControllerContext

log = structlog.get_logger(__name__)

# ACD outcomes → the analytics queue outcome vocabulary.
_QUEUE_OUTCOME = {"answered": "answered", "abandoned": "abandoned", "timed_out": "timed_out",
                  "overflowed": "overflowed", "callback_scheduled": "callback",
                  "rejected": "overflowed"}


@dataclass
class Offer:
    """One offer of the call to an agent and how it ended."""

    agent: str
    result: str
    sip_code: int | None


@dataclass
class CallRecord:
    """Accumulates a call's facts while it runs; `write` turns them into rows."""

    call_id: str
    tenant: str
    did: str
    caller: str
    started_at: float
    sip_code: int = 0
    answered_at: float = 0.0
    ended_at: float = 0.0
    hangup_cause: str = ""
    queue: str = ""
    enqueued_at: float = 0.0
    queue_outcome: str | None = None
    waited_s: float = 0.0
    agent: str = ""
    connected_at: float = 0.0
    ring_ms: int = 0
    voicemail: bool = False
    voicemail_span: tuple[float, float] = (0.0, 0.0)
    rtp_packets: int = 0
    hold_s: float = 0.0
    transferred: bool = False
    direction: str = "inbound"
    flow: str = ""  # the IVR flow the caller walked
    offers: list[Offer] = field(default_factory=list)
    closed_segments: list[dict[str, object]] = field(default_factory=list)
    ivr_steps: list[tuple[str, str, str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Something an operator should read about this call."""
        self.notes.append(text)

    def answered(self, at: float) -> None:
        """We answered the caller."""
        self.sip_code, self.answered_at = 200, at

    def refused(self, status: int, why: str) -> None:
        """We refused the call with ``status``."""
        self.sip_code = status
        self.hangup_cause = self.hangup_cause or f"refused: {why}"

    def queued(self, queue: str, at: float, *, voicemail: bool = False) -> None:
        """The caller entered ``queue`` (or its voicemail)."""
        self.queue, self.voicemail = queue, voicemail
        if not voicemail:
            self.enqueued_at = at

    def offer(self, agent: str, result: str, sip_code: int | None) -> None:
        """An offer ended with ``result``."""
        self.offers.append(Offer(agent, result, sip_code))

    def connected(self, agent: str, at: float, ring_ms: int) -> None:
        """An agent answered and the media is connected."""
        self.agent, self.connected_at, self.ring_ms = agent, at, ring_ms

    def finished(self, outcome: str, waited_s: float) -> None:
        """The ACD's outcome for the queue segment."""
        self.queue_outcome = _QUEUE_OUTCOME.get(outcome, "overflowed")
        self.waited_s = waited_s

    def voicemail_started(self, at: float) -> None:
        """The caller's message starts."""
        self.voicemail_span = (at, at)

    def voicemail_ended(self, at: float) -> None:
        """The caller's message ended."""
        self.voicemail_span = (self.voicemail_span[0], at)

    def ivr(self, node: str, kind: str, value: str, at: float) -> None:
        """One IVR step."""
        self.ivr_steps.append((node, kind, value, at))

    def media(self, totals: QueryResult) -> None:
        """RTPengine's counters at hangup."""
        self.rtp_packets = totals.totals.rtp_packets

    def ended(self, at: float) -> None:
        """The call is over."""
        self.ended_at = at
        self.hangup_cause = self.hangup_cause or "unknown"

    def _segment_row(self, pseudonym: str, ended_at: float) -> dict[str, object]:
        n = len(self.closed_segments)
        talk_ms = int((ended_at - self.connected_at) * 1000) if self.agent else 0
        return {
            "event_id": f"{self.call_id}:q{n}", "tenant": self.tenant, "queue": self.queue,
            "call_id": self.call_id, "segment": n, "caller_key": pseudonym,
            "enqueued_at": self.enqueued_at, "outcome": self.queue_outcome or "abandoned",
            "wait_ms": int(self.waited_s * 1000), "ring_ms": self.ring_ms,
            "talk_ms": talk_ms, "hold_ms": int(self.hold_s * 1000), "agent": self.agent,
            "transferred": int(self.transferred),
        }

    def close_segment(self, at: float) -> None:
        """The agent sent the caller back to a queue at ``at``: this segment is over (its
        row is kept; the pseudonym is filled in when written)."""
        row = self._segment_row("", at)
        row["transferred"] = 1
        self.closed_segments.append(row)
        self.queue_outcome, self.agent, self.ring_ms, self.hold_s = None, "", 0, 0.0
        self.connected_at, self.waited_s = 0.0, 0.0

    def rows(self, pseudonym: str) -> list[tuple[str, dict[str, object]]]:
        """The analytics rows of this call."""
        rows: list[tuple[str, dict[str, object]]] = [("cdr", {
            "event_id": f"{self.call_id}:cdr", "tenant": self.tenant, "call_id": self.call_id,
            "direction": self.direction, "from_key": pseudonym, "did": self.did,
            "started_at": self.started_at, "answered_at": self.answered_at,
            "ended_at": self.ended_at, "sip_code": self.sip_code or 500,
            "hangup_cause": self.hangup_cause, "queue": self.queue, "agent": self.agent,
        })]
        for row in self.closed_segments:
            rows.append(("queue_calls", {**row, "caller_key": pseudonym}))
        if self.queue and not self.voicemail:
            rows.append(("queue_calls", self._segment_row(pseudonym, self.ended_at)))
        for n, (node, kind, value, at) in enumerate(self.ivr_steps):
            rows.append(("ivr_events", {
                "event_id": f"{self.call_id}:ivr{n}", "tenant": self.tenant,
                "call_id": self.call_id, "flow": self.flow or self.did, "node": node,
                "kind": kind,
                "digits": value if kind == "choice" else "", "at": at,
            }))
        return rows

    async def write(self, ctx: ControllerContext) -> None:
        """Hand every row to the record sink; a failure is logged with the whole row so an
        operator can replay it (the sink itself spools to disk before acknowledging)."""
        for table, row in self.rows(ctx.pseudonym(self.caller)):
            try:
                await ctx.records.write(table, row)
            except Exception as exc:
                log.error("call record not accepted", table=table, row=row, error=str(exc))
