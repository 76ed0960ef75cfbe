"""Column blocks as Arrow: the spool format of engines that read Arrow (chDB).

Parsing a JSONColumns block was most of the engine's cost of a raw insert (0.16-0.3 s per
100k queue_calls rows against 0.03-0.08 s for the same rows as an Arrow stream, measured
on chDB into a Null table). So a sink whose engine reads Arrow spools each validated block
as one Arrow IPC stream, base64 text after a mark so a spool record stays one line, and the
batch's blocks reach the engine as one stream without Python touching the values again.
JSONColumns blocks (the other format, and spools written before) are read everywhere too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence

import pyarrow as pa

from analytics.schema.model import Column, EventTable, Kind
from analytics.schema.tables import EVENT_TABLES
from analytics.sink.codec import dumps, loads

ARROW_MARK = "A"
"""First character of a spooled Arrow block (a JSONColumns block starts with '{')."""

_TYPES: dict[Kind, pa.DataType] = {
    Kind.STRING: pa.string(), Kind.LABEL: pa.string(), Kind.ENUM: pa.string(),
    Kind.UINT8: pa.uint8(), Kind.UINT16: pa.uint16(), Kind.UINT32: pa.uint32(),
    Kind.UINT64: pa.uint64(), Kind.DATETIME: pa.uint32(), Kind.FLOAT32: pa.float32(),
    Kind.STRINGS: pa.list_(pa.string()), Kind.FLOATS: pa.list_(pa.float32()),
}


class MalformedBlock(ValueError):
    """A spooled block that cannot be read back (a damaged spool): dead-lettered."""


def arrow_type(col: Column) -> pa.DataType:
    """The Arrow type a column's values travel as (instants as epoch seconds)."""
    return _TYPES[col.kind]


def schema(table: EventTable) -> pa.Schema:
    """The Arrow schema of a table's producer columns (``sink_batch`` excluded)."""
    return pa.schema([pa.field(c.name, arrow_type(c), nullable=False) for c in table.columns])


_SCHEMAS = {name: schema(t) for name, t in EVENT_TABLES.items()}


def is_arrow(payload: str) -> bool:
    """True for a spooled Arrow block."""
    return payload.startswith(ARROW_MARK)


def stream_bytes(table: pa.Table) -> bytes:
    """One Arrow IPC stream holding ``table``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def encode(table_name: str, columns: Mapping[str, Sequence[object]]) -> str:
    """Validated columns (table order) as spool text; JSONColumns if Arrow refuses a value
    the JSON codec can still carry (a lone surrogate in a string)."""
    sch = _SCHEMAS[table_name]
    try:
        arrays = [pa.array(columns[f.name], type=f.type) for f in sch]
    except (pa.ArrowException, UnicodeError, OverflowError):
        return dumps(dict(columns))
    data = stream_bytes(pa.Table.from_arrays(arrays, schema=sch))
    return ARROW_MARK + base64.b64encode(data).decode("ascii")


def read(table_name: str, payload: str) -> pa.Table:
    """A spooled block (either format) as an Arrow table with the table's schema."""
    sch = _SCHEMAS[table_name]
    try:
        if is_arrow(payload):
            data = base64.b64decode(payload[len(ARROW_MARK):], validate=True)
            table = pa.ipc.open_stream(data).read_all()
            if not table.schema.equals(sch):
                raise MalformedBlock(f"spooled {table_name} block has columns {table.schema}")
            return table
        columns = loads(payload)
        return pa.Table.from_arrays([pa.array(columns[f.name], type=f.type) for f in sch],
                                    schema=sch)
    except MalformedBlock:
        raise
    except (binascii.Error, pa.ArrowException, ValueError, KeyError, TypeError,
            UnicodeError, OverflowError) as exc:
        raise MalformedBlock(f"spooled {table_name} block is unreadable: {exc}") from exc


def columns(table_name: str, payload: str) -> dict[str, list[object]]:
    """A spooled block (either format) as Python lists by column name."""
    if not is_arrow(payload):
        try:
            block: dict[str, list[object]] = loads(payload)
        except ValueError as exc:
            raise MalformedBlock(f"spooled {table_name} block is unreadable: {exc}") from exc
        return block
    table = read(table_name, payload)
    return {name: table.column(name).to_pylist() for name in table.column_names}


def as_json(table_name: str, payload: str) -> str:
    """A block as JSONColumns text (dead letters must stay readable); as is if unreadable."""
    if not is_arrow(payload):
        return payload
    try:
        return dumps(columns(table_name, payload))
    except MalformedBlock:
        return payload


def keep(table_name: str, payload: str, landed: set[str]) -> tuple[str, int] | None:
    """The block's rows whose event id is not in ``landed``, in its own format (None:
    every row landed)."""
    if not is_arrow(payload):
        block = columns(table_name, payload)
        idx = [i for i, e in enumerate(block["event_id"]) if str(e) not in landed]
        if len(idx) == len(block["event_id"]):
            return payload, len(idx)
        return (dumps({k: [v[i] for i in idx] for k, v in block.items()}), len(idx)) \
            if idx else None
    table = read(table_name, payload)
    ids = table.column("event_id").to_pylist()
    idx = [i for i, e in enumerate(ids) if str(e) not in landed]
    if len(idx) == len(ids):
        return payload, len(idx)
    if not idx:
        return None
    data = stream_bytes(table.take(pa.array(idx, type=pa.int64())))
    return ARROW_MARK + base64.b64encode(data).decode("ascii"), len(idx)
