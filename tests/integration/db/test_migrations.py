"""Migrations up, down and up again, and the migrated schema equals the models."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, inspect

from control_plane.db.credentials import SeatAccount, set_seat_password
from control_plane.db.engine import make_engine
from control_plane.db.errors import MigrationFailed
from control_plane.db.migrate import FIRST_REVISION, current, downgrade, head_revision, upgrade
from control_plane.db.models import Base

MODEL_TABLES = set(Base.metadata.tables)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(ctx, Base.metadata))
    finally:
        engine.dispose()


def test_up_down_up(empty_url: str) -> None:
    assert current(empty_url) is None
    upgrade(empty_url)
    assert current(empty_url) == head_revision()
    assert _tables(empty_url) == MODEL_TABLES
    downgrade(empty_url, "base")
    assert current(empty_url) is None
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert current(empty_url) == head_revision()
    assert _tables(empty_url) == MODEL_TABLES


def test_migrated_schema_equals_the_models(db_url: str) -> None:
    """Autogenerate finds nothing to change: the migrations build exactly the models."""
    assert _diff(db_url) == []


def test_migrated_check_constraints_equal_the_models(db_url: str) -> None:
    """Autogenerate ignores CHECK constraints, so compare their names table by table."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for name, table in Base.metadata.tables.items():
                wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
                found = {c["name"] for c in inspector.get_check_constraints(name)}
                assert found == wanted, name
    finally:
        engine.dispose()


def test_downgrade_to_first_revision_keeps_credentials(db_url: str) -> None:
    engine = make_engine(db_url)
    set_seat_password(engine, SeatAccount("acme", "1001", "sip.example", "pw"))
    engine.dispose()
    downgrade(db_url, FIRST_REVISION)
    assert _tables(db_url) == {"sip_credentials"}
    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT tenant, username FROM sip_credentials").all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("acme", "1001")]


def test_pre_migration_database_is_adopted(tmp_path: Path) -> None:
    """A credentials file made by create_all before migrations existed upgrades in place."""
    path = tmp_path / "legacy.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(
            """CREATE TABLE sip_credentials (id INTEGER NOT NULL, tenant VARCHAR(64) NOT NULL,
            username VARCHAR(64) NOT NULL, domain VARCHAR(128) NOT NULL,
            ha1 VARCHAR(64) NOT NULL, ha1b VARCHAR(64) NOT NULL, PRIMARY KEY (id),
            CONSTRAINT uq_sip_credentials_user UNIQUE (username, domain));
            CREATE INDEX ix_sip_credentials_tenant ON sip_credentials (tenant);
            INSERT INTO sip_credentials VALUES (1, 'acme', '1001', 'd', 'h1', 'h2');"""
        )
    db.close()
    url = f"sqlite:///{path}"
    upgrade(url)
    assert current(url) == head_revision()
    assert _diff(url) == []
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT username, ha1 FROM sip_credentials").fetchall() == [
            ("1001", "h1")
        ]
    db.close()


def test_unknown_unversioned_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE something_else (id INTEGER)")
    db.close()
    with pytest.raises(MigrationFailed, match="something_else"):
        upgrade(f"sqlite:///{path}")


def test_unknown_revision_is_a_migration_error(db_url: str) -> None:
    with pytest.raises(MigrationFailed) as err:
        downgrade(db_url, "no_such_revision")
    assert err.value.error_id == "db.migration_failed"
    assert current(db_url) == head_revision()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "control_plane.db", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd="/",
    )


def test_cli_from_any_directory(empty_url: str) -> None:
    """The CLI needs no alembic.ini: it runs from / (cwd) on either engine."""
    up = _cli("upgrade", "--url", empty_url)
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip() == head_revision()
    assert _cli("current", "--url", empty_url).stdout.strip() == head_revision()
    down = _cli("downgrade", FIRST_REVISION, "--url", empty_url)
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == FIRST_REVISION
    bad = _cli("downgrade", "nope", "--url", empty_url)
    assert bad.returncode == 1
    assert "db.migration_failed" in bad.stderr
    assert _cli("current").returncode == 2  # --url is required
