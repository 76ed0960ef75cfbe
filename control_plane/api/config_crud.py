"""Generic list / read / create / change / delete routes over a repository's ``Crud`` spec.

Each configuration resource (teams, agents, queues...) is one :class:`Resource`: its spec,
its pydantic models (create, patch, view), its permissions and any object-level narrowing.
:func:`declare` turns it into five declared routes. The tenant always comes from the
principal; only the operator names one (``?tenant=``), and must.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, create_model

from control_plane.api.config_db import CONFIG_DB
from control_plane.api.errors import Conflict, InvalidQuery, PermissionDenied, ResourceNotFound
from control_plane.api.routes import Handler, RouteTable, body, principal, query, reply
from control_plane.auth.principal import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from control_plane.db.repos.crud import Crud

MAX_PAGE = 200
TENANT_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"

V = TypeVar("V", bound=BaseModel)


class TenantQuery(BaseModel):
    """The tenant to act in: the operator names it; everyone else acts in their own."""

    model_config = ConfigDict(extra="forbid")

    tenant: str | None = Field(default=None, min_length=1, max_length=64, pattern=TENANT_SLUG,
                               description="operator (super_admin) only, and required for "
                                           "them; others always act in their own tenant")


class ListQuery(TenantQuery):
    """One page of a list: at most ``MAX_PAGE`` rows from ``offset``."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0)


class PageOf(BaseModel, Generic[V]):
    """One page of rows, in id order, with the total and where the next page starts."""

    items: list[V]
    limit: int
    offset: int
    total: int
    next_offset: int | None


def acting_tenant(who: Principal, requested: str | None) -> str:
    """The tenant this request acts in (see :class:`TenantQuery`)."""
    if who.is_operator:
        if requested is None:
            raise InvalidQuery("invalid query parameter: tenant: the operator must name the "
                               "tenant", details={"field": "tenant", "errors": [{
                                   "field": "tenant", "message": "required for the operator",
                                   "type": "missing"}]})
        return requested
    if requested not in (None, who.tenant) or who.tenant is None:
        raise PermissionDenied("only the operator acts in another tenant",
                               details={"field": "tenant"})
    return who.tenant


def request_tenant(request: web.Request) -> str:
    """The acting tenant of a request whose route declared a :class:`TenantQuery` query."""
    return acting_tenant(principal(request), query(request, TenantQuery).tenant)


def path_id(request: web.Request, name: str = "id") -> int:
    """An integer path parameter (the route's pattern guarantees the digits)."""
    return int(request.match_info[name])


