"""ClickHouse's Native format for the sink's column blocks, encoded at C speed per column.

clickhouse-driver converts every value in Python; a server insert of 100k rows cost the
sink's process more than the server's own work once the rows arrive in time order. Native
is columnar like the spooled JSONColumns blocks, so each column becomes bytes in a few
C-level passes: integers through ``array``, enums through a byte map, labels through a
per-block cache of their encoded form, other strings joined once when they are ASCII.

Pure (no I/O): the server adapter sends the bytes. Tables with array columns, and values a
fast path cannot prove it encodes exactly, return None: the caller then uses the driver.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

from analytics.schema.dialect import Dialect
from analytics.schema.model import SINK_BATCH, Column, EventTable, Kind

_INT_CODES = {Kind.UINT8: "B", Kind.UINT16: "H", Kind.UINT32: "I", Kind.UINT64: "Q",
              Kind.DATETIME: "I"}
_CHR = [chr(i) for i in range(128)]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _string(text: str) -> bytes:
    raw = text.encode()
    return _varint(len(raw)) + raw


def _strings(values: Sequence[Any], *, label: bool) -> bytes | None:
    if label:  # few distinct values: encode each once
        try:
            cache = {v: _string(v) for v in set(values)}
        except (AttributeError, TypeError):  # not all str
            return None
        return b"".join(map(cache.__getitem__, values))
    try:
        lengths = list(map(len, values))
        if not lengths or max(lengths) < 128:
            # ASCII with short lengths: each value's varint is one byte, the same char
            text = "".join(chain.from_iterable(zip(map(_CHR.__getitem__, lengths),
                                                   values, strict=True)))
            if text.isascii():
                return text.encode("ascii")
        return b"".join(map(_string, values))
    except (TypeError, AttributeError):
        return None


def _column(col: Column, values: Sequence[Any]) -> bytes | None:
    kind = col.kind
    try:
        if kind in _INT_CODES:
            return array(_INT_CODES[kind], values).tobytes()
        if kind is Kind.FLOAT32:
            return array("f", values).tobytes()
        if kind is Kind.ENUM:
            codes = {v: i for i, v in enumerate(col.values, start=1)}
            return bytes(map(codes.__getitem__, values))
    except (TypeError, OverflowError, KeyError):
        return None
    if kind in (Kind.STRING, Kind.LABEL):
        return _strings(values, label=kind is Kind.LABEL)
    return None  # arrays


def encode(table: EventTable, dialect: Dialect, columns: Mapping[str, Sequence[object]],
           rows: int, batch_id: int) -> bytes | None:
    """One Native block of ``columns`` (table order) plus ``sink_batch``; None if any
    column needs the slow path. LowCardinality dialects are not served (chDB reads JSON)."""
    if dialect.low_cardinality:
        return None
    parts = [_varint(len(table.all_columns)), _varint(rows)]
    for col in table.columns:
        values = columns.get(col.name)
        if values is None or len(values) != rows:
            return None
        data = _column(col, values)
        if data is None:
            return None
        parts += [_string(col.name), _string(col.ch_type(dialect)), data]
    parts += [_string(SINK_BATCH.name), _string(SINK_BATCH.ch_type(dialect)),
              array("Q", [batch_id]).tobytes() * rows]
    return b"".join(parts)
