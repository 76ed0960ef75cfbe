"""Configuration CRUD through the real application, on SQLite and on a real PostgreSQL:
create / list / read / change / delete per resource, tenant isolation for every resource,
400 with the field's path for bad bodies, 409 with the constraint for duplicates."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api import test_config_support as support
from tests.integration.api.conftest import Center
from tests.integration.api.test_config_support import as_user

# The support module's fixtures, made visible to this module's tests.
any_center, start_center = support.any_center, support.start_center
postgres_server = support.postgres_server

# path, a valid create body, a change, the field the change shows in
RESOURCES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("teams", {"name": "green"}, {"name": "emerald"}),
    ("skills", {"name": "french"}, {"name": "german"}),
    ("agents", {"name": "Zoe", "extension": "2001"}, {"wrap_up_seconds": 30}),
    ("queues", {"name": "sales", "strategy": "ring-all", "sla_target_seconds": 15,
                "announce_period_seconds": 30},
     {"strategy": "best_match", "overflow_action": "hangup", "max_wait_seconds": 300}),
    ("dids", {"number": "+14155550100", "description": "main line"},
     {"description": "sales line"}),
    ("prompts", {"name": "welcome", "language": "zh", "file_path": "zh/welcome.wav"},
     {"file_path": "zh/welcome2.wav"}),
    ("pause-reasons", {"code": "lunch", "label": "Lunch"}, {"paid": True}),
    ("ivr-flows", {"name": "main"}, {"name": "main-2"}),
    ("seat-configs", {"sip_username": "1001", "domain": "cc.local", "password": "pw-123456"},
     {"label": "desk 1"}),
    ("customers", {"name": "Wang", "phones": ["+8613800138000"]}, {"vip": True}),
]
IDS = [r[0] for r in RESOURCES]


@pytest.mark.parametrize(("path", "new", "change"), RESOURCES, ids=IDS)
async def test_crud_round_trip(any_center: Center, path: str, new: dict[str, Any],
                               change: dict[str, Any]) -> None:
    adam = await as_user(any_center, "adam")
    status, created = await adam.call("POST", f"/api/v1/{path}", new)
    assert status == 201, created
    assert created["tenant"] == "acme"
    one = f"/api/v1/{path}/{created['id']}"
    status, page = await adam.call("GET", f"/api/v1/{path}", limit=10)
    assert status == 200
    assert created["id"] in [r["id"] for r in page["items"]]
    assert page["limit"] == 10 and page["total"] >= 1
    status, changed = await adam.call("PATCH", one, change)
    assert status == 200, changed
    for name, value in change.items():
        assert changed[name] == value
    status, got = await adam.call("GET", one)
    assert (status, got) == (200, changed)
    assert (await adam.call("DELETE", one))[0] == 204
    status, gone = await adam.call("GET", one)
    assert (status, gone["error"]["id"]) == (404, "resource.not_found")


@pytest.mark.parametrize(("path", "new", "change"), RESOURCES, ids=IDS)
async def test_another_tenants_admin_can_never_reach_a_row(
        any_center: Center, path: str, new: dict[str, Any], change: dict[str, Any]) -> None:
    adam, gina = await as_user(any_center, "adam"), await as_user(any_center, "gina")
    status, created = await adam.call("POST", f"/api/v1/{path}", new)
    assert status == 201, created
    one = f"/api/v1/{path}/{created['id']}"
    for method, payload in (("GET", None), ("PATCH", change), ("DELETE", None)):
        status, body = await gina.call(method, one, payload)
        assert (status, body["error"]["id"]) == (404, "resource.not_found"), (method, body)
    status, page = await gina.call("GET", f"/api/v1/{path}")
    assert status == 200 and created["id"] not in [r["id"] for r in page["items"]]
    for method, payload in (("GET", None), ("POST", new)):
        status, body = await gina.call(method, f"/api/v1/{path}", payload, tenant="acme")
        assert (status, body["error"]["details"]["field"]) == (403, "tenant"), body
    # Still there, unchanged, for its own tenant.
    assert (await adam.call("GET", one)) == (200, created)


async def test_operator_names_the_tenant(any_center: Center) -> None:
    root = await as_user(any_center, "root")
    status, body = await root.call("GET", "/api/v1/queues")
    assert (status, body["error"]["id"], body["error"]["details"]["field"]) == (
        400, "request.invalid_query", "tenant")
    status, made = await root.call("POST", "/api/v1/queues", {"name": "vip"}, tenant="globex")
    assert (status, made["tenant"]) == (201, "globex")
    gina = await as_user(any_center, "gina")
    assert (await gina.call("GET", f"/api/v1/queues/{made['id']}"))[0] == 200


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("queues", {"name": "q", "strategy": "fastest"}, "strategy"),
    ("queues", {"name": "q", "sla_target_percent": 101}, "sla_target_percent"),
    ("queues", {"name": "q", "overflow_action": "queue"}, "overflow_target"),
    ("queues", {"name": "q", "overflow_action": "queue", "overflow_target": "999"},
     "overflow_target"),
    ("queues", {"name": "q", "overflow_action": "teleport", "overflow_target": "1"},
     "overflow_action"),
    ("queues", {}, "name"),
    ("queues", {"name": "q", "colour": "red"}, "colour"),
    ("agents", {"name": "A", "team_id": 99999}, "team_id"),
    ("agents", {"name": "A", "max_concurrent_offers": 0}, "max_concurrent_offers"),
    ("dids", {"number": "555-1234"}, "number"),
    ("pause-reasons", {"code": "Lunch Break", "label": "x"}, "code"),
    ("prompts", {"name": "p", "language": "en"}, "file_path"),
])
async def test_bad_bodies_name_the_field(any_center: Center, path: str,
                                         payload: dict[str, Any], field: str) -> None:
    adam = await as_user(any_center, "adam")
    status, body = await adam.call("POST", f"/api/v1/{path}", payload)
    assert (status, body["error"]["id"]) == (400, "request.invalid_body"), body
    assert body["error"]["details"]["field"] == field, body


async def test_patch_refuses_fixed_and_null_fields(any_center: Center) -> None:
    adam = await as_user(any_center, "adam")
    _, did = await adam.call("POST", "/api/v1/dids", {"number": "+861012345678"})
    status, body = await adam.call("PATCH", f"/api/v1/dids/{did['id']}",
                                   {"number": "+861012345679"})
    assert (status, body["error"]["details"]["field"]) == (400, "number")
    _, queue = await adam.call("POST", "/api/v1/queues", {"name": "q1"})
    status, body = await adam.call("PATCH", f"/api/v1/queues/{queue['id']}", {"name": None})
    assert (status, body["error"]["details"]["field"]) == (400, "name"), body


@pytest.mark.parametrize(("path", "new", "constraint"), [
    ("queues", {"name": "dup"}, "uq_queues_tenant_name"),
    ("skills", {"name": "dup"}, "uq_skills_tenant_name"),
    ("dids", {"number": "+14155550199"}, "uq_dids_number"),
    ("pause-reasons", {"code": "dup", "label": "x"}, "uq_pause_reasons_tenant_code"),
])
async def test_duplicates_are_409_with_the_constraint(any_center: Center, path: str,
                                                      new: dict[str, Any],
                                                      constraint: str) -> None:
    adam = await as_user(any_center, "adam")
    assert (await adam.call("POST", f"/api/v1/{path}", new))[0] == 201
    status, body = await adam.call("POST", f"/api/v1/{path}", new)
    assert (status, body["error"]["id"]) == (409, "resource.conflict"), body
    assert body["error"]["details"]["constraint"] == constraint


async def test_dids_are_unique_across_tenants(any_center: Center) -> None:
    adam, gina = await as_user(any_center, "adam"), await as_user(any_center, "gina")
    assert (await adam.call("POST", "/api/v1/dids", {"number": "+4930123456"}))[0] == 201
    status, body = await gina.call("POST", "/api/v1/dids", {"number": "+4930123456"})
    assert (status, body["error"]["details"]["constraint"]) == (409, "uq_dids_number")


async def test_pages_are_bounded(any_center: Center) -> None:
    adam = await as_user(any_center, "adam")
    for i in range(5):
        assert (await adam.call("POST", "/api/v1/skills", {"name": f"s{i}"}))[0] == 201
    status, page = await adam.call("GET", "/api/v1/skills", limit=2, offset=2)
    assert status == 200
    assert ([s["name"] for s in page["items"]], page["total"], page["next_offset"]) == (
        ["s2", "s3"], 5, 4)
    status, body = await adam.call("GET", "/api/v1/skills", limit=201)
    assert (status, body["error"]["details"]["field"]) == (400, "limit")


async def test_roles_without_write_permission_are_refused(any_center: Center) -> None:
    sue, ana = await as_user(any_center, "sue"), await as_user(any_center, "ana")
    status, body = await sue.call("POST", "/api/v1/queues", {"name": "q"})
    assert (status, body["error"]["details"]["permission"]) == (403, "queues.write")
    status, body = await ana.call("GET", "/api/v1/pause-reasons")
    assert (status, body["error"]["details"]["permission"]) == (403, "agents.state")
    assert (await ana.call("GET", "/api/v1/queues"))[0] == 200


async def test_team_lead_sees_only_their_team(any_center: Center) -> None:
    lee = await as_user(any_center, "lee")
    status, page = await lee.call("GET", "/api/v1/agents")
    assert status == 200
    assert [a["name"] for a in page["items"]] == ["Ann"]
    al = any_center.users["al"].agent_id
    status, body = await lee.call("GET", f"/api/v1/agents/{al}")
    assert (status, body["error"]["details"]["reason"]) == (403, "own_team_only")
    status, body = await lee.call("GET", f"/api/v1/agents/{al}/skills")
    assert status == 403
