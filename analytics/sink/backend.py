"""The port between the sink/KPI code and a ClickHouse engine, and its error types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from analytics.schema.dialect import Dialect
from analytics.schema.model import EventTable


class BackendError(RuntimeError):
    """Base of the errors a backend raises; the message names the engine and the cause."""


class BackendUnavailable(BackendError):
    """The engine cannot take the insert now (down, unreachable, missing table...).

    The sink keeps the events spooled and retries; nothing is lost.
    """


class BackendRejected(BackendError):
    """The engine refused the data itself (a value it cannot parse or store).

    Retrying cannot help: the sink moves the batch's rows of that table to dead letters.
    """


# ClickHouse error codes that mean "this data is wrong", as opposed to "try again later".
_DATA_ERROR_CODES = frozenset({
    6,  # CANNOT_PARSE_TEXT
    26,  # CANNOT_PARSE_QUOTED_STRING
    27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
    38,  # CANNOT_PARSE_DATE
    41,  # CANNOT_PARSE_DATETIME
    53,  # TYPE_MISMATCH
    69,  # ARGUMENT_OUT_OF_BOUND
    70,  # CANNOT_CONVERT_TYPE
    72,  # CANNOT_PARSE_NUMBER
    117,  # INCORRECT_DATA
    691,  # UNKNOWN_ELEMENT_OF_ENUM
})
_CODE = re.compile(r"Code: (\d+)")


def classify(engine: str, exc: BaseException, code: int | None = None) -> BackendError:
    """Turn an engine exception into BackendRejected or BackendUnavailable."""
    if code is None:
        match = _CODE.search(str(exc))
        code = int(match.group(1)) if match else None
    text = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
    if code in _DATA_ERROR_CODES:
        return BackendRejected(f"{engine} rejected the data: {text}")
    return BackendUnavailable(f"{engine} unavailable ({text}); events stay spooled")


def with_batch(line: str, batch_id: int) -> str:
    """A spooled JSON row with the ``sink_batch`` value appended (no re-serialisation)."""
    return f"{line[:-1]},{batch_id}]"


class AnalyticsBackend(Protocol):
    """One ClickHouse engine: chDB embedded or a server via clickhouse-driver."""

    dialect: Dialect
    database: str

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing. Raises BackendError."""

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a SELECT; rows as tuples of plain Python values. Raises BackendError."""

    def insert(self, table: EventTable, lines: Sequence[str], batch_id: int) -> None:
        """Insert spooled JSON rows into ``table`` as one insert tagged ``batch_id``."""

    def insert_blocks(self, table: EventTable, blocks: Sequence[tuple[str, int]],
                      batch_id: int) -> None:
        """Insert spooled JSONColumns blocks (text, rows) as one insert tagged ``batch_id``."""

    def close(self) -> None:
        """Release the engine (connections, the chDB data path)."""
