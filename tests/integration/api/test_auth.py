"""Log in, tokens, log out and login rate limits, against the real app and database."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from control_plane.app import create_app
from control_plane.auth.permissions import MATRIX, Role
from control_plane.auth.tokens import TokenSigner
from control_plane.db.engine import make_engine
from control_plane.db.models import User as UserRow
from control_plane.runtime.settings import load_settings
from tests.integration.api.conftest import PASSWORD, SECRET, Center, CenterFactory


async def _error(resp: object, status: int, error_id: str) -> dict[str, object]:
    from aiohttp import ClientResponse
    assert isinstance(resp, ClientResponse)
    body = await resp.json()
    assert (resp.status, body["error"]["id"]) == (status, error_id), body
    assert set(body["error"]) == {"id", "message", "details"}
    details: dict[str, object] = body["error"]["details"]
    return details


async def test_login_gives_a_token_that_works(center: Center) -> None:
    resp = await center.client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "sue", "password": PASSWORD})
    assert resp.status == 200
    body = await resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 8 * 3600
    assert body["user"]["username"] == "sue" and body["user"]["role"] == "supervisor"
    assert "password_hash" not in body["user"] and PASSWORD not in await resp.text()
    me = await center.client.get("/api/v1/auth/me",
                                 headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status == 200
    mine = await me.json()
    assert mine["user"]["id"] == center.users["sue"].id
    assert set(mine["permissions"]) == MATRIX[Role.SUPERVISOR] and mine["no_pii"] is False


async def test_operator_logs_in_without_tenant_and_analyst_is_flagged(center: Center) -> None:
    root = await center.login("root")
    me = await (await center.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {root}"})).json()
    assert me["user"]["tenant"] is None and me["user"]["role"] == "super_admin"
    ana = await center.login("ana")
    me = await (await center.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {ana}"})).json()
    assert me["no_pii"] is True


async def test_every_login_failure_looks_the_same(center: Center) -> None:
    engine = make_engine(center.db_url)
    with Session(engine) as s, s.begin():
        s.execute(update(UserRow).where(UserRow.username == "al").values(active=False))
    engine.dispose()
    attempts = [
        {"tenant": "acme", "username": "sue", "password": "wrong password"},  # bad password
        {"tenant": "acme", "username": "nobody", "password": PASSWORD},  # unknown user
        {"tenant": "globex", "username": "sue", "password": PASSWORD},  # other tenant
        {"username": "sue", "password": PASSWORD},  # no tenant: operator namespace
        {"tenant": "acme", "username": "al", "password": PASSWORD},  # deactivated
    ]
    messages = set()
    for attempt in attempts:
        resp = await center.client.post("/api/v1/auth/login", json=attempt)
        await _error(resp, 401, "auth.invalid_credentials")
        messages.add((await resp.json())["error"]["message"])
    assert len(messages) == 1


async def test_missing_forged_tampered_and_expired_tokens_are_refused(center: Center) -> None:
    me = "/api/v1/auth/me"
    resp = await center.client.get(me)
    await _error(resp, 401, "auth.required")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = await center.client.get(me, headers={"Authorization": "Basic cm9vdDpyb290"})
    await _error(resp, 401, "auth.required")
    resp = await center.client.get(me, headers={"Authorization": "Bearer nonsense"})
    await _error(resp, 401, "auth.token_invalid")

    user = center.users["ann"]
    forged, _ = TokenSigner(b"another-secret-entirely-0123456789", ttl_seconds=60).issue(
        user_id=user.id, tenant="acme", role=Role.AGENT, token_version=0)
    resp = await center.client.get(me, headers={"Authorization": f"Bearer {forged}"})
    await _error(resp, 401, "auth.token_invalid")

    token = await center.login("ann")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    resp = await center.client.get(me, headers={"Authorization": f"Bearer {tampered}"})
    await _error(resp, 401, "auth.token_invalid")

    issued_long_ago = TokenSigner(SECRET.encode(), ttl_seconds=60,
                                  clock=lambda: time.time() - 61)
    expired, _ = issued_long_ago.issue(user_id=user.id, tenant="acme", role=Role.AGENT,
                                       token_version=0)
    resp = await center.client.get(me, headers={"Authorization": f"Bearer {expired}"})
    await _error(resp, 401, "auth.token_expired")


async def test_logout_revokes_every_token_of_the_user(center: Center) -> None:
    first, second = await center.login("lee"), await center.login("lee")
    auth = {"Authorization": f"Bearer {first}"}
    assert (await center.client.get("/api/v1/auth/me", headers=auth)).status == 200
    assert (await center.client.post("/api/v1/auth/logout", headers=auth)).status == 204
    for token in (first, second):
        resp = await center.client.get("/api/v1/auth/me",
                                       headers={"Authorization": f"Bearer {token}"})
        await _error(resp, 401, "auth.token_revoked")
    fresh = await center.login("lee")
    assert (await center.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {fresh}"})).status == 200


async def test_deactivating_a_user_ends_their_tokens(center: Center) -> None:
    token = await center.login("gus")
    engine = make_engine(center.db_url)
    with Session(engine) as s, s.begin():
        s.execute(update(UserRow).where(UserRow.username == "gus").values(active=False))
    engine.dispose()
    resp = await center.client.get("/api/v1/auth/me",
                                   headers={"Authorization": f"Bearer {token}"})
    await _error(resp, 401, "auth.token_revoked")


async def test_failures_for_one_user_are_limited_with_retry_after(
        center_factory: CenterFactory) -> None:
    center = await center_factory(login_failures_per_user="3")
    wrong = {"tenant": "acme", "username": "sue", "password": "wrong password"}
    for _ in range(3):
        await _error(await center.client.post("/api/v1/auth/login", json=wrong), 401,
                     "auth.invalid_credentials")
    resp = await center.client.post("/api/v1/auth/login", json={**wrong, "password": PASSWORD})
    details = await _error(resp, 429, "rate_limited")
    retry = int(resp.headers["Retry-After"])
    assert 290 <= retry <= 300 and details["retry_after_seconds"] == retry
    # Another user from the same address is not punished for sue's failures.
    assert await center.login("adam")


async def test_attempts_from_one_address_are_limited(center_factory: CenterFactory) -> None:
    center = await center_factory(login_attempts_per_ip="4", login_window_seconds="60")
    for name in ("adam", "sue", "lee", "ann"):
        await center.login(name)
    resp = await center.client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "ana", "password": PASSWORD})
    await _error(resp, 429, "rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60


async def test_unreachable_database_is_a_503_with_a_reason(aiohttp_client: Any) -> None:
    settings = load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml",
        "CC_DATABASE__URL": "sqlite:////nonexistent-dir/cc.sqlite",
        "CC_AUTH__TOKEN_SECRET": SECRET})
    client = await aiohttp_client(create_app(settings))
    resp = await client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "sue", "password": PASSWORD})
    details = await _error(resp, 503, "dependency.unavailable")
    assert details["dependency"] == "database" and "unable to open" in str(details["reason"])
    assert resp.headers["Retry-After"]
