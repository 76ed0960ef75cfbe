"""Makes the configuration database know the tenants a center file names (the call
controller's records — recordings, voicemails — reference them)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from control_plane.db.models.tenancy import Tenant


def ensure_tenants(engine: Engine, tenants: Iterable[tuple[str, str]]) -> int:
    """Create each (id, time zone) tenant that does not exist yet; how many were created."""
    created = 0
    with Session(engine) as session, session.begin():
        known = set(session.scalars(select(Tenant.id)))
        for tenant_id, zone in tenants:
            if tenant_id not in known:
                session.add(Tenant(id=tenant_id, name=tenant_id, time_zone=zone))
                created += 1
    return created
