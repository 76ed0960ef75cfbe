"""Fixtures of the configuration / CRM / agent-desk API tests (no tests here).

``any_center`` is the conftest's cast (acme: adam admin, sue supervisor, lee team lead of
red, ann and al agents, ana analyst; globex: gina admin, gus agent; root operator) on a
migrated SQLite file or a real PostgreSQL database, with the real application.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from control_plane.app import create_app
from control_plane.db.engine import make_engine
from control_plane.db.migrate import upgrade
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.runtime.settings import load_settings
from tests.integration.api.conftest import SECRET, Center, _seed
from tests.support_pg import PostgresServer, postgres_server

__all__ = ["Starter", "any_center", "as_user", "bearer", "postgres_server", "start_center"]

ENGINES = ("sqlite", "postgresql")
Prepare = Callable[[web.Application], None]
Starter = Callable[..., Awaitable[Center]]


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token}"}


class Client:
    """The center's client as one user: JSON in, (status, JSON) out."""

    def __init__(self, center: Center, token: str) -> None:
        self.center, self.headers = center, bearer(token)

    async def call(self, method: str, path: str, json: Any = None,
                   **params: Any) -> tuple[int, Any]:
        """Send one request; the status and the decoded body (None when empty)."""
        resp = await self.center.client.request(method, path, json=json, headers=self.headers,
                                                params=params or None)
        text = await resp.text()
        import json as _json
        return resp.status, (_json.loads(text) if text else None)


async def as_user(center: Center, username: str) -> Client:
    """A client logged in as ``username``."""
    return Client(center, await center.login(username))


def _database(kind: str, request: pytest.FixtureRequest, tmp_path: Path,
              template: Path) -> str:
    if kind == "sqlite":
        db = tmp_path / "cc.sqlite"
        shutil.copy(template, db)
        return f"sqlite:///{db}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.url(server.create_database())
    upgrade(url)
    return url


@pytest.fixture
def start_center(aiohttp_client: Any, template_db: Path, tmp_path: Path,
                 request: pytest.FixtureRequest) -> Starter:
    """Start a center on ``kind`` ("sqlite" or "postgresql"); ``prepare`` may add
    resources to the application before it starts (the agent desk, live statistics)."""
    async def start(kind: str = "sqlite", prepare: Prepare | None = None) -> Center:
        db_url = _database(kind, request, tmp_path, template_db)
        env = {"CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml",
               "CC_DATABASE__URL": db_url, "CC_AUTH__TOKEN_SECRET": SECRET}
        engine = make_engine(db_url)
        try:
            users, teams = await _seed(SqlUserDirectory(engine), db_url)
        finally:
            engine.dispose()
        app = create_app(load_settings(environ=env))
        if prepare is not None:
            prepare(app)
        client = await aiohttp_client(app)
        return Center(client, db_url, users, teams)
    return start


@pytest.fixture(params=ENGINES)
async def any_center(request: pytest.FixtureRequest, start_center: Starter) -> Center:
    """The cast's center on SQLite, then on PostgreSQL."""
    return await start_center(request.param)
