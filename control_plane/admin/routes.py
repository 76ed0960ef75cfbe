"""Routes of the admin pages: ``/admin/`` (one page, a section per resource) and its assets.

The page and its scripts hold no data: everything they show comes from the REST API with
the user's own token, so the API's permissions decide what each role sees and changes.
"""

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



@ROUTES.get("/admin/", permission=PUBLIC, summary="Admin pages", tags=_TAGS,
            media_type="text/html")
async def admin_page(request: web.Request) -> web.StreamResponse:
    """The admin pages: queues, agents, skills, seats, DIDs and their routes, pause reasons
    and the IVR builder (the data comes from the API with the user's token)."""
    return page_file(STATIC_DIR, "admin.html")


@ROUTES.get(r"/admin/static/{name:[^/]+}", permission=PUBLIC, summary="Admin page asset",
            tags=_TAGS, media_type="text/plain", errors=(ResourceNotFound,))
async def admin_asset(request: web.Request) -> web.StreamResponse:
    """A script or style sheet of the admin pages."""
    return page_asset(STATIC_DIR, request.match_info["name"])
