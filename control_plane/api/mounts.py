"""Sub-applications mounted under a prefix, declared like routes.

A sub-application (the BI dashboard under ``/bi/``) keeps its own router, but its routes
are still declared: one permission covers all of them but the public sub-paths (its page
and assets), a middleware added to the sub-application enforces it before any handler
runs, and the OpenAPI document lists each of its routes with that permission.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from control_plane.api.authn import admit
from control_plane.auth.permissions import check_known

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

PUBLIC = "public"  # the same value as routes.PUBLIC (kept here to avoid an import cycle)


@dataclass(frozen=True)
class MountedRoute:
    """One route of a mounted sub-application, as the document shows it."""

    method: str
    path: str  # OpenAPI path ("/bi/static/{filename}" for a static directory)
    permission: str
    summary: str
    route: web.AbstractRoute


@dataclass(frozen=True)
class Mount:
    """``app`` under ``prefix``: ``permission`` for every route outside ``public`` sub-paths.

    A public entry is a path relative to the prefix ("/" is the page, "/static" the
    directory under it and everything below).
    """

    prefix: str
    app: web.Application
    permission: str
    summary: str
    public: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (self.prefix.startswith("/") and self.prefix.endswith("/")):
            raise ValueError(f"mount prefix {self.prefix!r} must start and end with '/'")
        check_known(self.permission)

    def is_public(self, path: str) -> bool:
        """True when ``path`` (absolute) lies under one of the public sub-paths."""
        if not path.startswith(self.prefix):
            return False
        rel = "/" + path[len(self.prefix):]
        return any(rel == p or (p != "/" and rel.startswith(p.rstrip("/") + "/"))
                   for p in self.public)

    def guard(self) -> Middleware:
        """The sub-application middleware that checks the permission."""
        @web.middleware
        async def mount_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not self.is_public(request.path):
                await admit(request, self.permission)
            return await handler(request)
        return mount_guard

    def routes(self) -> list[MountedRoute]:
        """Every route of the (installed) sub-application, documented; HEAD twins left out."""
        out = []
        for route in self.app.router.routes():
            resource = route.resource
            if resource is None or route.method == "HEAD":
                continue
            path = resource.canonical
            if isinstance(resource, web.StaticResource):
                path = path.rstrip("/") + "/{filename}"
            doc = (route.handler.__doc__ or "").strip().splitlines()
            probe = re.sub(r"\{[^}]+\}", "x", path)
            out.append(MountedRoute(
                route.method, path, PUBLIC if self.is_public(probe) else self.permission,
                doc[0] if doc and not isinstance(resource, web.StaticResource)
                else f"{self.summary}: static files", route))
        return out
