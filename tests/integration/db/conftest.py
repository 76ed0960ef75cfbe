"""Every test here runs on SQLite and on a real PostgreSQL (started once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from control_plane.db.engine import make_engine
from control_plane.db.migrate import upgrade
from tests.support_pg import PostgresServer, postgres_server  # noqa: F401  (fixture)

ENGINES = ("sqlite", "postgresql")


@pytest.fixture(params=ENGINES)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a new, empty database on each engine (a PostgreSQL one is dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cc.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


@pytest.fixture
def db_url(empty_url: str) -> str:
    """URL of a new database migrated to the newest revision."""
    upgrade(empty_url)
    return empty_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the migrated database, disposed after the test."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose objects stay readable after commit (tests read ids back)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
