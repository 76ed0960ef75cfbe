"""Run the packaged Alembic migrations programmatically: upgrade, downgrade, current.

Alembic is configured in code (script location inside the package, the connection handed
to env.py), so migrations run the same from the CLI, the stack and the tests, whatever the
working directory.

Databases made before migrations existed hold only ``sip_credentials`` (created by
``create_all``); they are adopted by stamping the first revision, which created exactly
that table, before upgrading.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from control_plane.db.engine import make_engine
from control_plane.db.errors import MigrationFailed

SCRIPT_LOCATION = "control_plane.db:migrations"
FIRST_REVISION = "0001_sip_credentials"
_LEGACY_TABLES = {"sip_credentials"}


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations inside the package (no ini file)."""
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def head_revision() -> str:
    """The newest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise MigrationFailed("no migration revisions found in the package")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest)."""
    engine = make_engine(url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` ("base": drop everything)."""
    engine = make_engine(url)
    try:
        with _migrating(engine) as (_conn, cfg):
            command.downgrade(cfg, revision)
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database at ``url`` is at; None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise MigrationFailed(f"cannot read the schema revision: {exc}") from exc
    finally:
        engine.dispose()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Migrate the database of ``engine`` up to ``revision``, adopting legacy databases."""
    with _migrating(engine) as (conn, cfg):
        _adopt_legacy(conn, cfg)
        command.upgrade(cfg, revision)


def _adopt_legacy(conn: Connection, cfg: Config) -> None:
    """Stamp a pre-migration database (only ``sip_credentials``) at the first revision."""
    if MigrationContext.configure(conn).get_current_revision() is not None:
        return
    # A database downgraded to base keeps an empty alembic_version table.
    tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
    if not tables:
        return
    if tables <= _LEGACY_TABLES:
        command.stamp(cfg, FIRST_REVISION)
        return
    raise MigrationFailed(
        "the database has tables but no migration revision "
        f"({', '.join(sorted(tables))}); refusing to guess its schema"
    )


@contextmanager
def _migrating(engine: Engine) -> Iterator[tuple[Connection, Config]]:
    """A connection and config for Alembic commands, committed when the block succeeds.

    On SQLite, foreign keys are switched off while tables are rebuilt (batch migrations
    copy and rename tables, which would otherwise cascade or fail) and the whole database
    is checked with ``foreign_key_check`` before they are switched back on.
    """
    cfg = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                cfg.attributes["connection"] = conn
                with conn.begin():
                    yield conn, cfg
                if sqlite:
                    _check_foreign_keys(conn)
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    except (SQLAlchemyError, CommandError) as exc:
        raise MigrationFailed(f"migration failed: {exc}") from exc


def _check_foreign_keys(conn: Connection) -> None:
    """Raise when a SQLite migration left rows pointing at nothing."""
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    conn.rollback()
    if broken:
        raise MigrationFailed(f"foreign keys broken after migration: {broken[:5]}")
