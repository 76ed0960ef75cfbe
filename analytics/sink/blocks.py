"""Column blocks: many events of one table validated column by column, spooled as one record.

Per-event validation costs ~15 µs in Python, which caps a sink near 50k events/s on this
machine kind. Bulk producers (replays, imports, the benchmark) hand over columns instead:
each column is checked in one pass at C speed, and only the rows of a column that fails the
fast check go through the per-value path, which converts them or names the reason. The
block is stored as a JSONColumns object, the format chDB inserts directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analytics.schema.model import INT_RANGES, Column, Kind
from analytics.schema.tables import AGENT_STATES_TABLE, EVENT_TABLES
from analytics.sink.codec import dumps, loads
from analytics.sink.events import MAX_EVENT_ID_LEN, MAX_STATE_SECONDS, MalformedEvent, coerce_value

MAX_BLOCK_ROWS = 100_000


@dataclass
class Block:
    """Validated columns of one table (table column order), and the rows refused."""

    table: str
    columns: dict[str, list[object]]
    rejected: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    """(reason, the row as given) of each refused row."""

    @property
    def rows(self) -> int:
        """How many rows the block holds."""
        return len(self.columns["event_id"])

    def keep(self, indices: Sequence[int]) -> Block:
        """The block restricted to ``indices`` (in that order)."""
        return Block(self.table, {name: [col[i] for i in indices]
                                  for name, col in self.columns.items()}, self.rejected)

    def to_json(self) -> str:
        """The JSONColumns text of the block (what the spool keeps)."""
        return dumps(self.columns)


def _all_canonical(col: Column, values: list[object]) -> bool:
    kinds = set(map(type, values))
    if col.kind in (Kind.STRING, Kind.LABEL):
        return kinds <= {str}
    if col.kind is Kind.ENUM:
        return kinds <= {str} and set(values) <= set(col.values)
    if col.kind in INT_RANGES:
        low, high = INT_RANGES[col.kind]
        ints: list[int] = values  # type: ignore[assignment]
        return kinds <= {int} and (not ints or (low <= min(ints) and max(ints) <= high))
    if col.kind is Kind.FLOAT32:
        floats: list[float] = values  # type: ignore[assignment]
        return kinds <= {float} and all(map(math.isfinite, floats))
    return False  # arrays: per value


def _column(table: str, col: Column, values: list[object],
            bad: dict[int, str]) -> list[object]:
    if _all_canonical(col, values):
        return values
    out: list[object] = []
    for i, value in enumerate(values):
        try:
            out.append(coerce_value(table, col, value))
        except MalformedEvent as exc:
            bad.setdefault(i, exc.reason)
            out.append(None)
    return out


def _ids_fit(ids: list[object]) -> bool:
    """Every id a string of an allowed length, checked at C speed (the common case)."""
    try:
        lengths = list(map(len, ids))  # type: ignore[arg-type]  # TypeError: not all str
    except TypeError:
        return False
    return not lengths or (min(lengths) > 0 and max(lengths) <= MAX_EVENT_ID_LEN)


def _table_rules(table: str, columns: dict[str, list[object]], bad: dict[int, str]) -> None:
    ids = columns["event_id"]
    if not _ids_fit(ids):  # e.g. None: a row already refused for its event_id
        for i, event_id in enumerate(ids):
            if isinstance(event_id, str) and not 0 < len(event_id) <= MAX_EVENT_ID_LEN:
                bad.setdefault(i, f"event_id must be 1..{MAX_EVENT_ID_LEN} characters")
    if table == AGENT_STATES_TABLE.name:
        pairs = zip(columns["started_at"], columns["ended_at"], strict=True)
        for i, (start, end) in enumerate(pairs):
            if isinstance(start, int) and isinstance(end, int) and not (
                    start <= end <= start + MAX_STATE_SECONDS):
                bad.setdefault(i, "ended_at must be within a week after started_at")


def validate_block(table_name: str, given: Mapping[str, Sequence[object]]) -> Block:
    """Check a block; rows that do not fit are moved to ``rejected`` with their reason.

    A block that is wrong as a whole (unknown table or columns, a required column missing,
    columns of different lengths, too many rows) raises MalformedEvent.
    """
    table = EVENT_TABLES.get(table_name)
    if table is None:
        raise MalformedEvent(table_name, f"unknown table (known: {sorted(EVENT_TABLES)})")
    known = {c.name for c in table.columns}
    if extra := sorted(set(given) - known):
        raise MalformedEvent(table_name, f"unknown columns {extra}")
    lengths = {len(v) for v in given.values()}
    if len(lengths) != 1:
        raise MalformedEvent(table_name, "block columns have different lengths")
    n = lengths.pop()
    if n > MAX_BLOCK_ROWS:
        raise MalformedEvent(table_name, f"a block holds at most {MAX_BLOCK_ROWS} rows")
    bad: dict[int, str] = {}
    columns: dict[str, list[object]] = {}
    for col in table.columns:
        if col.name in given:
            columns[col.name] = _column(table_name, col, list(given[col.name]), bad)
        elif col.required:
            raise MalformedEvent(table_name, f"missing required column {col.name}")
        else:
            default = list(col.default) if isinstance(col.default, tuple) else col.default
            columns[col.name] = [default] * n
    _table_rules(table_name, columns, bad)
    block = Block(table_name, columns)
    if bad:
        block = block.keep([i for i in range(n) if i not in bad])
        block.rejected = [(reason, {k: given[k][i] for k in given})
                          for i, reason in sorted(bad.items())]
    return block


def block_event_ids(payload: str) -> list[str]:
    """The event ids of a spooled block, in order."""
    return [str(v) for v in loads(payload)["event_id"]]
