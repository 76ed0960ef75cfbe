"""Fixtures of the desk call-control tests: the call-path stack with a center whose agents
carry their database ids, and the real application served on a TCP port from the test's
loop with the running call controller (and its ACD) behind the desk and the API.

Import the fixtures into a test module (``from tests.e2e.desk_stack import ...``); the
module's ``call_stack`` then replaces the one of conftest.py for that module.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.api.calls_routes import CALLS
from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.models import Agent, Team, Tenant
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.events import BUS
from control_plane.runtime.settings import load_settings
from tests.e2e.conftest import CallStack, RunningController, started_call_stack

CENTER = Path(__file__).parent / "desk_center.toml"
PASSWORD = "desk controls password"
SECRET = "desk-controls-test-token-secret-0123456789"


@pytest.fixture(scope="module")
def call_stack() -> Iterator[CallStack]:
    """As conftest.py's, with the desk center (agents 1 = alice-e2e, 2 = dave-e2e)."""
    with started_call_stack(CENTER, prefix="cc-desk-") as stack:
        yield stack


@dataclass
class DeskApi:
    """The served application and the users' tokens (alice, dave: agents; sue: supervisor;
    tim: team lead of another team)."""

    url: str
    app: web.Application
    http: aiohttp.ClientSession
    tokens: dict[str, str] = field(default_factory=dict)

    async def post(self, user: str, path: str, json: Any = None) -> tuple[int, Any]:
        """POST as ``user``; the status and the JSON body."""
        async with self.http.post(self.url + path, json=json, headers={
                "Authorization": f"Bearer {self.tokens[user]}"}) as resp:
            return resp.status, await resp.json()

    async def control(self, user: str, call_id: str, action: str,
                      json: Any = None) -> tuple[int, Any]:
        """An agent desk control on ``call_id``."""
        return await self.post(user, f"/api/v1/agent/calls/{call_id}/{action}", json)


async def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    with Session(engine) as s, s.begin():
        s.add(Tenant(id="acme", name="Acme"))
        s.flush()
        red, blue = Team(tenant="acme", name="red"), Team(tenant="acme", name="blue")
        s.add_all([red, blue])
        s.flush()
        agents = [Agent(tenant="acme", name=n, team_id=red.id) for n in ("Alice", "Dave")]
        s.add_all(agents)
        s.flush()
        # The center file names the agents 1 and 2: the database must agree.
        assert [a.id for a in agents] == [1, 2]
        teams = {"red": red.id, "blue": blue.id}
    engine.dispose()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(db_url))
    for name, role, agent, team in (
            ("alice", Role.AGENT, 1, "red"), ("dave", Role.AGENT, 2, "red"),
            ("sue", Role.SUPERVISOR, None, None), ("tim", Role.TEAM_LEAD, None, "blue")):
        await directory.create(NewUser(
            tenant="acme", username=name, password_hash=hashed, role=role,
            agent_id=agent, team_id=teams[team] if team else None))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def desk_api(controller: RunningController, tmp_path: Path) -> AsyncIterator[DeskApi]:
    """The application with ``controller`` as its call controller and desk ACD."""
    db_url = f"sqlite:///{tmp_path / 'desk.sqlite'}"
    await _seed(db_url)
    service = controller.service
    app = create_app(load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": db_url,
        "CC_AUTH__TOKEN_SECRET": SECRET}))
    assert service.bus is not None
    app[BUS] = service.bus  # the desk's live socket hears the controller's events

    async def wire(app: web.Application) -> None:
        # After the app's own start-up, which found no topology and so no controller.
        app[CALLS] = service
        driver = service.driver
        assert driver is not None
        ledger = AgentLedger(driver.engine, clock=asyncio.get_running_loop().time)
        driver.observers.append(ledger.observe)
        attach_engine(app, driver, ledger, on_disposition=lambda _d: None)
    app.on_startup.append(wire)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            api = DeskApi(url, app, http)
            for user in ("alice", "dave", "sue", "tim"):
                async with http.post(url + "/api/v1/auth/login", json={
                        "tenant": "acme", "username": user, "password": PASSWORD}) as resp:
                    assert resp.status == 200, await resp.text()
                    api.tokens[user] = (await resp.json())["token"]
            yield api
    finally:
        await runner.cleanup()
