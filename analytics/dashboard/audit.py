"""Routing-decision audit: which decisions a call, queue or time range had, and for one of
them the candidates, their scores and the rule that fired ("why this agent").

These are row-level drill-downs, so they read the raw ``routing_decisions`` rows (FINAL,
so a replayed event is shown once), always narrowed by tenant and time first: the table's
sort key starts (tenant, queue, decided_at), which keeps a page cheap on large tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from analytics.dashboard.params import Scope
from analytics.kpis.service import KpiEngine
from analytics.schema.ddl import check_identifier, quote
from analytics.schema.tables import QUEUE_CALLS, ROUTING_DECISIONS

Json = dict[str, Any]
MASK = "••••"
"""Shown instead of a caller identity to readers without PII rights."""
CALL_WINDOW_S = 86400
"""A call's queue segments are looked up this far around the decision."""

_LIST_COLUMNS = ("event_id", "toUnixTimestamp(decided_at)", "toString(queue)", "call_id",
                 "toString(strategy)", "toString(rule)", "toString(chosen_agent)",
                 "length(candidates)", "latency_us")


def _time(epoch: object, tz: str) -> str:
    return datetime.fromtimestamp(int(str(epoch)), ZoneInfo(tz)).isoformat()


def _where(s: Scope, *, call_id: str | None, agent: str | None) -> str:
    parts = [f"tenant = {quote(s.tenant)}",
             f"decided_at >= toDateTime({int(s.start.timestamp())})",
             f"decided_at < toDateTime({int(s.end.timestamp())})"]
    if s.queues:
        parts.append(f"queue IN ({', '.join(quote(q) for q in s.queues)})")
    if call_id is not None:
        parts.append(f"call_id = {quote(call_id)}")
    if agent is not None:
        parts.append(f"chosen_agent = {quote(agent)}")
    return " AND ".join(parts)


def _summary(row: tuple[object, ...], tz: str) -> Json:
    event_id, at, queue, call_id, strategy, rule, chosen, n, latency = row
    return {"id": str(event_id), "decided_at": _time(at, tz), "at": int(str(at)),
            "queue": str(queue), "call_id": str(call_id), "strategy": str(strategy),
            "rule": str(rule), "chosen_agent": str(chosen), "candidates": int(str(n)),
            "latency_us": int(str(latency))}


def list_decisions(engine: KpiEngine, s: Scope, *, call_id: str | None, agent: str | None,
                   limit: int) -> Json:
    """The newest decisions matching the filters (at most ``limit``) and how many match."""
    db = check_identifier(engine.database)
    where = _where(s, call_id=call_id, agent=agent)
    source = f"{db}.{ROUTING_DECISIONS.name} FINAL WHERE {where}"
    rows = engine.query(f"SELECT {', '.join(_LIST_COLUMNS)} FROM {source}"
                        f" ORDER BY decided_at DESC, event_id DESC LIMIT {int(limit)}")
    matched = int(str(engine.query(f"SELECT count() FROM {source}")[0][0]))
    return {"tenant": s.tenant, "tz": s.tz, "start": s.start.isoformat(),
            "end": s.end.isoformat(), "matched": matched,
            "decisions": [_summary(r, s.tz) for r in rows]}


def decision_detail(engine: KpiEngine, *, tenant: str, decision_id: str, tz: str,
                    at: int | None, no_pii: bool) -> Json | None:
    """One decision with its ranked candidates and the call's queue segments; None if the
    tenant has no such decision."""
    db = check_identifier(engine.database)
    where = f"tenant = {quote(tenant)} AND event_id = {quote(decision_id)}"
    if at is not None:
        where += f" AND decided_at = toDateTime({int(at)})"
    rows = engine.query(f"SELECT {', '.join(_LIST_COLUMNS)}, candidates, scores"
                        f" FROM {db}.{ROUTING_DECISIONS.name} FINAL WHERE {where} LIMIT 1")
    if not rows:
        return None
    summary = _summary(rows[0][:len(_LIST_COLUMNS)], tz)
    names = [str(c) for c in _seq(rows[0][-2])]
    scores = [float(str(x)) for x in _seq(rows[0][-1])]
    ranked = sorted(
        ({"agent": a, "score": scores[i] if i < len(scores) else None,
          "chosen": a == summary["chosen_agent"], "order": i} for i, a in enumerate(names)),
        key=lambda c: (c["score"] is None, -(c["score"] or 0.0), c["order"]))
    return {**summary, "tz": tz, "ranked": ranked,
            "segments": _segments(engine, tenant, summary, tz, no_pii=no_pii)}


def _seq(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError(f"an array column came back as {type(value).__name__}")


def _segments(engine: KpiEngine, tenant: str, decision: Json, tz: str, *,
              no_pii: bool) -> list[Json]:
    db = check_identifier(engine.database)
    at = int(decision["at"])
    rows = engine.query(
        "SELECT segment, toString(queue), toString(skill), toUnixTimestamp(enqueued_at),"
        " toString(outcome), wait_ms, ring_ms, talk_ms, hold_ms, wrap_ms,"
        f" toString(agent), caller_key FROM {db}.{QUEUE_CALLS.name} FINAL"
        f" WHERE tenant = {quote(tenant)} AND call_id = {quote(decision['call_id'])}"
        f" AND enqueued_at >= toDateTime({max(0, at - CALL_WINDOW_S)})"
        f" AND enqueued_at < toDateTime({at + CALL_WINDOW_S}) ORDER BY segment LIMIT 100")
    out = []
    for seg, queue, skill, enq, outcome, wait, ring, talk, hold, wrap, agent, caller in rows:
        out.append({
            "segment": int(str(seg)), "queue": str(queue), "skill": str(skill),
            "enqueued_at": _time(enq, tz), "outcome": str(outcome),
            "wait_s": int(str(wait)) / 1000, "ring_s": int(str(ring)) / 1000,
            "talk_s": int(str(talk)) / 1000, "hold_s": int(str(hold)) / 1000,
            "wrap_s": int(str(wrap)) / 1000, "agent": str(agent),
            "caller": MASK if no_pii and caller else str(caller),
        })
    return out
