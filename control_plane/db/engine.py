"""Database engine creation (the only place that knows SQLite's per-connection settings)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other engines and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _watch_file(engine: Engine, path: Path, *, must_exist: bool) -> None:
    """Connections to ``path`` fail while it is missing, and leave the pool once the file
    at the path is another one."""
    def inode() -> int | None:
        try:
            return path.stat().st_ino
        except FileNotFoundError:
            return None

    @event.listens_for(engine, "do_connect")
    def _still_there(*_: Any) -> None:
        if must_exist and inode() is None:
            # A DB-API error: SQLAlchemy wraps it as OperationalError (-> Unavailable).
            raise sqlite3.OperationalError(f"database file {path} is missing")

    @event.listens_for(engine, "connect")
    def _opened(_conn: Any, record: Any) -> None:
        record.info["inode"] = inode()

    @event.listens_for(engine, "checkout")
    def _same_file(_conn: Any, record: Any, _proxy: Any) -> None:
        if inode() != record.info.get("inode"):
            # The pool drops this connection and opens another (which fails while the file
            # is missing: "unavailable").
            raise DisconnectionError(f"database file {path} was removed or replaced")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``.

    SQLite gets WAL (Kamailio reads the same file while we write), a busy timeout instead
    of immediate "database is locked" errors, and foreign keys enforced (SQLite leaves
    them off per connection unless asked, and the ON DELETE rules depend on them).

    Going away and coming back: a SQLite file that existed when the engine was made must
    still exist when a connection opens (SQLite would otherwise create an empty database
    there and every query would fail on missing tables), and a pooled connection is only
    handed out while its file is still the one at the path (one stat per checkout): a file
    removed or replaced under the pool is not served from the old inode. PostgreSQL
    connections are checked before use, so the first request after a server restart gets
    a fresh connection instead of a dead one.
    """
    path = _sqlite_file(url)
    if path is None and not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite" and path is not None:
        _watch_file(engine, path, must_exist=path.exists())
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
