"""The real application with its real call controller (started by the app's own cleanup
context from a topology and a center file) and a real RTPengine, on a migrated SQLite
database: what the live-configuration tests drive through the API.

chDB allows one data path per process, so the app's call records go to the session's
chDB backend (a database of the test's own), not to a second path.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher

from analytics.schema import migrate
from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.app import CHDB, ChdbOwner, create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.calls.service import CallControllerService
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.ivr.prompts import build_prompts
from control_plane.runtime.settings import Settings, load_settings
from control_plane.runtime.stack import rtpengine_spec
from control_plane.runtime.supervisor import Supervisor
from control_plane.topology.addresses import free_prefix
from control_plane.topology.model import Topology
from tests.support import relocated_demo

PASSWORD = "live config password"
SECRET = "live-config-test-token-secret-0123456789"
_databases = itertools.count(1)

CENTER = """
domain = "cc.local"

[[tenant]]
id = "acme"
language = "en"
skills = ["sales", "tech"]

[[tenant.queue]]
id = "support"
skills = [{ skill = "tech", min = 1 }]
strategy = "top-down"
ring_timeout_s = 30

[[tenant.queue]]
id = "sales"
skills = [{ skill = "sales", min = 1 }]
strategy = "longest-idle"
ring_timeout_s = 30

[[agent]]
tenant = "acme"
id = "bob"
seat = "bob-live"
order = 1
skills = { tech = 5 }

[[agent]]
tenant = "acme"
id = "alice"
seat = "alice-live"
order = 2
skills = { tech = 3 }

[[agent]]
tenant = "acme"
id = "dave"
seat = "dave-live"
order = 3
skills = { sales = 2 }

[[route]]
number = "4008000003"
tenant = "acme"
queue = "support"
"""


@dataclass(frozen=True)
class MediaStack:
    """RTPengine on a loopback range of its own, the topology file naming it, prompts."""

    topo: Topology
    run_dir: Path


@pytest.fixture(scope="module")
def media_stack() -> Iterator[MediaStack]:
    topo = relocated_demo(free_prefix())
    run_dir = Path(tempfile.mkdtemp(prefix="cc-live-", dir="/tmp"))
    (run_dir / "topology.toml").write_text(topo.to_toml())
    (run_dir / "center.toml").write_text(CENTER)
    build_prompts(run_dir / "prompts")
    supervisor = Supervisor(ready_timeout=15, stop_grace=2)
    try:
        with supervisor.running([rtpengine_spec(topo, run_dir / "rtp")]):
            yield MediaStack(topo, run_dir)
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


class SharedChdb(ChdbOwner):
    """The session's chDB backend, migrated into a database of this app's own."""

    def __init__(self, settings: Settings, backend: ChdbBackend) -> None:
        super().__init__(settings)
        self.shared = backend

    def backend(self) -> ChdbBackend:
        """The shared backend (its database already migrated)."""
        return self.shared


@dataclass
class LiveCenter:
    """The started app, its client, its controller and an admin's token."""

    client: TestClient[Any, Any]
    app: web.Application
    token: str
    topo: Topology
    db_dir: Path

    @property
    def service(self) -> CallControllerService:
        from control_plane.api.calls_routes import CALLS

        service = self.app[CALLS]
        assert service is not None
        return service

    async def api(self, method: str, path: str, json: Any = None, *,
                  status: int | None = None) -> Any:
        resp = await self.client.request(method, path, json=json, headers={
            "Authorization": f"Bearer {self.token}"})
        body = await resp.json() if resp.status != 204 else None
        if status is None:
            assert resp.status < 300, (method, path, resp.status, body)
        else:
            assert resp.status == status, (method, path, resp.status, body)
        return body


@pytest.fixture
async def live_center(media_stack: MediaStack, aiohttp_client: Any, tmp_path: Path,
                      chdb_session_backend: ChdbBackend) -> AsyncIterator[LiveCenter]:
    (tmp_path / "db").mkdir()  # a directory of its own: outage tests move it away
    db_url = f"sqlite:///{tmp_path / 'db' / 'live.sqlite'}"
    engine = make_engine(db_url)
    upgrade_schema(engine)
    engine.dispose()
    settings = load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": str(media_stack.run_dir / "topology.toml"),
        "CC_RUNTIME__RUN_DIR": str(tmp_path / "run"),
        "CC_DATABASE__URL": db_url, "CC_AUTH__TOKEN_SECRET": SECRET,
        "CC_CALLS__CENTER": str(media_stack.run_dir / "center.toml"),
        "CC_CALLS__PROMPTS_DIR": str(media_stack.run_dir / "prompts"),
        "CC_CALLS__RECORD_CALLS": "false"})
    backend = chdb_session_backend
    backend.database = f"live{next(_databases)}"
    migrate(backend, backend.database, backend.dialect)
    app = create_app(settings)
    app[CHDB] = SharedChdb(settings, backend)
    client = await aiohttp_client(app)
    # The tenant exists now (the controller's start-up seeded it): its admin.
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    directory = SqlUserDirectory(make_engine(db_url))
    await directory.create(NewUser(tenant="acme", username="adam", password_hash=hashed,
                                   role=Role.ADMIN))
    resp = await client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "adam", "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    token = (await resp.json())["token"]
    yield LiveCenter(client, app, token, media_stack.topo, tmp_path / "db")
