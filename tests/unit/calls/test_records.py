"""What one call leaves behind: its CDR, queue segments and IVR steps, as analytics rows."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any, cast

import structlog

from analytics.sink.events import normalize
from control_plane.calls.context import ControllerContext
from control_plane.calls.records import CallRecord

CALLER = "+8613800138000"
KEY = "5e1f0c3a9b7d2e44"
T0 = 1_790_000_000.0


def record(call_id: str = "call-1@cc") -> CallRecord:
    return CallRecord(call_id=call_id, tenant="acme", did="4008000001", caller=CALLER,
                      started_at=T0)


def by_table(rows: list[tuple[str, dict[str, object]]]) -> dict[str, list[dict[str, object]]]:
    tables: dict[str, list[dict[str, object]]] = {}
    for table, row in rows:
        tables.setdefault(table, []).append(row)
    return tables


def check_rows(rec: CallRecord) -> dict[str, list[dict[str, object]]]:
    """Every row fits its analytics table and carries no caller number."""
    rows = rec.rows(KEY)
    for table, row in rows:
        normalize(table, row)  # raises MalformedEvent on a column or type the sink refuses
        assert CALLER not in json.dumps(row) and CALLER[1:] not in json.dumps(row)
    return by_table(rows)


def answered_call() -> CallRecord:
    rec = record()
    rec.answered(T0 + 0.2)
    rec.ivr("menu", "enter", "", T0 + 1)
    rec.ivr("menu", "choice", "2", T0 + 4)
    rec.ivr("acct", "collected", "16", T0 + 9)
    rec.queued("support", T0 + 10)
    rec.offer("bob", "no_answer", 487)
    rec.offer("alice", "answered", 200)
    rec.connected("alice", T0 + 40, 3500)
    rec.finished("answered", 30.0)
    rec.hold_s = 12.5
    rec.hangup_cause = "caller"
    rec.ended(T0 + 160)
    return rec


def test_an_answered_call() -> None:
    rows = check_rows(answered_call())
    assert set(rows) == {"cdr", "queue_calls", "ivr_events"}
    assert rows["cdr"] == [{
        "event_id": "call-1@cc:cdr", "tenant": "acme", "call_id": "call-1@cc",
        "direction": "inbound", "from_key": KEY, "did": "4008000001", "started_at": T0,
        "answered_at": T0 + 0.2, "ended_at": T0 + 160, "sip_code": 200,
        "hangup_cause": "caller", "queue": "support", "agent": "alice"}]
    assert rows["queue_calls"] == [{
        "event_id": "call-1@cc:q0", "tenant": "acme", "queue": "support",
        "call_id": "call-1@cc", "segment": 0, "caller_key": KEY, "enqueued_at": T0 + 10,
        "outcome": "answered", "wait_ms": 30000, "ring_ms": 3500, "talk_ms": 120000,
        "hold_ms": 12500, "agent": "alice", "transferred": 0}]
    assert [(r["event_id"], r["node"], r["kind"], r["digits"]) for r in rows["ivr_events"]] == [
        ("call-1@cc:ivr0", "menu", "enter", ""), ("call-1@cc:ivr1", "menu", "choice", "2"),
        ("call-1@cc:ivr2", "acct", "collected", "")]  # only a menu choice keeps its digit


def test_an_abandon_in_queue() -> None:
    rec = record()
    rec.answered(T0)
    rec.queued("sales", T0 + 5)
    rec.offer("bob", "cancelled", 487)
    rec.finished("abandoned", 42.0)
    rec.hangup_cause = "caller"
    rec.ended(T0 + 47)
    rows = check_rows(rec)
    (segment,) = rows["queue_calls"]
    assert (segment["outcome"], segment["wait_ms"], segment["agent"], segment["talk_ms"],
            segment["ring_ms"]) == ("abandoned", 42000, "", 0, 0)
    assert (rows["cdr"][0]["agent"], rows["cdr"][0]["queue"]) == ("", "sales")


def test_a_caller_gone_before_the_acd_decided_is_an_abandon() -> None:
    rec = record()
    rec.answered(T0)
    rec.queued("sales", T0 + 5)
    rec.ended(T0 + 6)
    rows = check_rows(rec)
    assert rows["queue_calls"][0]["outcome"] == "abandoned"
    assert rows["cdr"][0]["hangup_cause"] == "unknown"


def test_acd_outcomes_map_onto_the_analytics_vocabulary() -> None:
    expected = {"answered": "answered", "abandoned": "abandoned", "timed_out": "timed_out",
                "overflowed": "overflowed", "callback_scheduled": "callback",
                "rejected": "overflowed", "something_new": "overflowed"}
    for acd, analytics in expected.items():
        rec = record()
        rec.queued("sales", T0)
        rec.finished(acd, 1.0)
        rec.ended(T0 + 1)
        assert check_rows(rec)["queue_calls"][0]["outcome"] == analytics


def test_a_refusal() -> None:
    rec = record()
    rec.refused(488, "no codec we can play")
    rec.ended(T0 + 0.01)
    rows = check_rows(rec)
    assert list(rows) == ["cdr"]
    cdr = rows["cdr"][0]
    assert (cdr["sip_code"], cdr["hangup_cause"], cdr["answered_at"], cdr["queue"]) == (
        488, "refused: no codec we can play", 0.0, "")


def test_a_call_that_never_got_a_final_answer_is_a_500() -> None:
    rec = record()
    rec.ended(T0 + 1)
    assert check_rows(rec)["cdr"][0]["sip_code"] == 500


def test_a_voicemail() -> None:
    rec = record()
    rec.answered(T0)
    rec.ivr("menu", "choice", "9", T0 + 3)
    rec.queued("sales", T0 + 4, voicemail=True)
    rec.voicemail_started(T0 + 10)
    rec.voicemail_ended(T0 + 25)
    rec.hangup_cause = "voicemail_done"
    rec.ended(T0 + 26)
    rows = check_rows(rec)
    assert "queue_calls" not in rows  # it never waited for an agent
    assert rows["cdr"][0]["queue"] == "sales" and rec.voicemail_span == (T0 + 10, T0 + 25)
    assert rec.enqueued_at == 0.0


def test_a_call_sent_back_to_a_queue_has_two_segments() -> None:
    rec = record()
    rec.answered(T0)
    rec.queued("sales", T0 + 1)
    rec.connected("alice", T0 + 11, 2000)
    rec.finished("answered", 10.0)
    rec.hold_s = 3.0
    rec.close_segment(T0 + 71)  # alice sends the caller to support
    assert (rec.agent, rec.queue_outcome, rec.hold_s) == ("", None, 0.0)
    rec.queued("support", T0 + 71)
    rec.offer("bob", "answered", 200)
    rec.connected("bob", T0 + 81, 1000)
    rec.finished("answered", 10.0)
    rec.hangup_cause = "agent"
    rec.ended(T0 + 141)
    rows = check_rows(rec)
    first, second = rows["queue_calls"]
    assert (first["event_id"], first["segment"], first["queue"], first["agent"],
            first["talk_ms"], first["hold_ms"], first["transferred"], first["caller_key"]) == (
        "call-1@cc:q0", 0, "sales", "alice", 60000, 3000, 1, KEY)
    assert (second["event_id"], second["segment"], second["queue"], second["agent"],
            second["talk_ms"], second["hold_ms"], second["enqueued_at"]) == (
        "call-1@cc:q1", 1, "support", "bob", 60000, 0, T0 + 71)
    assert rows["cdr"][0]["agent"] == "bob"


def test_ids_are_stable_across_writes_and_records() -> None:
    first = [row["event_id"] for _, row in answered_call().rows(KEY)]
    rec = answered_call()
    assert first == [row["event_id"] for _, row in rec.rows(KEY)]
    assert first == [row["event_id"] for _, row in rec.rows("other-key")]
    assert len(set(first)) == len(first)
    other = record("call-2@cc")
    other.queued("sales", T0)
    other.ended(T0 + 1)
    assert not set(first) & {row["event_id"] for _, row in other.rows(KEY)}


def test_only_the_pseudonymous_key_names_the_caller() -> None:
    rec = answered_call()
    rec.note(f"something about {CALLER}")  # notes are for operators, never rows
    for _, row in rec.rows(KEY):
        assert CALLER not in json.dumps(row)
    assert {row.get("from_key") or row.get("caller_key")
            for table, row in rec.rows(KEY) if table != "ivr_events"} == {KEY}


class Sink:
    def __init__(self, refuse: str = "") -> None:
        self.refuse = refuse
        self.written: list[tuple[str, dict[str, Any]]] = []

    async def write(self, table: str, row: dict[str, Any]) -> None:
        if table == self.refuse:
            raise OSError("spool full")
        self.written.append((table, dict(row)))


def _ctx(sink: Sink) -> ControllerContext:
    # write() needs only the sink and the pseudonym function of the controller's context
    return cast(ControllerContext, SimpleNamespace(
        records=sink, pseudonym=lambda number: KEY if number == CALLER else "?"))


async def test_write_hands_every_row_to_the_sink() -> None:
    sink = Sink()
    rec = answered_call()
    await rec.write(_ctx(sink))
    assert sink.written == rec.rows(KEY)


async def test_a_refused_row_is_logged_whole_and_the_others_still_written() -> None:
    sink = Sink(refuse="queue_calls")
    rec = answered_call()
    with structlog.testing.capture_logs() as logs:
        await rec.write(_ctx(sink))
    assert [t for t, _ in sink.written] == ["cdr", "ivr_events", "ivr_events", "ivr_events"]
    (entry,) = [e for e in logs if e["event"] == "call record not accepted"]
    assert entry["table"] == "queue_calls" and entry["row"]["event_id"] == "call-1@cc:q0"
    assert entry["error"] == "spool full"


def test_the_pseudonym_is_a_salted_stable_hash() -> None:
    def key(number: str, salt: str = "callcenter") -> str:
        return ControllerContext.pseudonym(cast(ControllerContext,
                                                SimpleNamespace(key_salt=salt)), number)

    assert key(CALLER) == key(CALLER) and len(key(CALLER)) == 16
    assert key(CALLER) != key("+8613800138001") and key(CALLER) != key(CALLER, "other")
    assert CALLER[3:] not in key(CALLER) and key("") == ""
