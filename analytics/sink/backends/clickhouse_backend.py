"""ClickHouse server adapter over clickhouse-driver (native protocol).

clickhouse-driver speaks to Debian's 18.16 server as well as to current ones, which
clickhouse-connect does not. Inserts go columnar: instants stay epoch integers, which the
driver passes through without time-zone conversion.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError
from clickhouse_driver.errors import ServerException

from analytics.schema.ddl import check_identifier
from analytics.schema.dialect import CLICKHOUSE_18, Dialect
from analytics.schema.model import EventTable
from analytics.sink.backend import BackendRejected, classify
from analytics.sink.codec import loads

_INSERT_SETTINGS = {"parallel_view_processing": 1}
"""The rollups' views of an insert run side by side (18.16 has the setting too)."""


class ClickHouseBackend:
    """AnalyticsBackend over one ClickHouse server."""

    def __init__(self, host: str, port: int = 9000, *, database: str = "callcenter",
                 user: str = "default", password: str = "", dialect: Dialect = CLICKHOUSE_18,
                 connect_timeout: float = 3.0, send_receive_timeout: float = 60.0) -> None:
        self.database = check_identifier(database)
        self.dialect = dialect
        self._engine = f"ClickHouse server {host}:{port}"
        self._lock = threading.Lock()
        # No database in the connection: the migrator has to create it first.
        self._client = Client(host=host, port=port, user=user, password=password,
                              connect_timeout=connect_timeout,
                              send_receive_timeout=send_receive_timeout)

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing."""
        self._run(sql)

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a SELECT and return its rows."""
        rows = self._run(sql)
        return [tuple(r) for r in rows] if isinstance(rows, list) else []

    def insert(self, table: EventTable, lines: Sequence[str], batch_id: int) -> None:
        """One columnar insert of the spooled rows, tagged with ``batch_id``."""
        if not lines:
            return
        # One parse of the whole batch, then columns by index (zip(*rows) is slower).
        rows: list[list[object]] = loads("[" + ",".join(lines) + "]")
        width = len(table.columns)
        if any(len(row) != width for row in rows):
            raise BackendRejected(f"spooled {table.name} rows do not have {width} values")
        data = [[row[i] for row in rows] for i in range(width)]
        data.append([batch_id] * len(rows))
        columns = ", ".join(c.name for c in table.all_columns)
        self._run(f"INSERT INTO {self.database}.{table.name} ({columns}) VALUES", data)

    def insert_blocks(self, table: EventTable, blocks: Sequence[tuple[str, int]],
                      batch_id: int) -> None:
        """One columnar insert of spooled JSONColumns blocks (each parsed once, columns
        joined, handed to the driver as lists)."""
        if not blocks:
            return
        data: list[list[object]] = [[] for _ in table.columns]
        total = 0
        for payload, rows in blocks:
            block: dict[str, list[object]] = loads(payload)
            for i, col in enumerate(table.columns):
                values = block.get(col.name, [])
                if len(values) != rows:
                    raise BackendRejected(
                        f"spooled {table.name} block does not have {rows} rows")
                if len(blocks) == 1:
                    data[i] = values
                else:
                    data[i].extend(values)
            total += rows
        data.append([batch_id] * total)
        columns = ", ".join(c.name for c in table.all_columns)
        self._run(f"INSERT INTO {self.database}.{table.name} ({columns}) VALUES", data)

    def close(self) -> None:
        """Disconnect from the server."""
        with self._lock:
            self._client.disconnect()

    def _run(self, sql: str, data: list[list[object]] | None = None) -> object:
        with self._lock:
            try:
                if data is None:
                    return self._client.execute(sql)
                return self._client.execute(sql, data, columnar=True,
                                            settings=_INSERT_SETTINGS)
            except ServerException as exc:
                raise classify(self._engine, exc, exc.code) from exc
            except (DriverError, OSError, EOFError) as exc:
                raise classify(self._engine, exc, -1) from exc
