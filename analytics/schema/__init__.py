"""The analytics schema: one source (tables, rollups) rendered per ClickHouse dialect."""

from analytics.schema.dialect import CHDB_26, CLICKHOUSE_18, Dialect
from analytics.schema.migrations import MIGRATIONS, migrate
from analytics.schema.model import Column, EventTable, Kind
from analytics.schema.rollups import ROLLUPS
from analytics.schema.tables import EVENT_TABLES

__all__ = [
    "CHDB_26",
    "CLICKHOUSE_18",
    "EVENT_TABLES",
    "MIGRATIONS",
    "ROLLUPS",
    "Column",
    "Dialect",
    "EventTable",
    "Kind",
    "migrate",
]
