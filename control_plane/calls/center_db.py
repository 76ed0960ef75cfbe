"""The center file and the configuration database agree on tenants, skills, queues and
agents: the file seeds what the database lacks, and the controller then names agents by
their database ids, as the API, the desk and the live events do."""

from __future__ import annotations

import dataclasses

from sqlalchemy import Engine

from control_plane.calls.center import CenterConfig
from control_plane.db.repos.center_seed import SeedAgent, SeedCenter, SeedQueue, seed_center


def seed_of(center: CenterConfig) -> SeedCenter:
    """What of ``center`` the database should hold."""
    queues = tuple(
        SeedQueue(tenant=t, name=q, strategy=cfg.strategy,
                  skills={r.skill: r.min_proficiency for r in cfg.skills},
                  ring_timeout_s=cfg.ring_timeout_s, wrap_up_s=cfg.wrap_up_s,
                  sl_threshold_s=cfg.service_level.threshold_s,
                  sl_target=cfg.service_level.target,
                  announce_period_s=cfg.announce_period_s)
        for (t, q), cfg in center.queues.items())
    agents = tuple(SeedAgent(a.tenant, a.agent_id, a.seat, dict(a.profile.skills))
                   for a in center.agents)
    return SeedCenter(tenants={t: center.time_zones.get(t, "UTC") for t in center.tenants},
                      skills={t: sorted(c.skills) for t, c in center.tenants.items()},
                      queues=queues, agents=agents,
                      pause_reasons={t: sorted(c.pause_reasons)
                                     for t, c in center.tenants.items()})


def bound_to_database(engine: Engine, center: CenterConfig) -> CenterConfig:
    """Seed the database from ``center``; the same center with agents named by their ids."""
    ids = seed_center(engine, seed_of(center))
    agents = tuple(dataclasses.replace(a, agent_id=str(ids[(a.tenant, a.agent_id)]))
                   for a in center.agents)
    return dataclasses.replace(center, agents=agents)
