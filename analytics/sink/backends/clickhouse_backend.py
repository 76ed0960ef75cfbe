"""ClickHouse server adapter over clickhouse-driver (native protocol), and HTTP for blocks.

clickhouse-driver speaks to Debian's 18.16 server as well as to current ones, which
clickhouse-connect does not. Inserts go columnar: instants stay epoch integers, which the
driver passes through without time-zone conversion. Given the server's ``http_port``,
column blocks are sent instead as one Native-format body over HTTP, encoded per column
(``native.py``): the driver's per-value conversion cost the sink's process more than the
server's insert. Blocks the encoder does not take (array columns) still use the driver.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Sequence

from clickhouse_driver import Client
from clickhouse_driver.errors import Error as DriverError
from clickhouse_driver.errors import ServerException

from analytics.schema.ddl import check_identifier
from analytics.schema.dialect import CLICKHOUSE_18, Dialect
from analytics.schema.model import EventTable
from analytics.sink.backend import BackendRejected, classify
from analytics.sink.backends import native
from analytics.sink.codec import loads

_INSERT_SETTINGS = {"parallel_view_processing": 1}
"""The rollups' views of an insert run side by side (18.16 has the setting too)."""


class ClickHouseBackend:
    """AnalyticsBackend over one ClickHouse server."""

    def __init__(self, host: str, port: int = 9000, *, database: str = "callcenter",
                 user: str = "default", password: str = "", dialect: Dialect = CLICKHOUSE_18,
                 connect_timeout: float = 3.0, send_receive_timeout: float = 60.0,
                 http_port: int | None = None) -> None:
        self.database = check_identifier(database)
        self._http = (host, http_port, user, password, send_receive_timeout) \
            if http_port else None
        self._http_conn: http.client.HTTPConnection | None = None
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
        columns = ", ".join(c.name for c in table.all_columns)
        if self._http is not None:
            body = native.encode(table, self.dialect, dict(zip(
                [c.name for c in table.columns], data, strict=True)), total, batch_id)
            if body is not None:
                self._post(f"INSERT INTO {self.database}.{table.name} ({columns}) FORMAT Native",
                           body)
                return
        data.append([batch_id] * total)
        self._run(f"INSERT INTO {self.database}.{table.name} ({columns}) VALUES", data)

    def _post(self, sql: str, body: bytes) -> None:
        """One statement with its data over HTTP (a kept-alive connection)."""
        assert self._http is not None
        host, port, user, password, timeout = self._http
        params = urllib.parse.urlencode({"query": sql, "user": user, "password": password,
                                         **_INSERT_SETTINGS})
        with self._lock:
            try:
                if self._http_conn is None:
                    self._http_conn = http.client.HTTPConnection(host, port, timeout=timeout)
                self._http_conn.request("POST", f"/?{params}", body=body)
                response = self._http_conn.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException) as exc:
                if self._http_conn is not None:
                    self._http_conn.close()
                self._http_conn = None
                raise classify(self._engine, exc, -1) from exc
        if response.status != 200:
            # The body is the server's "Code: N, e.displayText() = ..." message.
            raise classify(self._engine, RuntimeError(text.decode(errors="replace")))

    def close(self) -> None:
        """Disconnect from the server."""
        with self._lock:
            self._client.disconnect()
            if self._http_conn is not None:
                self._http_conn.close()
                self._http_conn = None

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
