"""Roles, tenants and object-level scope on real routes; bad requests get their error ids."""

from __future__ import annotations

import structlog
from aiohttp import ClientResponse

from tests.integration.api.conftest import PASSWORD, Center


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _error(resp: ClientResponse, status: int, error_id: str) -> dict[str, object]:
    body = await resp.json()
    assert (resp.status, body["error"]["id"]) == (status, error_id), body
    details: dict[str, object] = body["error"]["details"]
    return details


async def test_wrong_role_gets_403_naming_the_permission(center: Center) -> None:
    agent = _bearer(await center.login("ann"))
    details = await _error(await center.client.get("/api/v1/users", headers=agent), 403,
                           "permission.denied")
    assert details == {"permission": "users.read", "role": "agent"}
    analyst = _bearer(await center.login("ana"))
    await _error(await center.client.post("/api/v1/users", headers=analyst, json={}), 403,
                 "permission.denied")
    # Tenant admins do not see the registrar's seats of every tenant; the operator does.
    admin = _bearer(await center.login("adam"))
    await _error(await center.client.get("/api/v1/seats", headers=admin), 403,
                 "permission.denied")
    root = _bearer(await center.login("root"))
    seats = await center.client.get("/api/v1/seats", headers=root)
    assert seats.status == 200 and await seats.json() == {"count": 0, "seats": []}


async def test_public_routes_need_no_token(center: Center) -> None:
    for path in ("/healthz", "/metrics", "/openapi.json", "/docs"):
        assert (await center.client.get(path)).status == 200, path
    await _error(await center.client.get("/api/v1/seats"), 401, "auth.required")


async def test_other_tenants_objects_do_not_exist_for_tenant_users(center: Center) -> None:
    acme_admin = _bearer(await center.login("adam"))
    gina = center.users["gina"]
    await _error(await center.client.get(f"/api/v1/users/{gina.id}", headers=acme_admin),
                 404, "resource.not_found")
    listed = await (await center.client.get("/api/v1/users?limit=200",
                                            headers=acme_admin)).json()
    assert {u["tenant"] for u in listed["items"]} == {"acme"}
    assert len(listed["items"]) == 6
    details = await _error(await center.client.get("/api/v1/users?tenant=globex",
                                                   headers=acme_admin), 403,
                           "permission.denied")
    assert details["field"] == "tenant"
    details = await _error(await center.client.post("/api/v1/users", headers=acme_admin, json={
        "tenant": "globex", "username": "mole", "password": PASSWORD, "role": "agent"}),
        403, "permission.denied")
    assert details["field"] == "tenant"
    # The operator reaches every tenant.
    root = _bearer(await center.login("root"))
    resp = await center.client.get(f"/api/v1/users/{gina.id}", headers=root)
    assert resp.status == 200 and (await resp.json())["tenant"] == "globex"
    page = await (await center.client.get("/api/v1/users?tenant=globex", headers=root)).json()
    assert {u["username"] for u in page["items"]} == {"gina", "gus"}


async def test_team_lead_sees_only_their_team(center: Center) -> None:
    lead = _bearer(await center.login("lee"))
    ann, al = center.users["ann"], center.users["al"]
    assert (await center.client.get(f"/api/v1/users/{ann.id}", headers=lead)).status == 200
    details = await _error(await center.client.get(f"/api/v1/users/{al.id}", headers=lead),
                           403, "permission.denied")
    assert details == {"reason": "own_team_only"}
    page = await (await center.client.get("/api/v1/users", headers=lead)).json()
    assert {u["username"] for u in page["items"]} == {"lee", "ann"}


async def test_admin_creates_users_in_own_tenant_only(center: Center) -> None:
    admin = _bearer(await center.login("adam"))
    new = {"username": "nina", "password": PASSWORD, "role": "agent",
           "team_id": center.teams["blue"]}
    resp = await center.client.post("/api/v1/users", headers=admin, json=new)
    assert resp.status == 201
    created = await resp.json()
    assert (created["tenant"], created["role"], created["team_id"]) == (
        "acme", "agent", center.teams["blue"])
    await _error(await center.client.post("/api/v1/users", headers=admin, json=new), 409,
                 "resource.conflict")
    details = await _error(await center.client.post("/api/v1/users", headers=admin, json={
        **new, "username": "boss", "role": "super_admin"}), 403, "permission.denied")
    assert details["field"] == "role"
    details = await _error(await center.client.post("/api/v1/users", headers=admin, json={
        **new, "username": "ghost", "team_id": 9999}), 400, "request.invalid_body")
    assert details["field"] == "team_id"
    nina = await center.client.post("/api/v1/auth/login", json={
        "tenant": "acme", "username": "nina", "password": PASSWORD})
    assert nina.status == 200


