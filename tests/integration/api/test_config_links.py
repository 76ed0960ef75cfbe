"""Links, IVR versions, seats with SIP credentials and tenants through the real application,
on SQLite and PostgreSQL; each one stays within its tenant."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import text

from control_plane.db.engine import make_engine
from tests.integration.api import test_config_support as support
from tests.integration.api.conftest import Center
from tests.integration.api.test_config_support import Client, as_user

any_center, start_center = support.any_center, support.start_center
postgres_server = support.postgres_server

FLOW: dict[str, Any] = {"start": "main", "language": "zh", "nodes": {
    "main": {"type": "menu", "prompt": "welcome", "options": {"1": "sales"},
             "on_fail": "bye"},
    "sales": {"type": "queue", "queue": "sales"},
    "bye": {"type": "hangup"}}}


async def _ok(client: Client, method: str, path: str, json: Any = None,
              **params: Any) -> Any:
    status, body = await client.call(method, path, json, **params)
    assert status in (200, 201, 204), (method, path, status, body)
    return body


async def _made(client: Client) -> dict[str, int]:
    ids = {}
    for path, new in (("skills", {"name": "zh"}), ("queues", {"name": "sales"}),
                      ("agents", {"name": "Zed"}), ("dids", {"number": "+862112345678"}),
                      ("ivr-flows", {"name": "main"}),
                      ("prompts", {"name": "welcome", "language": "zh",
                                   "file_path": "zh/welcome.wav"})):
        ids[path] = (await _ok(client, "POST", f"/api/v1/{path}", new))["id"]
    return ids


async def test_links_and_their_tenant(any_center: Center) -> None:
    adam, gina = await as_user(any_center, "adam"), await as_user(any_center, "gina")
    ids = await _made(adam)
    agent, skill, queue, did = ids["agents"], ids["skills"], ids["queues"], ids["dids"]
    links = [(f"/api/v1/agents/{agent}/skills/{skill}", {"proficiency": 4}),
             (f"/api/v1/queues/{queue}/skills/{skill}", {"min_proficiency": 2}),
             (f"/api/v1/queues/{queue}/members/{agent}", {"penalty": 1, "position": 3}),
             (f"/api/v1/dids/{did}/route", {"kind": "queue", "target_id": queue})]
    for path, new in links:
        # Another tenant can neither set, read nor remove acme's links.
        for method, payload in (("PUT", new), ("DELETE", None)):
            status, body = await gina.call(method, path, payload)
            assert (status, body["error"]["id"]) == (404, "resource.not_found"), (path, body)
        await _ok(adam, "PUT", path, new)
    assert (await _ok(adam, "GET", f"/api/v1/agents/{agent}/skills"))["items"] == [
        {"agent_id": agent, "skill_id": skill, "proficiency": 4}]
    assert (await _ok(adam, "GET", f"/api/v1/queues/{queue}/members"))["items"][0][
        "position"] == 3
    assert (await _ok(adam, "GET", f"/api/v1/dids/{did}/route")) == {
        "did_id": did, "kind": "queue", "target_id": queue}
    for path in (f"/api/v1/agents/{agent}/skills", f"/api/v1/queues/{queue}/skills",
                 f"/api/v1/queues/{queue}/members", f"/api/v1/dids/{did}/route"):
        status, _ = await gina.call("GET", path)
        assert status == 404, path
    status, body = await adam.call("PUT", f"/api/v1/agents/{agent}/skills/{skill}",
                                   {"proficiency": 6})
    assert (status, body["error"]["details"]["field"]) == (400, "proficiency")
    # A route may only point at a target of the same tenant.
    _, theirs = await gina.call("POST", "/api/v1/queues", {"name": "theirs"})
    status, body = await adam.call("PUT", f"/api/v1/dids/{did}/route",
                                   {"kind": "queue", "target_id": theirs["id"]})
    assert (status, body["error"]["details"]["field"]) == (400, "target_id")
    # A queue a number routes to cannot be deleted.
    status, body = await adam.call("DELETE", f"/api/v1/queues/{queue}")
    assert (status, body["error"]["id"]) == (409, "resource.conflict")
    for path, _new in links:
        await _ok(adam, "DELETE", path)
        status, _ = await adam.call("DELETE", path)
        assert status == 404, path


async def test_ivr_versions(any_center: Center) -> None:
    adam, gina = await as_user(any_center, "adam"), await as_user(any_center, "gina")
    flow = (await _made(adam))["ivr-flows"]
    versions = f"/api/v1/ivr-flows/{flow}/versions"
    status, body = await adam.call("GET", f"/api/v1/ivr-flows/{flow}/active")
    assert (status, body["error"]["id"]) == (409, "resource.conflict")
    bad_queue = {**FLOW, "nodes": {**FLOW["nodes"], "sales": {"type": "queue",
                                                              "queue": "nowhere"}}}
    for doc, field in ((bad_queue, "document.nodes.sales.queue"),
                       ({**FLOW, "start": "nope"}, "document.start"),
                       ({"nodes": {}}, "document.nodes")):
        status, body = await adam.call("POST", versions, {"document": doc})
        assert (status, body["error"]["details"]["field"]) == (400, field), body
    one = await _ok(adam, "POST", versions, {"document": FLOW})
    assert (one["version"], one["created_by"]) == (1, any_center.users["adam"].id)
    edited = {**FLOW, "language": "en"}
    assert (await _ok(adam, "POST", versions, {"document": edited}))["version"] == 2
    listed = await _ok(adam, "GET", versions)
    assert [v["version"] for v in listed["items"]] == [2, 1]
    await _ok(adam, "POST", f"{versions}/2/activate")
    active = await _ok(adam, "GET", f"/api/v1/ivr-flows/{flow}/active")
    assert (active["version"], active["document"]["language"]) == (2, "en")
    await _ok(adam, "POST", f"{versions}/1/activate")  # rollback
    assert (await _ok(adam, "GET", f"/api/v1/ivr-flows/{flow}/active"))["version"] == 1
    assert (await _ok(adam, "GET", f"{versions}/2"))["document"] == edited
    status, _ = await adam.call("POST", f"{versions}/9/activate")
    assert status == 404
    for method, path, payload in (("GET", versions, None), ("GET", f"{versions}/1", None),
                                  ("POST", versions, {"document": FLOW}),
                                  ("POST", f"{versions}/1/activate", None),
                                  ("GET", f"/api/v1/ivr-flows/{flow}/active", None)):
        status, _ = await gina.call(method, path, payload)
        assert status == 404, (method, path)


def _credentials(center: Center) -> list[tuple[Any, ...]]:
    engine = make_engine(center.db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT tenant, username, domain, ha1, ha1b FROM sip_credentials"))]
    finally:
        engine.dispose()


def _ha1(user: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()


async def test_seats_store_ha1_only(any_center: Center) -> None:
    adam, gina = await as_user(any_center, "adam"), await as_user(any_center, "gina")
    seat = await _ok(adam, "POST", "/api/v1/seat-configs", {
        "sip_username": "1001", "domain": "cc.local", "label": "desk 1",
        "password": "s3cret-pass"})
    assert seat["credential_id"] is not None and "password" not in seat
    creds = _credentials(any_center)
    assert creds == [("acme", "1001", "cc.local", _ha1("1001", "cc.local", "s3cret-pass"),
                      _ha1("1001@cc.local", "cc.local", "s3cret-pass"))]
    assert all("s3cret-pass" not in str(c) for c in creds[0])
    status, body = await gina.call("POST", "/api/v1/seat-configs", {
        "sip_username": "1001", "domain": "cc.local", "password": "other-pass"})
    assert (status, body["error"]["id"]) == (409, "resource.conflict")
    assert _credentials(any_center) == creds  # the taken name's credentials untouched
    status, body = await adam.call("POST", "/api/v1/seat-configs", {
        "sip_username": "1002", "domain": "cc.local", "password": "short"})
    assert (status, body["error"]["details"]["field"]) == (400, "password")
    one = f"/api/v1/seat-configs/{seat['id']}"
    await _ok(adam, "PATCH", one, {"password": "new-pass-123"})
    assert _credentials(any_center)[0][3] == _ha1("1001", "cc.local", "new-pass-123")
    status, body = await adam.call("PATCH", one, {"sip_username": "1003"})
    assert (status, body["error"]["details"]["field"]) == (400, "sip_username")
    for method in ("GET", "DELETE"):
        assert (await gina.call(method, one))[0] == 404
    await _ok(adam, "DELETE", one)
    assert _credentials(any_center) == []


async def test_tenants_are_the_operators(any_center: Center) -> None:
    root, adam = await as_user(any_center, "root"), await as_user(any_center, "adam")
    made = await _ok(root, "POST", "/api/v1/tenants", {
        "id": "initech", "name": "Initech", "time_zone": "Asia/Shanghai"})
    assert (made["id"], made["recording_notice"]) == ("initech", True)
    status, body = await root.call("POST", "/api/v1/tenants", {"id": "initech", "name": "x"})
    assert (status, body["error"]["details"]["constraint"]) == (409, "pk_tenants")
    status, body = await root.call("POST", "/api/v1/tenants", {"id": "x-1", "name": "x",
                                                                "time_zone": "Mars/Base"})
    assert (status, body["error"]["details"]["field"]) == (400, "time_zone")
    page = await _ok(root, "GET", "/api/v1/tenants")
    assert [t["id"] for t in page["items"]] == ["acme", "globex", "initech"]
    changed = await _ok(root, "PATCH", "/api/v1/tenants/initech", {"name": "Initech Ltd"})
    assert changed["name"] == "Initech Ltd"
    for method, path in (("GET", "/api/v1/tenants"), ("GET", "/api/v1/tenants/acme"),
                         ("DELETE", "/api/v1/tenants/globex")):
        status, body = await adam.call(method, path)
        assert (status, body["error"]["id"]) == (403, "permission.denied")
    await _ok(root, "DELETE", "/api/v1/tenants/initech")
    assert (await root.call("GET", "/api/v1/tenants/initech"))[0] == 404
