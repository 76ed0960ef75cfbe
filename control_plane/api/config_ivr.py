"""IVR flow versions: post a new version (a validated JSON document), read them, activate
one (what callers hear from then on, rollback included), read the active one.

A document is checked by the IVR core's own parser against the tenant's queue and prompt
names before it is stored, and refused with the path of the node and field at fault.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from control_plane.api.config_crud import (
    MAX_PAGE,
    PageOf,
    TenantQuery,
    acting_tenant,
    path_id,
    request_tenant,
)
from control_plane.api.config_db import CONFIG_DB
from control_plane.api.config_models import IvrFlowView
from control_plane.api.errors import Conflict, InvalidBody, ResourceNotFound
from control_plane.api.routes import RouteTable, body, principal, query, reply
from control_plane.db.repos import api_config, routing
from control_plane.db.repos import entities as e
from control_plane.ivr.flow import IvrFlowError, parse_flow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from control_plane.db import models as m

ROUTES = RouteTable()
_VERSIONS = r"/api/v1/ivr-flows/{id:\d+}/versions"
_ONE = _VERSIONS + r"/{version:\d+}"


class VersionIn(BaseModel):
    """A flow document (see control_plane.ivr.flow for its nodes)."""

    model_config = ConfigDict(extra="forbid")

    document: dict[str, Any] = Field(description="the flow: start, language, nodes")


class VersionView(BaseModel):
    """One published version of a flow."""

    model_config = ConfigDict(from_attributes=True)

    flow_id: int
    version: int
    document: dict[str, Any]
    created_by: int | None
    created_at: datetime


class VersionSummary(BaseModel):
    """A version in a list (without its document)."""

    model_config = ConfigDict(from_attributes=True)

    flow_id: int
    version: int
    created_by: int | None
    created_at: datetime


class VersionListQuery(TenantQuery):
    """One page of versions, newest first."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    offset: int = Field(default=0, ge=0)


class ActiveView(BaseModel):
    """What callers of a flow hear now."""

    flow_id: int
    version: int
    document: dict[str, Any]


VersionPage = PageOf[VersionSummary]


def _validated(session: Session, tenant: str, document: dict[str, Any]) -> None:
    queues, prompts = api_config.names_for_flows(session, tenant)
    try:
        parse_flow(document, known_queues=queues, known_prompts=prompts)
    except IvrFlowError as exc:
        # The parser says "$" for the document itself, "$.start" or "nodes.main.queue".
        inner = exc.path.removeprefix("$").lstrip(".")
        field = f"document.{inner}" if inner else "document"
        raise InvalidBody(f"invalid request body: {field}: {exc.message}", details={
            "field": field, "errors": [{"field": field, "message": exc.message,
                                        "type": "ivr_flow"}]}) from exc


@ROUTES.post(_VERSIONS, permission="ivr.write", summary="Publish a new IVR flow version",
             tags=("ivr",), query=TenantQuery, body=VersionIn, response=VersionView,
             status=201, errors=(ResourceNotFound, Conflict))
async def publish_ivr_version(request: web.Request) -> web.Response:
    """Validate the document and store it as the flow's next version (not yet active)."""
    who, tenant, flow_id = principal(request), request_tenant(request), path_id(request)
    document = body(request, VersionIn).document

    def work(s: Session) -> VersionView:
        e.ivr_flows.get(s, tenant, flow_id)  # 404 before any word about the document
        _validated(s, tenant, document)
        return VersionView.model_validate(routing.publish_version(
            s, tenant, flow_id=flow_id, document=document, created_by=who.user_id))
    return reply(await request.app[CONFIG_DB].run(work), status=201)


@ROUTES.get(_VERSIONS, permission="ivr.read", summary="List an IVR flow's versions",
            tags=("ivr",), query=VersionListQuery, response=VersionPage,
            errors=(ResourceNotFound,))
async def list_ivr_versions(request: web.Request) -> web.Response:
    """The flow's versions, newest first, without their documents."""
    q = query(request, VersionListQuery)
    tenant, flow_id = acting_tenant(principal(request), q.tenant), path_id(request)

    def work(s: Session) -> VersionPage:
        page = routing.list_versions(s, tenant, flow_id=flow_id, limit=q.limit, offset=q.offset)
        return VersionPage(items=[VersionSummary.model_validate(v) for v in page.items],
                           limit=page.limit, offset=page.offset, total=page.total,
                           next_offset=page.next_offset)
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.get(_ONE, permission="ivr.read", summary="Read an IVR flow version", tags=("ivr",),
            query=TenantQuery, response=VersionView, errors=(ResourceNotFound,))
async def get_ivr_version(request: web.Request) -> web.Response:
    """One version with its document."""
    tenant, flow_id, version = request_tenant(request), path_id(request), \
        path_id(request, "version")
    return reply(await request.app[CONFIG_DB].run(lambda s: VersionView.model_validate(
        routing.get_version(s, tenant, flow_id=flow_id, version=version))))


def _flow_view(row: m.IvrFlow) -> IvrFlowView:
    return IvrFlowView.model_validate(row)


@ROUTES.post(_ONE + "/activate", permission="ivr.write", summary="Activate an IVR version",
             tags=("ivr",), query=TenantQuery, response=IvrFlowView,
             errors=(ResourceNotFound,))
async def activate_ivr_version(request: web.Request) -> web.Response:
    """Make the version what callers hear from now on (an older one: a rollback).

    The document is checked again against the tenant's queues and prompts as they are now.
    """
    tenant, flow_id, version = request_tenant(request), path_id(request), \
        path_id(request, "version")

    def work(s: Session) -> IvrFlowView:
        row = routing.get_version(s, tenant, flow_id=flow_id, version=version)
        _validated(s, tenant, row.document)
        return _flow_view(routing.activate_version(s, tenant, flow_id=flow_id,
                                                   version=version))
    return reply(await request.app[CONFIG_DB].run(work))


@ROUTES.get(r"/api/v1/ivr-flows/{id:\d+}/active", permission="ivr.read",
            summary="Read the active IVR version", tags=("ivr",), query=TenantQuery,
            response=ActiveView, errors=(ResourceNotFound, Conflict))
async def get_active_ivr_version(request: web.Request) -> web.Response:
    """The version callers hear now; 409 while no version was activated."""
    tenant, flow_id = request_tenant(request), path_id(request)

    def work(s: Session) -> ActiveView:
        version, document = routing.active_document(s, tenant, flow_id=flow_id)
        return ActiveView(flow_id=flow_id, version=version, document=document)
    return reply(await request.app[CONFIG_DB].run(work))
