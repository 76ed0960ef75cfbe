"""Contact-center KPIs with their industry definitions, bucketed in the tenant's zone."""

from analytics.kpis.query import DEFAULT_TZ, Dimension, Grain, KpiQuery, Source
from analytics.kpis.results import AgentTime, FirstContactResolution, QueueKpis
from analytics.kpis.service import agent_time, first_contact_resolution, queue_kpis

__all__ = [
    "DEFAULT_TZ",
    "AgentTime",
    "Dimension",
    "FirstContactResolution",
    "Grain",
    "KpiQuery",
    "QueueKpis",
    "Source",
    "agent_time",
    "first_contact_resolution",
    "queue_kpis",
]