def patch_of(model: type[BaseModel], *, exclude: tuple[str, ...] = ()) -> type[BaseModel]:
    """The PATCH body of ``model``: every field optional, none required; ``exclude`` lists
    fields fixed at creation (sending them is refused as an unknown field)."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        annotation = info.rebuild_annotation()
        fields[name] = (annotation | None, Field(default=None, description=info.description))
    patch: type[BaseModel] = create_model(
        f"{model.__name__}Patch", __config__=ConfigDict(extra="forbid"), __doc__=(
            f"Fields of {model.__name__} to change (absent fields stay as they are)."),
        **fields)
    return patch


RowCheck = Callable[[Principal, Any], None]


@dataclass(frozen=True)
class Resource:
    """One configuration resource and how its routes behave.

    ``where`` gives list filters the caller's role forces (None: the caller sees nothing,
    e.g. a team lead without a team); ``check_row`` narrows single rows the same way;
    ``prepare`` adds what the server decides to a create (an author id).
    """

    path: str
    spec: Crud[Any]
    view: type[BaseModel]
    create: type[BaseModel]
    patch: type[BaseModel]
    read: str
    write: str
    tag: str
    filters: Mapping[str, Any] = field(default_factory=dict)
    where: Callable[[Principal], dict[str, Any] | None] | None = None
    check_row: RowCheck | None = None
    prepare: Callable[[Principal, dict[str, Any]], dict[str, Any]] | None = None
    singular: str = ""
    plural: str = ""

    @property
    def noun(self) -> str:
        """The singular word in summaries (``queue``)."""
        return self.singular or self.path.rstrip("s").replace("-", " ")

    @property
    def nouns(self) -> str:
        """The plural word in summaries (``queues``)."""
        return self.plural or self.path.replace("-", " ")

    @property
    def ident(self) -> str:
        """The name part of the operation ids (``pause_reasons``)."""
        return self.path.replace("-", "_").replace("/", "_")


def _named(handler: Handler, name: str, doc: str) -> Handler:
    handler.__name__ = name
    handler.__qualname__ = name
    handler.__doc__ = doc
    return handler


def _view(res: Resource, who: Principal, row: Any) -> BaseModel:
    if res.check_row is not None:
        res.check_row(who, row)
    return res.view.model_validate(row, from_attributes=True)


def declare(table: RouteTable, res: Resource) -> None:
    """Declare the five routes of ``res`` on ``table``."""
    base = f"/api/v1/{res.path}"
    one = base + r"/{id:\d+}"
    page_model = PageOf[res.view]  # type: ignore[name-defined]
    list_query: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{res.ident.title().replace('_', '')}ListQuery", __base__=ListQuery,
        **{name: (kind | None, Field(default=None, description=f"only rows with this {name}"))
           for name, kind in res.filters.items()})

    async def list_rows(request: web.Request) -> web.Response:
        who, q = principal(request), query(request, ListQuery)
        tenant = acting_tenant(who, q.tenant)
        where = {n: getattr(q, n) for n in res.filters if getattr(q, n) is not None}
        if res.where is not None:
            forced = res.where(who)
            if forced is None:
                return reply(page_model(items=[], limit=q.limit, offset=q.offset, total=0,
                                        next_offset=None))
            where.update(forced)

        def work(s: Session) -> BaseModel:
            page = res.spec.list(s, tenant, limit=q.limit, offset=q.offset, where=where)
            return page_model(items=[_view(res, who, r) for r in page.items], limit=page.limit,
                              offset=page.offset, total=page.total,
                              next_offset=page.next_offset)
        return reply(await request.app[CONFIG_DB].run(work))

    async def get_row(request: web.Request) -> web.Response:
        who, tenant, key = principal(request), request_tenant(request), path_id(request)
        return reply(await request.app[CONFIG_DB].run(
            lambda s: _view(res, who, res.spec.get(s, tenant, key))))

    async def create_row(request: web.Request) -> web.Response:
        who, tenant = principal(request), request_tenant(request)
        data = body(request, res.create).model_dump(exclude_unset=True)
        if res.prepare is not None:
            data = res.prepare(who, data)
        return reply(await request.app[CONFIG_DB].run(
            lambda s: _view(res, who, res.spec.create(s, tenant, data))), status=201)

    async def update_row(request: web.Request) -> web.Response:
        who, tenant, key = principal(request), request_tenant(request), path_id(request)
        changes = body(request, res.patch).model_dump(exclude_unset=True)

        def work(s: Session) -> BaseModel:
            if res.check_row is not None:
                res.check_row(who, res.spec.get(s, tenant, key))
            return _view(res, who, res.spec.update(s, tenant, key, changes))
        return reply(await request.app[CONFIG_DB].run(work))

    async def delete_row(request: web.Request) -> web.Response:
        who, tenant, key = principal(request), request_tenant(request), path_id(request)

        def work(s: Session) -> None:
            if res.check_row is not None:
                res.check_row(who, res.spec.get(s, tenant, key))
            res.spec.delete(s, tenant, key)
        await request.app[CONFIG_DB].run(work)
        return web.Response(status=204)

    tags, noun, ident = (res.tag,), res.noun, res.ident
    table.get(base, permission=res.read, summary=f"List {res.nouns}", tags=tags,
              query=list_query, response=page_model)(
        _named(list_rows, f"list_{ident}", f"One page of the tenant's {res.nouns}."))
    table.get(one, permission=res.read, summary=f"Read a {noun}", tags=tags,
              query=TenantQuery, response=res.view, errors=(ResourceNotFound,))(
        _named(get_row, f"get_{ident}", f"One {noun} of the tenant."))
    table.post(base, permission=res.write, summary=f"Create a {noun}", tags=tags,
               query=TenantQuery, body=res.create, response=res.view, status=201,
               errors=(Conflict,))(
        _named(create_row, f"create_{ident}", f"Add a {noun} to the tenant."))
    table.route("PATCH", one, permission=res.write, summary=f"Change a {noun}", tags=tags,
                query=TenantQuery, body=res.patch, response=res.view,
                errors=(ResourceNotFound, Conflict))(
        _named(update_row, f"update_{ident}", f"Change some fields of a {noun}."))
    table.route("DELETE", one, permission=res.write, summary=f"Delete a {noun}", tags=tags,
                query=TenantQuery, status=204, errors=(ResourceNotFound, Conflict))(
        _named(delete_row, f"delete_{ident}", f"Delete a {noun} (refused while in use)."))
