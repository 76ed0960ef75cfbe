"""A query engine opened on first use.

A chDB data path belongs to one process. The control plane owns it, but a replica (or a
test) that never serves the dashboard should not take it: the engine is opened, and the
schema made current, by the first dashboard query, in the worker thread that runs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class ClosableEngine(Protocol):
    """What the dashboard queries through (both analytics backends qualify)."""

    database: str

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a SELECT and return its rows."""

    def close(self) -> None:
        """Release the engine."""


class OnDemandEngine:
    """A KPI engine that calls ``opener`` on the first query; a failed open is retried
    on the next query (the error reaches the reader as ``bi.engine_unavailable``)."""

    def __init__(self, opener: Callable[[], ClosableEngine], database: str) -> None:
        self.database = database
        self._opener = opener
        self._engine: ClosableEngine | None = None
        self._lock = threading.Lock()

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Open the engine if needed, then run ``sql`` on it."""
        with self._lock:
            if self._engine is None:
                self._engine = self._opener()
            engine = self._engine
        return engine.query(sql)

    def close(self) -> None:
        """Close the engine if it was ever opened."""
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
