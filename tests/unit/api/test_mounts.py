"""Mounted sub-applications: which of their paths are public, and the guard in front."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from control_plane.api.middleware import request_context
from control_plane.api.mounts import Mount
from control_plane.api.routes import Api
from control_plane.auth.permissions import UnknownPermissionError


def _mount() -> Mount:
    sub = web.Application()

    async def page(request: web.Request) -> web.Response:
        """The page."""
        return web.Response(text="page")

    async def data(request: web.Request) -> web.Response:
        """Some data."""
        return web.json_response({"secret": 42})

    sub.router.add_get("/", page)
    sub.router.add_get("/api/data", data)
    return Mount("/sub/", sub, permission="stats.read", summary="a sub-app",
                 public=("/", "/static"))


def test_public_sub_paths() -> None:
    mount = _mount()
    assert mount.is_public("/sub/")
    assert mount.is_public("/sub/static") and mount.is_public("/sub/static/app.css")
    assert not mount.is_public("/sub/staticfile")
    assert not mount.is_public("/sub/api/data")
    assert not mount.is_public("/sub//")
    assert not mount.is_public("/other/")


def test_mount_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="prefix"):
        Mount("/sub", web.Application(), permission="stats.read", summary="x")
    with pytest.raises(UnknownPermissionError):
        Mount("/sub/", web.Application(), permission="stat.read", summary="x")


async def test_guard_runs_before_the_sub_apps_handlers(aiohttp_client: Any) -> None:
    app = web.Application(middlewares=[request_context])
    api = Api(title="t", version="1")
    mount = _mount()
    api.mount(mount)
    api.install(app)
    client = await aiohttp_client(app)
    assert (await client.get("/sub/")).status == 200
    resp = await client.get("/sub/api/data")
    body = await resp.json()
    assert resp.status == 401 and body["error"]["id"] == "auth.required"
    assert "secret" not in await resp.text()
    documented = {(r.method, r.path, r.permission) for r in mount.routes()}
    assert documented == {("GET", "/sub/", "public"), ("GET", "/sub/api/data", "stats.read")}
