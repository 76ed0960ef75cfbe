"""Call records into the analytics event sink (the adapter between calls/ and analytics/)."""

from __future__ import annotations

from collections.abc import Mapping

from analytics.sink import EventSink


class RecordRejected(ValueError):
    """The sink dead-lettered a call record; the reason is in its dead-letter file."""


class SinkRecords:
    """`RecordSink` over an `EventSink`: a record is acknowledged once spooled to disk."""

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        """Spool one row; raise if it was refused (so the caller logs the whole row)."""
        result = await self.sink.emit(table, row)
        if result.rejected:
            raise RecordRejected(f"{table} row {row.get('event_id')} was dead-lettered")
