"""Serving the pages' own files (desk, wallboard, admin): HTML, scripts, style sheets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from aiohttp import web

from control_plane.api.errors import ResourceNotFound

_TYPES: Final = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_ASSET: Final = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(js|css)$")


def page_file(directory: Path, name: str) -> web.FileResponse:
    """``name`` from ``directory``, never cached stale; 404 (`ResourceNotFound`) if absent."""
    path = directory / name
    if not path.is_file():
        raise ResourceNotFound(f"no page asset {name}")
    # Pages change with releases; the browser revalidates instead of running stale code.
    return web.FileResponse(path, headers={
        "Content-Type": f"{_TYPES[path.suffix]}; charset=utf-8", "Cache-Control": "no-cache"})


def page_asset(directory: Path, name: str) -> web.FileResponse:
    """A script or style sheet asked for by name: only plain names, nothing outside."""
    if not _ASSET.match(name):
        raise ResourceNotFound(f"no page asset {name}")
    return page_file(directory, name)
