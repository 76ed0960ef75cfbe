"""Routes of the admin pages: ``/admin/`` (one page, a section per resource) and its assets.

The page and its scripts hold no data: everything they show comes from the REST API with
the user's own token, so the API's permissions decide what each role sees and changes.
"""

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


@ROUTES.get("/admin/", permission=PUBLIC, summary="Admin pages", tags=_TAGS,
            media_type="text/html")
async def admin_page(request: web.Request) -> web.StreamResponse:
    """The admin pages: queues, agents, skills, seats, DIDs and their routes, pause reasons
    and the IVR builder (the data comes from the API with the user's token)."""
    return _file("admin.html")


@ROUTES.get(r"/admin/static/{name:[^/]+}", permission=PUBLIC, summary="Admin page asset",
            tags=_TAGS, media_type="text/plain", errors=(ResourceNotFound,))
async def admin_asset(request: web.Request) -> web.StreamResponse:
    """A script or style sheet of the admin pages."""
    name = request.match_info["name"]
    if not _NAME.match(name):
        raise ResourceNotFound(f"no page asset {name}")
    return _file(name)
