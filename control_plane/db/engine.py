"""Database engine creation (the only place that knows SQLite's per-connection settings)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``.

    SQLite gets WAL (Kamailio reads the same file while we write), a busy timeout instead
    of immediate "database is locked" errors, and foreign keys enforced (SQLite leaves
    them off per connection unless asked, and the ON DELETE rules depend on them).

    Going away and coming back: a SQLite file is opened per unit of work (no pool: a
    pooled connection would keep serving a file that was removed or replaced under it),
    and a file that existed when the engine was made must still exist when a connection
    opens (SQLite would otherwise create an empty database there and every query would
    fail on missing tables). PostgreSQL connections are checked before use, so the first
    request after a server restart gets a fresh connection instead of a dead one.
    """
    path = _sqlite_file(url)
    if path is not None:
        kwargs.setdefault("poolclass", NullPool)
    elif not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        must_exist = path is not None and path.exists()

        @event.listens_for(engine, "do_connect")
        def _still_there(*_: Any) -> None:
            if must_exist and path is not None and not path.exists():
                # A DB-API error: SQLAlchemy wraps it as OperationalError (-> Unavailable).
                raise sqlite3.OperationalError(f"database file {path} is missing")

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
