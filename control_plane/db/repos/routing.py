"""Inbound routes (which DID goes where) and IVR flow versions (publish, activate)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import Conflict, NotFound, ValidationFailed
from control_plane.db.models.routing import ROUTE_TARGET_COLUMNS
from control_plane.db.repos.base import Page, flush, get_owned, paginate, translated
from control_plane.db.repos.fields import Field, check_value, e164
from control_plane.db.vocab import ROUTE_TARGETS

MAX_FLOW_BYTES = 256 * 1024  # a flow document is a tree of menus, not a media file
_TARGET_MODELS: dict[str, type[m.Queue | m.IvrFlow | m.Agent]] = {
    "queue": m.Queue, "voicemail": m.Queue, "ivr": m.IvrFlow, "agent": m.Agent,
}
_KIND = Field(str, choices=ROUTE_TARGETS)
_NUMBER = Field(str, check=e164)


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a call to a number goes: the tenant and one target."""

    tenant: str
    did_id: int
    kind: str
    target_id: int


def route_target(route: m.InboundRoute) -> tuple[str, int]:
    """The (kind, id) a route points at."""
    target = getattr(route, ROUTE_TARGET_COLUMNS[route.target_kind])
    return route.target_kind, int(target)


def set_route(
    session: Session, tenant: str, *, did_id: int, kind: str, target_id: int
) -> m.InboundRoute:
    """Route a DID of the tenant to a target of the same tenant (replacing any route)."""
    kind = check_value("kind", _KIND, kind)
    get_owned(session, m.Did, tenant, did_id)
    try:
        get_owned(session, _TARGET_MODELS[kind], tenant, target_id)
    except NotFound:
        raise ValidationFailed(
            "target_id", f"no {kind} target {target_id} in this tenant"
        ) from None
    with translated():
        route = session.scalars(
            select(m.InboundRoute).where(m.InboundRoute.did_id == did_id)
        ).one_or_none()
    if route is None:
        route = m.InboundRoute(tenant=tenant, did_id=did_id)
        session.add(route)
    route.target_kind = kind
    for column in set(ROUTE_TARGET_COLUMNS.values()):
        setattr(route, column, target_id if column == ROUTE_TARGET_COLUMNS[kind] else None)
    flush(session)
    return route


def clear_route(session: Session, tenant: str, *, did_id: int) -> bool:
    """Remove the DID's route (calls to it are then refused); False if it had none."""
    get_owned(session, m.Did, tenant, did_id)
    with translated():
        route = session.scalars(
            select(m.InboundRoute).where(m.InboundRoute.did_id == did_id)
        ).one_or_none()
    if route is None:
        return False
    session.delete(route)
    flush(session)
    return True


def resolve_number(session: Session, number: str) -> Destination | None:
    """Where a call to ``number`` goes, whatever the tenant (the call controller asks);
    None when the number is not ours or not routed."""
    number = check_value("number", _NUMBER, number)
    with translated():
        found = session.execute(
            select(m.Did, m.InboundRoute)
            .join(m.InboundRoute, m.InboundRoute.did_id == m.Did.id)
            .where(m.Did.number == number)
        ).one_or_none()
    if found is None:
        return None
    did, route = found
    kind, target = route_target(route)
    return Destination(tenant=did.tenant, did_id=did.id, kind=kind, target_id=target)


def publish_version(
    session: Session,
    tenant: str,
    *,
    flow_id: int,
    document: dict[str, Any],
    created_by: int | None = None,
    validate: Callable[[dict[str, Any]], None] | None = None,
) -> m.IvrFlowVersion:
    """Store ``document`` as the flow's next version (not active until activated).

    ``validate`` is the IVR core's validator (it raises ValidationFailed, or ValueError
    which is reported on the ``document`` field); versions are never edited afterwards.
    """
    flow = get_owned(session, m.IvrFlow, tenant, flow_id)
    if not isinstance(document, dict):
        raise ValidationFailed("document", "must be a JSON object")
    try:
        size = len(json.dumps(document, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("document", f"not JSON: {exc}") from None
    if size > MAX_FLOW_BYTES:
        raise ValidationFailed("document", f"larger than {MAX_FLOW_BYTES} bytes")
    if validate is not None:
        try:
            validate(document)
        except ValueError as exc:
            raise ValidationFailed("document", str(exc)) from None
    if created_by is not None:
        _check_author(session, tenant, created_by)
    with translated():
        last = session.scalar(
            select(func.max(m.IvrFlowVersion.version)).where(m.IvrFlowVersion.flow_id == flow.id)
        )
    version = m.IvrFlowVersion(
        tenant=tenant, flow_id=flow.id, version=(last or 0) + 1, document=document,
        created_by=created_by,
    )
    session.add(version)
    # Two publishers racing get the same number; the unique key makes one of them Conflict.
    flush(session)
    return version


def _check_author(session: Session, tenant: str, user_id: int) -> None:
    with translated():
        user = session.get(m.User, user_id)
    if user is None or user.tenant not in (tenant, None):
        raise ValidationFailed("created_by", f"no user {user_id} in this tenant")


def activate_version(session: Session, tenant: str, *, flow_id: int, version: int) -> m.IvrFlow:
    """Make ``version`` what callers of the flow hear from now on (rollback included)."""
    flow = get_owned(session, m.IvrFlow, tenant, flow_id)
    row = _version(session, flow.id, version)
    flow.active_version_id = row.id
    flush(session)
    return flow


def active_document(session: Session, tenant: str, *, flow_id: int) -> tuple[int, dict[str, Any]]:
    """The (version number, document) callers of the flow hear; Conflict if none is active."""
    flow = get_owned(session, m.IvrFlow, tenant, flow_id)
    if flow.active_version_id is None:
        raise Conflict("ivr_flows.active_version_id", f"flow {flow_id} has no active version")
    with translated():
        row = session.get(m.IvrFlowVersion, flow.active_version_id)
    if row is None:  # pragma: no cover - the foreign key forbids it
        raise NotFound("ivr_flow_versions", flow.active_version_id)
    return row.version, row.document


def get_version(session: Session, tenant: str, *, flow_id: int, version: int) -> m.IvrFlowVersion:
    """One version of a flow of the tenant."""
    flow = get_owned(session, m.IvrFlow, tenant, flow_id)
    return _version(session, flow.id, version)


def list_versions(
    session: Session, tenant: str, *, flow_id: int, limit: int = 50, offset: int = 0
) -> Page[m.IvrFlowVersion]:
    """The flow's versions, newest first."""
    flow = get_owned(session, m.IvrFlow, tenant, flow_id)
    stmt = (
        select(m.IvrFlowVersion)
        .where(m.IvrFlowVersion.flow_id == flow.id)
        .order_by(m.IvrFlowVersion.version.desc())
    )
    return paginate(session, stmt, limit=limit, offset=offset)


def _version(session: Session, flow_id: int, version: int) -> m.IvrFlowVersion:
    with translated():
        row = session.scalars(
            select(m.IvrFlowVersion).where(
                m.IvrFlowVersion.flow_id == flow_id, m.IvrFlowVersion.version == version
            )
        ).one_or_none()
    if row is None:
        raise NotFound("ivr_flow_versions", f"{flow_id}/v{version}")
    return row
