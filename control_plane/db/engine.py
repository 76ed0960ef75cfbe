"""Database engine creation (the only place that knows SQLite needs WAL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from control_plane.db.models import Base


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL so Kamailio can read while we write."""
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

    return engine


def ensure_schema(engine: Engine) -> None:
    """Create missing tables (migrations take over once the schema evolves)."""
    Base.metadata.create_all(engine)
