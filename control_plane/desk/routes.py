"""Routes of the desk pages: ``/desk/`` (agent desk), ``/desk/wallboard`` and their assets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from aiohttp import web

from control_plane.api.errors import ResourceNotFound
from control_plane.api.routes import PUBLIC, RouteTable

ROUTES = RouteTable()
STATIC_DIR: Final = Path(__file__).parent / "static"
_TYPES: Final = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_NAME: Final = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(js|css)$")
_TAGS = ("pages",)


def _file(name: str) -> web.FileResponse:
    path = STATIC_DIR / name
    if not path.is_file():
        raise ResourceNotFound(f"no page asset {name}")
    # Pages change with releases; the browser revalidates instead of running stale code.
    return web.FileResponse(path, headers={
        "Content-Type": f"{_TYPES[path.suffix]}; charset=utf-8", "Cache-Control": "no-cache"})


@ROUTES.get("/desk/", permission=PUBLIC, summary="Agent desk page", tags=_TAGS,
            media_type="text/html")
async def desk_page(request: web.Request) -> web.StreamResponse:
    """The agent desk: log in, state, the ringing offer with its screen pop, the call,
    notes and disposition (the data comes from the API with the user's token)."""
    return _file("desk.html")


@ROUTES.get("/desk/wallboard", permission=PUBLIC, summary="Supervisor wallboard page",
            tags=_TAGS, media_type="text/html")
async def wallboard_page(request: web.Request) -> web.StreamResponse:
    """The wallboard: queues (waiting, oldest wait, service level today) and agents by
    state, live over the WebSocket."""
    return _file("wallboard.html")


@ROUTES.get(r"/desk/static/{name:[^/]+}", permission=PUBLIC, summary="Desk page asset",
            tags=_TAGS, media_type="text/plain", errors=(ResourceNotFound,))
async def desk_asset(request: web.Request) -> web.StreamResponse:
    """A script or style sheet of the desk pages."""
    name = request.match_info["name"]
    if not _NAME.match(name):
        raise ResourceNotFound(f"no page asset {name}")
    return _file(name)
