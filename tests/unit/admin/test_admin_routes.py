"""The admin pages' routes: declared and documented (public page and assets, data only
through permissioned API routes), served, and nothing else under /admin/static/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from control_plane.admin.routes import STATIC_DIR
from control_plane.api.docs import DOCUMENT
from control_plane.api.routes import PUBLIC
from control_plane.app import create_app
from control_plane.auth.permissions import PERMISSIONS
from control_plane.runtime.settings import load_settings

ENV = {"CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_AUTH__TOKEN_SECRET": "k" * 32}
# "/api/v1/..." at the start of a JS string or template literal, up to its end or a query.
_API_CALL = re.compile(r"[`\"](/api/v1/[^`\"?]*)")


@pytest.fixture
def app() -> web.Application:
    return create_app(load_settings(environ=ENV))


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}


def test_admin_routes_are_in_the_openapi_document_with_their_permission(
        app: web.Application) -> None:
    ops = _operations(app[DOCUMENT])
    admin = {key: op for key, op in ops.items() if key[1].startswith("/admin/")}
    assert set(admin) == {("GET", "/admin/"), ("GET", "/admin/static/{name}")}
    for op in admin.values():
        # The page and its scripts hold no data: public, like the desk's.
        assert op["x-permission"] == PUBLIC and op["security"] == []
        assert op["tags"] == ["pages"]


def _api_paths_used_by_the_pages() -> set[str]:
    used = set()
    for script in STATIC_DIR.glob("*.js"):
        for literal in _API_CALL.findall(script.read_text()):
            used.add(re.sub(r"\$\{[^}]*\}", "X", literal).rstrip("/"))
    return used


def test_every_api_path_the_pages_call_is_documented_with_a_permission(
        app: web.Application) -> None:
    ops = _operations(app[DOCUMENT])
    used = _api_paths_used_by_the_pages()
    # The sections' own lists and the links under them are among what the scripts name.
    assert {"/api/v1/auth/me", "/api/v1/tenants", "/api/v1/skills", "/api/v1/queues",
            "/api/v1/agents", "/api/v1/seat-configs", "/api/v1/dids", "/api/v1/ivr-flows",
            "/api/v1/pause-reasons", "/api/v1/prompts", "/api/v1/dids/X/route",
            "/api/v1/queues/X/skills", "/api/v1/agents/X/skills",
            "/api/v1/ivr-flows/X"} <= used
    for path in used:
        matching = [op for (_m, p), op in ops.items()
                    if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", p), path)]
        if path == "/api/v1/ivr-flows/X":  # the builder's base of its version routes
            matching = [op for (_m, p), op in ops.items()
                        if p.startswith("/api/v1/ivr-flows/{id}/versions")]
        assert matching, f"the admin pages call {path}, which the API does not serve"
        for op in matching:
            assert op["x-permission"] in PERMISSIONS, (path, op["x-permission"])


async def test_page_and_every_asset_it_names_are_served(
        aiohttp_client: Any, app: web.Application) -> None:
    client = await aiohttp_client(app)
    page = await client.get("/admin/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    html = await page.text()
    assets = re.findall(r'(?:src|href)="((?:/desk/)?static/[^"]+)"', html)
    assert len(assets) >= 9
    for asset in assets:
        url = asset if asset.startswith("/") else "/admin/" + asset
        resp = await client.get(url)
        assert resp.status == 200, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert resp.headers["Content-Type"].startswith(kind), url
    names = {Path(a).name for a in assets if not a.startswith("/desk/")}
    assert names == {p.name for p in STATIC_DIR.iterdir() if p.suffix in (".js", ".css")}


@pytest.mark.parametrize("path", ["/admin/static/nope.js", "/admin/static/admin.html",
                                  "/admin/static/..%2Froutes.py", "/admin/static/.admin.js"])
async def test_nothing_else_is_served_under_static(
        aiohttp_client: Any, app: web.Application, path: str) -> None:
    client = await aiohttp_client(app)
    resp = await client.get(path)
    assert resp.status == 404
    assert (await resp.json())["error"]["id"] in {"resource.not_found", "route.not_found"}
