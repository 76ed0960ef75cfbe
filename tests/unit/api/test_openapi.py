"""Every route declares a permission, appears in the OpenAPI document, and the document is valid."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate
from pydantic import BaseModel

from control_plane.api.docs import DOCUMENT
from control_plane.api.routes import PUBLIC, Api, Route, RouteTable, UndeclaredRouteError
from control_plane.app import create_app
from control_plane.auth.permissions import PERMISSIONS, UnknownPermissionError
from control_plane.runtime.settings import load_settings

ENV = {"CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_AUTH__TOKEN_SECRET": "k" * 32}
PUBLIC_PATHS = {"/healthz", "/metrics", "/openapi.json", "/docs", "/api/v1/auth/login",
                # The BI dashboard's page and assets (its JSON routes need stats.read).
                "/bi/", "/bi/vendor/echarts.min.js", "/bi/static/{filename}",
                # The agent desk and wallboard pages (their data comes with the user's token).
                "/desk/", "/desk/wallboard", "/desk/static/{name}",
                # The admin pages (likewise: their data comes through the permissioned API).
                "/admin/", "/admin/static/{name}"}


@pytest.fixture
def app() -> web.Application:
    return create_app(load_settings(environ=ENV))


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}


def test_document_is_valid_openapi_3_1(app: web.Application) -> None:
    doc = app[DOCUMENT]
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def test_every_route_is_declared_and_documented_with_its_permission(
        app: web.Application) -> None:
    ops = _operations(app[DOCUMENT])
    served = set()
    for r in app.router.routes():
        assert r.resource is not None
        if r.method == "HEAD":  # aiohttp's automatic twin of a mounted GET
            continue
        static = isinstance(r.resource, web.StaticResource)
        served.add((r.method, r.resource.canonical + ("/{filename}" if static else "")))
    assert served == set(ops.keys())
    assert ("GET", "/bi/api/trends") in served
    for (method, path), op in ops.items():
        permission = op["x-permission"]
        assert permission == PUBLIC or permission in PERMISSIONS, (method, path)
        if path in PUBLIC_PATHS:
            assert permission == PUBLIC and op["security"] == []
        else:
            assert permission != PUBLIC, f"{method} {path} must not be public"
            assert "security" not in op  # inherits the document's bearerAuth
            assert {"401", "403"} <= set(op["responses"]), (method, path)
    assert ops[("GET", "/api/v1/seats")]["x-permission"] == "seats.read"


def test_error_responses_and_models_are_referenced(app: web.Application) -> None:
    doc = app[DOCUMENT]
    login = _operations(doc)[("POST", "/api/v1/auth/login")]
    assert {"200", "400", "401", "415", "429", "500", "503"} <= set(login["responses"])
    assert "auth.invalid_credentials" in login["responses"]["401"]["description"]
    body_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = body_ref.rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][name]["required"]) == {"username", "password"}
    get_user = _operations(doc)[("GET", "/api/v1/users/{user_id}")]
    assert get_user["parameters"][0] == {"name": "user_id", "in": "path", "required": True,
                                         "schema": {"type": "integer", "minimum": 0}}
    listing = _operations(doc)[("GET", "/api/v1/users")]
    assert {p["name"] for p in listing["parameters"]} == {"offset", "limit", "tenant"}


async def test_a_route_added_behind_the_registry_stops_the_app(aiohttp_client: Any) -> None:
    app = create_app(load_settings(environ=ENV))

    async def sneaky(request: web.Request) -> web.Response:
        return web.Response(text="no permission declared")

    app.router.add_get("/api/v1/sneaky", sneaky)
    with pytest.raises(UndeclaredRouteError, match="GET /api/v1/sneaky"):
        await aiohttp_client(app)


async def _noop(request: web.Request) -> web.Response:
    return web.Response()


def test_declarations_are_checked() -> None:
    with pytest.raises(UnknownPermissionError):
        Route("GET", "/x", _noop, "queue.reed", "typo")
    with pytest.raises(ValueError, match="summary"):
        Route("GET", "/x", _noop, PUBLIC, "")
    table = RouteTable()
    table.get("/x", permission=PUBLIC, summary="x")(_noop)
    api = Api(title="t", version="1")
    api.include(table.routes)
    with pytest.raises(ValueError, match="declared twice"):
        api.include(table.routes)


def test_same_model_for_input_and_output_gets_both_schemas() -> None:
    from control_plane.api.openapi import build_document

    class Thing(BaseModel):
        name: str
        size: int = 1

    async def make_thing(request: web.Request) -> web.Response:
        return web.Response()

    routes = [Route("POST", "/things", make_thing, "queues.write", "make", body=Thing,
                    response=Thing)]
    doc = build_document(routes, title="t", version="1")
    validate(doc)
    op = doc["paths"]["/things"]["post"]
    refs = {op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]}
    assert all(r.rsplit("/", 1)[1] in doc["components"]["schemas"] for r in refs)
