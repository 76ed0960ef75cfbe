"""Inbound routing: the numbers a tenant owns, where each one goes, and IVR flows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.db.models.base import NAME_LEN, NUMBER_LEN, Base, TenantOwned, created_at_column

# Which foreign key holds the target of each kind of route (voicemail: the queue's box).
ROUTE_TARGET_COLUMNS = {
    "queue": "target_queue_id",
    "voicemail": "target_queue_id",
    "ivr": "target_ivr_flow_id",
    "agent": "target_agent_id",
}


def _only(kind: str, column: str) -> str:
    """SQL: the route is of ``kind`` and only ``column`` of the target columns is set."""
    nulls = " AND ".join(
        f"{c} IS NULL" for c in sorted(set(ROUTE_TARGET_COLUMNS.values())) if c != column
    )
    return f"({column} IS NOT NULL AND {nulls} AND target_kind = '{kind}')"


class Did(TenantOwned, Base):
    """A phone number (E.164) the operator routes to one tenant; globally unique."""

    __tablename__ = "dids"
    __table_args__ = (UniqueConstraint("number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(NUMBER_LEN))
    description: Mapped[str | None] = mapped_column(String(NAME_LEN))


class InboundRoute(TenantOwned, Base):
    """Where calls to one DID go: an IVR flow, a queue, an agent, or a queue's voicemail.

    The target is one of three foreign keys (a CHECK says which one matches the kind), so
    the database itself refuses to delete a queue, flow or agent a number still routes to
    (NO ACTION: checked at the end of the statement, so deleting a whole tenant works).
    """

    __tablename__ = "inbound_routes"
    __table_args__ = (
        UniqueConstraint("did_id"),
        CheckConstraint(
            " OR ".join(_only(kind, col) for kind, col in ROUTE_TARGET_COLUMNS.items()),
            name="target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    did_id: Mapped[int] = mapped_column(ForeignKey("dids.id", ondelete="CASCADE"))
    target_kind: Mapped[str] = mapped_column(String(16))
    target_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"), index=True)
    target_ivr_flow_id: Mapped[int | None] = mapped_column(
        ForeignKey("ivr_flows.id"), index=True
    )
    target_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)


class IvrFlow(TenantOwned, Base):
    """A named IVR flow; what callers hear is its active version (none until activated)."""

    __tablename__ = "ivr_flows"
    __table_args__ = (UniqueConstraint("tenant", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    # A cycle with ivr_flow_versions.flow_id; use_alter lets PostgreSQL add it after both
    # tables exist. Versions only disappear with their flow, so no ON DELETE is needed.
    active_version_id: Mapped[int | None] = mapped_column(
        ForeignKey(
            "ivr_flow_versions.id",
            use_alter=True,
            name="fk_ivr_flows_active_version_id_ivr_flow_versions",
        )
    )
    created_at: Mapped[datetime] = created_at_column()


class IvrFlowVersion(TenantOwned, Base):
    """One published version of a flow: an immutable JSON tree, numbered 1, 2, 3...

    Immutable by contract: the repository has no update for it; a change is a new version.
    """

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (
        UniqueConstraint("flow_id", "version"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("ivr_flows.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
