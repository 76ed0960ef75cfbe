"""A real RTPengine (the media tests' fixture) and a migrated database with a small cast.

acme: queue "sales" served by agent Ann (team red) and agent Al (team blue); queue "empty"
served by nobody. globex: queue "support".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from control_plane.db.engine import make_engine
from control_plane.db.migrate import upgrade
from control_plane.db.models import Agent, Queue, QueueMember, Team, Tenant
from control_plane.db.repos.recordings_repo import SqlRecordings
from tests.integration.media.conftest import ng, rtpengine  # noqa: F401  (fixtures)
from tests.support_pg import PostgresServer, postgres_server  # noqa: F401  (fixture)


@dataclass
class Cast:
    """The store over the seeded database and the ids of what was seeded."""

    store: SqlRecordings
    url: str
    ids: dict[str, int]


def seed(url: str) -> dict[str, int]:
    """Tenants, teams, agents, queues and memberships; their ids by name."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        s.add_all([Tenant(id="acme", name="Acme"), Tenant(id="globex", name="Globex")])
        s.flush()
        red, blue = Team(tenant="acme", name="red"), Team(tenant="acme", name="blue")
        s.add_all([red, blue])
        s.flush()
        ann = Agent(tenant="acme", name="Ann", team_id=red.id)
        al = Agent(tenant="acme", name="Al", team_id=blue.id)
        gus = Agent(tenant="globex", name="Gus")
        sales, empty = Queue(tenant="acme", name="sales"), Queue(tenant="acme", name="empty")
        support = Queue(tenant="globex", name="support")
        s.add_all([ann, al, gus, sales, empty, support])
        s.flush()
        s.add_all([QueueMember(tenant="acme", queue_id=sales.id, agent_id=ann.id),
                   QueueMember(tenant="acme", queue_id=sales.id, agent_id=al.id),
                   QueueMember(tenant="globex", queue_id=support.id, agent_id=gus.id)])
        ids = {"red": red.id, "blue": blue.id, "ann": ann.id, "al": al.id, "gus": gus.id,
               "sales": sales.id, "empty": empty.id, "support": support.id}
    engine.dispose()
    return ids


@pytest.fixture(params=("sqlite", "postgresql"))
def cast(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cast]:
    """The seeded store on SQLite and on a real PostgreSQL."""
    server: PostgresServer | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cc.sqlite'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.create_database()
        url = server.url(name)
    upgrade(url)
    ids = seed(url)
    engine = make_engine(url)
    yield Cast(SqlRecordings(engine), url, ids)
    engine.dispose()
    if server is not None:
        server.drop_database(name)


@pytest.fixture
def sqlite_cast(tmp_path: Path) -> Iterator[Cast]:
    """The seeded store on SQLite only (tests about media, not about the database)."""
    url = f"sqlite:///{tmp_path / 'cc.sqlite'}"
    upgrade(url)
    ids = seed(url)
    engine = make_engine(url)
    yield Cast(SqlRecordings(engine), url, ids)
    engine.dispose()
