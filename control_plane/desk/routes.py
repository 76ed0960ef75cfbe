"""Routes of the desk pages: ``/desk/`` (agent desk), ``/desk/wallboard`` and their assets."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from control_plane.api.errors import ResourceNotFound
from control_plane.api.page_files import page_asset, page_file
from control_plane.api.routes import PUBLIC, RouteTable

ROUTES = RouteTable()
STATIC_DIR: Final = Path(__file__).parent / "static"
_TAGS = ("pages",)



@ROUTES.get("/desk/", permission=PUBLIC, summary="Agent desk page", tags=_TAGS,
            media_type="text/html")
async def desk_page(request: web.Request) -> web.StreamResponse:
    """The agent desk: log in, state, the ringing offer with its screen pop, the call,
    notes and disposition (the data comes from the API with the user's token)."""
    return page_file(STATIC_DIR, "desk.html")


@ROUTES.get("/desk/wallboard", permission=PUBLIC, summary="Supervisor wallboard page",
            tags=_TAGS, media_type="text/html")
async def wallboard_page(request: web.Request) -> web.StreamResponse:
    """The wallboard: queues (waiting, oldest wait, service level today) and agents by
    state, live over the WebSocket."""
    return page_file(STATIC_DIR, "wallboard.html")


@ROUTES.get(r"/desk/static/{name:[^/]+}", permission=PUBLIC, summary="Desk page asset",
            tags=_TAGS, media_type="text/plain", errors=(ResourceNotFound,))
async def desk_asset(request: web.Request) -> web.StreamResponse:
    """A script or style sheet of the desk pages."""
    return page_asset(STATIC_DIR, request.match_info["name"])
