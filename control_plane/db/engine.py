"""Database engine creation (the only place that knows SQLite's per-connection settings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``.

    SQLite gets WAL (Kamailio reads the same file while we write), a busy timeout instead
    of immediate "database is locked" errors, and foreign keys enforced (SQLite leaves
    them off per connection unless asked, and the ON DELETE rules depend on them).
    """
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_settings(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if url not in ("sqlite://", "sqlite:///:memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine


def upgrade_schema(engine: Engine) -> None:
    """Bring the database of ``engine`` to the newest migration (creating it if empty)."""
    from control_plane.db.migrate import upgrade_engine

    upgrade_engine(engine)

