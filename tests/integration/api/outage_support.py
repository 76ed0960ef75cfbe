"""The configuration database going away and coming back, for real, under the real app.

SQLite: the directory holding the file (and its WAL) is moved away and back, as a volume
that disappears would. PostgreSQL: a server of the module's own is stopped (``pg_ctl stop
-m fast``: every client disconnected) and started again on the same port.

The app is the real application on that database with a real ACD engine behind the agent
desk (as the call controller attaches its own); the cast: acme's admin adam and agent
ann, the operator root; tenants acme and globex.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from control_plane.acd.engine import Engine
from control_plane.acd.events import TenantUpserted
from control_plane.acd.model import TenantConfig
from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.api.ws_protocol import WsConfig
from control_plane.api.ws_routes import WS_CONFIG
from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.calls.acd_driver import AcdDriver
from control_plane.db.engine import make_engine
from control_plane.db.migrate import upgrade
from control_plane.db.models import Agent, Tenant
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.runtime.settings import load_settings
from tests.support_pg import PostgresServer, start_postgres

PASSWORD = "outage test password"
SECRET = "outage-test-token-secret-0123456789abcdef"


class Outage(Protocol):
    """A database that can be taken away and given back."""

    kind: str

    def down(self) -> None:
        """The database is gone."""

    def up(self) -> None:
        """The database is back, with everything it had committed."""


@dataclass
class SqliteOutage:
    """A SQLite file whose directory disappears and comes back."""

    directory: Path
    kind: str = "sqlite"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.directory / 'cc.sqlite'}"

    def down(self) -> None:
        self.directory.rename(self.directory.with_name("away"))

    def up(self) -> None:
        self.directory.with_name("away").rename(self.directory)


@dataclass
class PostgresOutage:
    """A PostgreSQL server of the test's own, stopped and started on the same port."""

    server: PostgresServer
    database: str
    kind: str = "postgresql"

    @property
    def url(self) -> str:
        return self.server.url(self.database)

    def _pg_ctl(self, *args: str) -> None:
        argv = [str(self.server.bin_dir / "pg_ctl"), "-D", str(self.server.data_dir), *args]
        if os.geteuid() == 0:  # postgres refuses to run as root
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=90, check=False)
        assert done.returncode == 0, done.stderr or done.stdout

    def down(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", "30", "stop")

    def up(self) -> None:
        root = self.server.root
        self._pg_ctl("-l", str(root / "log"), "-o",
                     f"-h 127.0.0.1 -p {self.server.port} -k {root} -c fsync=off",
                     "-w", "-t", "60", "start")


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A server only this module stops and starts (the session's is shared)."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=("sqlite", "postgresql"))
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    if request.param == "sqlite":
        directory = tmp_path / "db"
        directory.mkdir()
        sqlite = SqliteOutage(directory)
        upgrade(sqlite.url)
        yield sqlite
        return
    server: PostgresServer = request.getfixturevalue("own_postgres")
    pg = PostgresOutage(server, server.create_database("outage"))
    upgrade(pg.url)
    yield pg
    if not (server.data_dir / "postmaster.pid").exists():
        pg.up()  # a failed test left it stopped: the next one needs it
    server.drop_database(pg.database)


@dataclass
class OutageCenter:
    """The started app on the database of ``outage``."""

    client: TestClient[Any, Any]
    outage: Outage
    tokens: dict[str, str]
    driver: AcdDriver

    async def call(self, user: str, method: str, path: str,
                   json: Any = None) -> tuple[int, Any, dict[str, str]]:
        resp = await self.client.request(method, path, json=json, headers={
            "Authorization": f"Bearer {self.tokens[user]}"})
        text = await resp.text()
        import json as _json
        return resp.status, (_json.loads(text) if text else None), dict(resp.headers)


async def _cast(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        s.add_all([Tenant(id="acme", name="Acme"), Tenant(id="globex", name="Globex")])
        s.flush()
        ann = Agent(tenant="acme", name="Ann")
        s.add(ann)
        s.flush()
        ann_id = ann.id
    engine.dispose()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(url))
    for tenant, name, role, agent in (("acme", "adam", Role.ADMIN, None),
                                      ("acme", "ann", Role.AGENT, ann_id),
                                      (None, "root", Role.SUPER_ADMIN, None)):
        await directory.create(NewUser(tenant=tenant, username=name, password_hash=hashed,
                                       role=role, agent_id=agent))


@pytest.fixture
async def outage_center(outage: Outage, aiohttp_client: Any) -> AsyncIterator[OutageCenter]:
    url = outage.url  # type: ignore[attr-defined]
    await _cast(url)
    driver = AcdDriver(Engine(), on_command=lambda _c: None)
    driver.apply(TenantUpserted(TenantConfig("acme", skills=frozenset())))
    ledger = AgentLedger(driver.engine, driver.now)
    driver.observers.append(ledger.observe)
    app = create_app(load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": url,
        "CC_AUTH__TOKEN_SECRET": SECRET}))
    attach_engine(app, driver, ledger, on_disposition=lambda _d: None)
    app[WS_CONFIG] = WsConfig(pump_tick=0.2, heartbeat_seconds=0.5)
    client = await aiohttp_client(app)
    tokens = {}
    for tenant, user in (("acme", "adam"), ("acme", "ann"), (None, "root")):
        resp = await client.post("/api/v1/auth/login", json={
            "tenant": tenant, "username": user, "password": PASSWORD})
        assert resp.status == 200, await resp.text()
        tokens[user] = (await resp.json())["token"]
    yield OutageCenter(client, outage, tokens, driver)