async def test_operator_creates_another_operator(center: Center) -> None:
    root = _bearer(await center.login("root"))
    resp = await center.client.post("/api/v1/users", headers=root, json={
        "username": "root2", "password": PASSWORD, "role": "super_admin"})
    assert resp.status == 201 and (await resp.json())["tenant"] is None
    details = await _error(await center.client.post("/api/v1/users", headers=root, json={
        "username": "orphan", "password": PASSWORD, "role": "agent"}), 400,
        "request.invalid_body")
    assert details["field"] == "tenant"


async def test_bad_bodies_name_the_field(center: Center) -> None:
    admin = _bearer(await center.login("adam"))
    details = await _error(await center.client.post(
        "/api/v1/users", headers={**admin, "Content-Type": "application/json"},
        data=b'{"username": "x",'), 400, "request.invalid_json")
    assert details["line"] == 1
    details = await _error(await center.client.post("/api/v1/users", headers=admin, json={
        "username": "bad name!", "password": "Zq9", "role": "king"}), 400,
        "request.invalid_body")
    assert {e["field"] for e in details["errors"]} == {  # type: ignore[attr-defined]
        "username", "password", "role"}
    assert "Zq9" not in str(details)
    details = await _error(await center.client.post(
        "/api/v1/auth/login", json={"tenant": "acme", "username": "sue"}), 400,
        "request.invalid_body")
    assert details["field"] == "password"
    details = await _error(await center.client.post("/api/v1/auth/login", json={
        "username": "sue", "password": "x", "extra": 1}), 400, "request.invalid_body")
    assert details["field"] == "extra"
    await _error(await center.client.post("/api/v1/auth/login", data="tenant=acme",
                                          headers={"Content-Type": "text/plain"}),
                 415, "request.unsupported_media_type")
    details = await _error(await center.client.get("/api/v1/users?limit=100000",
                                                   headers=admin), 400,
                           "request.invalid_query")
    assert details["field"] == "limit"


async def test_anonymous_bad_body_gets_401_before_any_schema_detail(center: Center) -> None:
    await _error(await center.client.post("/api/v1/users", data=b"{nope"), 401,
                 "auth.required")


async def test_unknown_route_and_method_are_json(center: Center) -> None:
    await _error(await center.client.get("/api/v1/nowhere"), 404, "route.not_found")
    resp = await center.client.delete("/api/v1/auth/login")
    details = await _error(resp, 405, "route.method_not_allowed")
    assert details["allowed"] == ["POST"] and resp.headers["Allow"] == "POST"


async def test_request_id_and_log_context_per_request(center: Center) -> None:
    token = await center.login("sue")
    with structlog.testing.capture_logs(
            processors=[structlog.contextvars.merge_contextvars]) as logs:
        resp = await center.client.post("/api/v1/auth/logout", headers={
            **_bearer(token), "X-Request-Id": "req-42"})
    assert resp.status == 204 and resp.headers["X-Request-Id"] == "req-42"
    logout = next(e for e in logs if e["event"] == "logout")
    assert (logout["request_id"], logout["tenant"], logout["user"]) == (
        "req-42", "acme", center.users["sue"].id)
    odd = await center.client.get("/healthz", headers={"X-Request-Id": "bad id\u00e9"})
    assert odd.headers["X-Request-Id"] != "bad id\u00e9" and len(odd.headers["X-Request-Id"]) == 32


async def test_docs_page_is_self_contained(center: Center) -> None:
    resp = await center.client.get("/docs")
    html = await resp.text()
    assert resp.content_type == "text/html" and "/openapi.json" in html
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert "http://" not in html and "https://" not in html
