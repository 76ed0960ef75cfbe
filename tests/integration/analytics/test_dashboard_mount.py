"""The dashboard as the control plane mounts it: /bi/ behind the API's bearer tokens.

The real composition root with an in-memory user directory and the sample in chDB: roles
without tenant-wide figures are refused, analysts get their tenant with callers masked,
the operator picks a tenant, and every refusal is in the API's one error shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher

from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import MemoryUserDirectory, NewUser
from control_plane.runtime.settings import load_settings
from tests.integration.analytics.test_dashboard_data import (
    Engine,
    sample_decisions,
    sample_engine,
)

PASSWORD = "dashboard test password"
RANGE = {"start": "2026-03-02", "end": "2026-03-30"}
CAST = [("acme", "ana", Role.ANALYST), ("acme", "sue", Role.SUPERVISOR),
        ("acme", "ann", Role.AGENT), ("acme", "lee", Role.TEAM_LEAD),
        (None, "root", Role.SUPER_ADMIN)]


@pytest.fixture(scope="module", params=["chdb"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    yield from sample_engine(request)


@pytest.fixture
async def center(aiohttp_client: Any, engine: Engine) -> Any:
    users = MemoryUserDirectory()
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    for tenant, name, role in CAST:
        await users.create(NewUser(tenant=tenant, username=name, password_hash=hashed,
                                   role=role))
    settings = load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml",
        "CC_AUTH__TOKEN_SECRET": "dashboard-mount-test-secret-0123456789"})
    return await aiohttp_client(create_app(settings, users=users, analytics=engine))


async def _token(center: Any, tenant: str | None, username: str) -> dict[str, str]:
    resp = await center.post("/api/v1/auth/login", json={
        "tenant": tenant, "username": username, "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def _get(center: Any, path: str, params: Any, headers: dict[str, str]) -> Any:
    resp = await center.get(path, params=params, headers=headers)
    return resp.status, await resp.json()


async def test_page_is_public_and_data_needs_a_token(center: Any) -> None:
    page = await center.get("/bi/")
    assert page.status == 200 and "Call center analytics" in await page.text()
    status, body = await _get(center, "/bi/api/trends", RANGE, {})
    assert (status, body["error"]["id"]) == (401, "auth.required")
    status, body = await _get(center, "/bi/api/trends", RANGE,
                              {"Authorization": "Bearer forged.token.value"})
    assert (status, body["error"]["id"]) == (401, "auth.token_invalid")


@pytest.mark.parametrize("username", ["ann", "lee"])
async def test_agents_and_team_leads_do_not_read_the_tenant(center: Any,
                                                           username: str) -> None:
    status, body = await _get(center, "/bi/api/trends", RANGE,
                              await _token(center, "acme", username))
    assert (status, body["error"]["id"]) == (403, "permission.denied")


async def test_an_analyst_reads_its_tenant_without_caller_identities(center: Any) -> None:
    ana = await _token(center, "acme", "ana")
    status, me = await _get(center, "/bi/api/me", {}, ana)
    assert (status, me["tenant"], me["no_pii"], me["operator"]) == (200, "acme", True, False)
    status, body = await _get(center, "/bi/api/trends", {**RANGE, "tenant": "globex"}, ana)
    assert (status, body["error"]["id"]) == (403, "bi.tenant_forbidden")
    decision = sample_decisions("acme")[0]
    path = f"/bi/api/decisions/{decision['event_id']}"
    _, detail = await _get(center, path, {}, ana)
    assert detail["segments"][0]["caller"] == "••••"
    _, detail = await _get(center, path, {}, await _token(center, "acme", "sue"))
    assert detail["segments"][0]["caller"].startswith("+86138")


async def test_the_operator_reads_any_tenant(center: Any) -> None:
    root = await _token(center, None, "root")
    status, me = await _get(center, "/bi/api/me", {}, root)
    assert (status, me["operator"], me["tenants"]) == (200, True, ["acme", "globex"])
    status, body = await _get(center, "/bi/api/agents",
                              {**RANGE, "tenant": "globex", "tz": "Europe/Berlin"}, root)
    assert status == 200 and {a["agent"][0] for a in body["agents"]} == {"g"}
