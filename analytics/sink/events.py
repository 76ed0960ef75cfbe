"""Validation of producer events against the schema source, before anything is spooled.

An accepted event becomes one compact JSON array (values in table column order, instants
as UTC epoch seconds). That text is what the spool keeps and what the chDB backend inserts
as JSONCompactEachRow (twice as fast to parse as keyed JSON), so an event is serialised
exactly once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime

from analytics.schema.model import INT_RANGES, Column, EventTable, Kind
from analytics.schema.tables import AGENT_STATES_TABLE, EVENT_TABLES
from analytics.sink.codec import dumps, loads

MAX_EVENT_ID_LEN = 128
MAX_STATE_SECONDS = 7 * 86400
"""A state interval longer than a week is a producer bug, not a shift."""


class MalformedEvent(ValueError):
    """An event that does not fit its table; ``reason`` says why in one line."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}")
        self.table = table
        self.reason = reason


def coerce_value(table: str, col: Column, raw: object) -> object:
    """``raw`` as stored in ``col`` (datetimes become epoch seconds); MalformedEvent if it
    cannot be."""
    kind = col.kind
    if kind in (Kind.STRING, Kind.LABEL):
        if not isinstance(raw, str):
            raise MalformedEvent(table, f"{col.name} must be a string, got {type(raw).__name__}")
        return raw
    if kind is Kind.ENUM:
        if raw not in col.values:
            raise MalformedEvent(table, f"{col.name}={raw!r} is not one of {list(col.values)}")
        return raw
    if kind is Kind.DATETIME:
        return _instant(table, col, raw)
    if kind in INT_RANGES:
        if not isinstance(raw, int):
            raise MalformedEvent(table, f"{col.name} must be an integer, got {raw!r}")
        low, high = INT_RANGES[kind]
        if not low <= raw <= high:
            raise MalformedEvent(table, f"{col.name}={raw} is outside {kind.value}")
        return int(raw)
    if kind is Kind.FLOAT32:
        return _number(table, col.name, raw)
    if kind is Kind.FLOATS:
        if not isinstance(raw, list | tuple):
            raise MalformedEvent(table, f"{col.name} must be a list of numbers")
        return [_number(table, col.name, x) for x in raw]
    if not isinstance(raw, list | tuple) or not all(isinstance(x, str) for x in raw):
        raise MalformedEvent(table, f"{col.name} must be a list of strings")
    return list(raw)


def _number(table: str, name: str, raw: object) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise MalformedEvent(table, f"{name} must be a finite number, got {raw!r}")
    return float(raw)


def _instant(table: str, col: Column, raw: object) -> int:
    if isinstance(raw, datetime):
        # A naive datetime would be read in some implicit zone: refuse rather than guess.
        if raw.tzinfo is None or raw.utcoffset() is None:
            raise MalformedEvent(table, f"{col.name} is a naive datetime; give a time zone")
        raw = raw.timestamp()
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise MalformedEvent(table, f"{col.name} must be epoch seconds or an aware datetime")
    seconds = math.floor(raw)
    low, high = INT_RANGES[Kind.DATETIME]
    if not low <= seconds <= high:
        raise MalformedEvent(table, f"{col.name}={raw} is outside DateTime")
    return seconds


def _check_table_rules(table: EventTable, row: dict[str, object]) -> None:
    event_id = row["event_id"]
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_EVENT_ID_LEN:
        raise MalformedEvent(table.name, f"event_id must be 1..{MAX_EVENT_ID_LEN} characters")
    if table is AGENT_STATES_TABLE:
        start, end = row["started_at"], row["ended_at"]
        assert isinstance(start, int) and isinstance(end, int)
        if not start <= end <= start + MAX_STATE_SECONDS:
            raise MalformedEvent(table.name, "ended_at must be within a week after started_at")


def _is_canonical(col: Column) -> Callable[[object], bool]:
    """A cheap test that a value is already stored as-is (the common case); anything else
    goes through ``_value``, which converts it or explains why it cannot."""
    kind = col.kind
    if kind in (Kind.STRING, Kind.LABEL):
        return lambda v: type(v) is str
    if kind is Kind.ENUM:
        allowed = frozenset(col.values)
        return lambda v: type(v) is str and v in allowed
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        return lambda v: type(v) is int and low <= v <= high
    return lambda v: False


_Plan = tuple[tuple[str, Callable[[object], bool], Column, bool], ...]
_PLANS: dict[str, tuple[_Plan, frozenset[str]]] = {
    t.name: (tuple((c.name, _is_canonical(c), c, c.required) for c in t.columns),
             frozenset(c.name for c in t.columns))
    for t in EVENT_TABLES.values()
}


def normalize(table_name: str, event: Mapping[str, object]) -> str:
    """Validate ``event`` for ``table_name`` and return its JSON line (no newline).

    Raises MalformedEvent naming the first problem found.
    """
    plan = _PLANS.get(table_name)
    if plan is None:
        raise MalformedEvent(table_name, f"unknown table (known: {sorted(EVENT_TABLES)})")
    if type(event) is not dict and not isinstance(event, Mapping):
        raise MalformedEvent(table_name, "an event must be a mapping of column to value")
    columns, known = plan
    if not known.issuperset(event):
        extra = sorted(str(k) for k in event if k not in known)
        raise MalformedEvent(table_name, f"unknown columns {extra}")
    row: dict[str, object] = {}
    for name, canonical, col, required in columns:
        if name in event:
            value = event[name]
            row[name] = value if canonical(value) else coerce_value(table_name, col, value)
        elif required:
            raise MalformedEvent(table_name, f"missing required column {name}")
        else:
            row[name] = list(col.default) if isinstance(col.default, tuple) else col.default
    _check_table_rules(EVENT_TABLES[table_name], row)
    return dumps(list(row.values()))


def decode(table_name: str, line: str) -> dict[str, object]:
    """The row (column -> value) of a JSON line produced by ``normalize``."""
    values = loads(line)
    columns = EVENT_TABLES[table_name].columns
    if not isinstance(values, list) or len(values) != len(columns):
        raise ValueError(f"spooled {table_name} row does not have {len(columns)} values")
    return {c.name: v for c, v in zip(columns, values, strict=True)}
