"""The SQL adapter of the controller's configuration source
(:class:`control_plane.calls.live_rows.CenterSource`): one tenant's committed queues,
agents, numbers and active IVR flows as plain rows, read in one short transaction.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from control_plane.calls.live_rows import AgentRow, FlowRow, QueueRow, RouteRow, TenantRows
from control_plane.db import models as m
from control_plane.db.models.routing import ROUTE_TARGET_COLUMNS
from control_plane.db.repos.acd import QueueRecord, load_acd_config
from control_plane.db.repos.base import translated


class SqlCenterSource:
    """Reads the configuration database at ``engine`` (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def tenant_ids(self) -> list[str]:
        """Every tenant, by id."""
        with Session(self.engine) as session, translated():
            return list(session.scalars(select(m.Tenant.id).order_by(m.Tenant.id)))

    def read(self, tenant: str) -> TenantRows | None:
        """The tenant's configuration as the controller needs it; None if it is gone."""
        with Session(self.engine) as session, translated(), session.begin():
            if session.get(m.Tenant, tenant) is None:
                return None
            acd = load_acd_config(session, tenant)
            names = {q.id: q.name for q in acd.queues}
            queues = {q.name: _queue(q, names) for q in acd.queues}
            seats = _seats(session, tenant)
            agents = {str(a.id): AgentRow(str(a.id), a.name, seats.get(a.id, ""),
                                          dict(a.skills), a.max_concurrent_offers)
                      for a in acd.agents}
            return TenantRows(tenant, frozenset(acd.skills), frozenset(acd.pause_reasons),
                              queues, agents, _routes(session, tenant), _flows(session, tenant))


def _seats(session: Session, tenant: str) -> dict[int, str]:
    """The SIP user each agent's calls ring: their seat's, else their extension."""
    return {agent_id: str(user or extension or "")
            for agent_id, extension, user in session.execute(
                select(m.Agent.id, m.Agent.extension, m.Seat.sip_username)
                .outerjoin(m.Seat, m.Seat.id == m.Agent.seat_id)
                .where(m.Agent.tenant == tenant))}


def _queue(q: QueueRecord, names: dict[int, str]) -> QueueRow:
    s = q.settings
    target = s.get("overflow_target")
    if s.get("overflow_action") == "queue" and str(target or "").isdigit():
        target = names.get(int(str(target)))
    return QueueRow(
        name=q.name, strategy=str(s["strategy"]).replace("_", "-"), skills=dict(q.skills),
        sla_seconds=int(s["sla_target_seconds"]), sla_percent=int(s["sla_target_percent"]),
        ring_timeout_s=int(s["ring_timeout_seconds"]), wrap_up_s=int(s["wrap_up_seconds"]),
        announce_period_s=s.get("announce_period_seconds"),
        max_wait_s=s.get("max_wait_seconds"), max_length=s.get("max_length"),
        overflow_action=s.get("overflow_action"),
        overflow_target=None if target is None else str(target),
        callback_offer_s=s.get("callback_offer_seconds"))


def _routes(session: Session, tenant: str) -> dict[str, RouteRow]:
    # Comprehensions, not dict(result): a result is not a mapping.
    queues = {i: name for i, name in session.execute(
        select(m.Queue.id, m.Queue.name).where(m.Queue.tenant == tenant))}
    flows = {i: name for i, name in session.execute(
        select(m.IvrFlow.id, m.IvrFlow.name).where(m.IvrFlow.tenant == tenant))}
    routes: dict[str, RouteRow] = {}
    for number, route in session.execute(
            select(m.Did.number, m.InboundRoute)
            .join(m.InboundRoute, m.InboundRoute.did_id == m.Did.id)
            .where(m.Did.tenant == tenant)):
        kind = route.target_kind
        target = int(getattr(route, ROUTE_TARGET_COLUMNS[kind]))
        name = flows.get(target) if kind == "ivr" else \
            queues.get(target) if kind in ("queue", "voicemail") else str(target)
        if name is not None:
            routes[number] = RouteRow(number, kind, name)
    return routes


def _flows(session: Session, tenant: str) -> dict[str, FlowRow]:
    return {name: FlowRow(name, version, document)
            for name, version, document in session.execute(
                select(m.IvrFlow.name, m.IvrFlowVersion.version, m.IvrFlowVersion.document)
                .join(m.IvrFlowVersion, m.IvrFlowVersion.id == m.IvrFlow.active_version_id)
                .where(m.IvrFlow.tenant == tenant))}
