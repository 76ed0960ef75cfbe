"""Route declarations: every handler states its method, path, permission and schemas.

A :class:`RouteTable` collects declarations next to their handlers; :class:`Api` installs
them on the aiohttp router, each wrapped so that authentication, the permission check and
body/query validation run before the handler, and builds the OpenAPI document from the same
declarations. At startup the application refuses any route that did not come through here.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from control_plane.api.authn import admit
from control_plane.api.context import PRINCIPAL
from control_plane.api.errors import (
    ApiError,
    InvalidBody,
    InvalidJson,
    InvalidQuery,
    UnsupportedMediaType,
)
from control_plane.api.mounts import Mount
from control_plane.auth.permissions import check_known
from control_plane.auth.principal import Principal

#: The permission of routes anyone may call (health, metrics, login, the API's own docs).
PUBLIC: Final = "public"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
M = TypeVar("M", bound=BaseModel)

_BODY: web.RequestKey[BaseModel] = web.RequestKey("body", BaseModel)
_QUERY: web.RequestKey[BaseModel] = web.RequestKey("query", BaseModel)


@dataclass(frozen=True, slots=True)
class Route:
    """One operation of the API, as declared by its module."""

    method: str
    path: str
    handler: Handler
    permission: str
    summary: str
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    #: Media type of a response that is not a JSON model (metrics text, the docs page).
    media_type: str = "application/json"
    #: Errors this route reports beyond the ones every route of its kind may report.
    errors: tuple[type[ApiError], ...] = ()

    def __post_init__(self) -> None:
        if self.permission != PUBLIC:
            check_known(self.permission)
        if not self.summary:
            raise ValueError(f"{self.method} {self.path}: a route needs a summary")

    @property
    def operation_id(self) -> str:
        """The OpenAPI operationId: the handler's name."""
        return self.handler.__name__


@dataclass
class RouteTable:
    """The declarations of one module, filled by its decorators."""

    routes: list[Route] = field(default_factory=list)

    def route(self, method: str, path: str, *, permission: str, summary: str,
              **options: Any) -> Callable[[Handler], Handler]:
        """Declare the decorated handler (options: the other fields of :class:`Route`)."""
        def declare(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, permission, summary, **options))
            return handler
        return declare

    def get(self, path: str, *, permission: str, summary: str,
            **options: Any) -> Callable[[Handler], Handler]:
        """Declare a GET route."""
        return self.route("GET", path, permission=permission, summary=summary, **options)

    def post(self, path: str, *, permission: str, summary: str,
             **options: Any) -> Callable[[Handler], Handler]:
        """Declare a POST route."""
        return self.route("POST", path, permission=permission, summary=summary, **options)


def principal(request: web.Request) -> Principal:
    """The authenticated user of this request (routes with a permission only)."""
    return request[PRINCIPAL]


def body(request: web.Request, model: type[M]) -> M:
    """The validated body of this request, as the route's declared model."""
    value = request[_BODY]
    if not isinstance(value, model):
        raise TypeError(f"route body is {type(value).__name__}, not {model.__name__}")
    return value


def query(request: web.Request, model: type[M]) -> M:
    """The validated query parameters of this request, as the route's declared model."""
    value = request[_QUERY]
    if not isinstance(value, model):
        raise TypeError(f"route query is {type(value).__name__}, not {model.__name__}")
    return value


def reply(model: BaseModel, *, status: int = 200) -> web.Response:
    """A JSON response from a response model."""
    return web.Response(text=model.model_dump_json(), status=status,
                        content_type="application/json")


async def _read_body(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise UnsupportedMediaType(
            f"send the body as application/json, not {request.content_type or 'nothing'}")
    raw = await request.read()
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise InvalidJson("body is not UTF-8 JSON") from exc
    except json.JSONDecodeError as exc:
        raise InvalidJson.from_decode_error(exc) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidBody.from_validation(exc) from exc


def _read_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise InvalidQuery.from_validation(exc) from exc


def _guarded(route: Route) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        # Authentication first: an anonymous caller learns nothing about the body's schema.
        if route.permission != PUBLIC:
            await admit(request, route.permission)
        if route.query is not None:
            request[_QUERY] = _read_query(request, route.query)
        if route.body is not None:
            request[_BODY] = await _read_body(request, route.body)
        return await route.handler(request)

    guarded.__name__ = route.handler.__name__
    guarded.__doc__ = route.handler.__doc__
    return guarded


class UndeclaredRouteError(RuntimeError):
    """A route was added to the router without a declaration (and so without a permission)."""


class Api:
    """All declared routes of the application; installs them and describes them."""

    def __init__(self, *, title: str, version: str) -> None:
        self.title = title
        self.version = version
        self.routes: list[Route] = []
        self.mounts: list[Mount] = []
        self._installed: set[Handler] = set()

    def include(self, routes: Iterable[Route]) -> None:
        """Add declarations; a second route with the same method and path is an error."""
        for new in routes:
            for old in self.routes:
                if (old.method, old.path) == (new.method, new.path):
                    raise ValueError(f"{new.method} {new.path} declared twice")
                if old.operation_id == new.operation_id:
                    raise ValueError(f"two handlers named {new.operation_id}: rename one")
            self.routes.append(new)

    def mount(self, mount: Mount) -> None:
        """Declare a sub-application and the permission its routes need."""
        if any(m.prefix == mount.prefix for m in self.mounts):
            raise ValueError(f"{mount.prefix} mounted twice")
        self.mounts.append(mount)

    def install(self, app: web.Application) -> None:
        """Add every declared route to ``app``'s router, guarded, and check it on startup."""
        for route in self.routes:
            guarded = _guarded(route)
            self._installed.add(guarded)
            app.router.add_route(route.method, route.path, guarded)
        for mount in self.mounts:
            # Before add_subapp, which freezes the sub-application's middlewares.
            mount.app.middlewares.append(mount.guard())
            app.add_subapp(mount.prefix, mount.app)
        app.on_startup.append(self._check)

    def undeclared(self, app: web.Application) -> list[str]:
        """Routes of ``app`` that did not come from a declaration ("METHOD path")."""
        mounted = {id(r) for m in self.mounts for r in m.app.router.routes()}
        return [f"{r.method} {r.resource.canonical if r.resource else '?'}"
                for r in app.router.routes()
                if r.handler not in self._installed and id(r) not in mounted]

    async def _check(self, app: web.Application) -> None:
        missing = self.undeclared(app)
        if missing:
            raise UndeclaredRouteError(
                "routes without a declared permission (declare them through the Api): "
                + ", ".join(missing))
