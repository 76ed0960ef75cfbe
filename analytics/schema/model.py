"""The vocabulary of the schema source: column kinds, columns and event tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from analytics.schema.dialect import Dialect


class Kind(Enum):
    """What a column holds; the ClickHouse type follows from it and from the dialect."""

    STRING = "String"
    LABEL = "label"  # few distinct values: LowCardinality where the dialect allows
    UINT8 = "UInt8"
    UINT16 = "UInt16"
    UINT32 = "UInt32"
    UINT64 = "UInt64"
    FLOAT32 = "Float32"
    DATETIME = "DateTime('UTC')"  # an instant; the tenant's zone is applied when bucketing
    ENUM = "enum"
    STRINGS = "Array(String)"
    FLOATS = "Array(Float32)"


INT_RANGES: dict[Kind, tuple[int, int]] = {
    Kind.UINT8: (0, 2**8 - 1),
    Kind.UINT16: (0, 2**16 - 1),
    Kind.UINT32: (0, 2**32 - 1),
    Kind.UINT64: (0, 2**64 - 1),
    Kind.DATETIME: (0, 2**32 - 1),
}


@dataclass(frozen=True)
class Column:
    """One column of an event table, as producers see it."""

    name: str
    kind: Kind
    doc: str
    default: object = None
    """None means the producer must supply it; otherwise the value used when absent."""
    values: tuple[str, ...] = ()
    """The allowed values of an ENUM column, in their stored order."""

    @property
    def required(self) -> bool:
        """True when a producer has to give this column."""
        return self.default is None

    def ch_type(self, dialect: Dialect) -> str:
        """The ClickHouse type of this column in one dialect."""
        if self.kind is Kind.LABEL:
            return dialect.label_type()
        if self.kind is Kind.ENUM:
            members = ", ".join(f"'{v}' = {i}" for i, v in enumerate(self.values, start=1))
            return f"Enum8({members})"
        return str(self.kind.value)


SINK_BATCH = Column(
    "sink_batch", Kind.UINT64,
    "id of the sink batch that inserted the row: lets a replay find what already landed",
    default=0,
)
"""Added by the sink to every event table; producers never set it."""


@dataclass(frozen=True)
class EventTable:
    """A raw event table: one row per event, keyed by a producer-chosen ``event_id``."""

    name: str
    doc: str
    time_column: str
    order_by: tuple[str, ...]
    columns: tuple[Column, ...]
    all_columns: tuple[Column, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if names[0] != "event_id":
            raise ValueError(f"{self.name}: event_id must be the first column")
        if self.time_column not in names or not set(self.order_by) <= set(names):
            raise ValueError(f"{self.name}: time/order columns must be declared")
        object.__setattr__(self, "all_columns", (*self.columns, SINK_BATCH))

    def column(self, name: str) -> Column:
        """The column called ``name``; KeyError if there is none."""
        for col in self.all_columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")
