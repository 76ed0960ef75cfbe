"""What the call controller needs to know about the center: numbers, flows, queues, agents.

Read from a TOML file (the demo and the tests ship one); the database adapter produces the
same `CenterConfig` from the configuration tables. Everything is validated at load, so a
flow that names a missing queue or prompt is refused before a caller can reach it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from control_plane.acd.model import (
    AgentProfile,
    OverflowAction,
    OverflowKind,
    OverflowRules,
    QueueConfig,
    ServiceLevel,
    SkillRequirement,
    TenantConfig,
)
from control_plane.ivr.flow import Flow, IvrFlowError, parse_flow


class CenterConfigError(ValueError):
    """The center configuration is invalid; the message names the entry and field."""


@dataclass(frozen=True)
class Agent:
    """An agent of a tenant and the seat (SIP user) their calls ring."""

    tenant: str
    agent_id: str
    seat: str
    profile: AgentProfile
    auto_login: bool = True


@dataclass(frozen=True)
class Route:
    """A dialled number: its tenant and either an IVR flow or a queue."""

    number: str
    tenant: str
    flow: str | None = None
    queue: str | None = None


@dataclass(frozen=True)
class CenterConfig:
    """The whole center as the controller sees it."""

    domain: str
    tenants: Mapping[str, TenantConfig]
    queues: Mapping[tuple[str, str], QueueConfig]
    agents: tuple[Agent, ...]
    routes: Mapping[str, Route]
    flows: Mapping[tuple[str, str], Flow]
    languages: Mapping[str, str] = field(default_factory=dict)  # tenant → default language
    # (tenant, queue) → seconds of waiting after which the caller is offered a callback
    callback_offers: Mapping[tuple[str, str], float] = field(default_factory=dict)
    # (tenant, queue) → estimated wait (s) from which announcements offer a callback
    callback_offer_waits: Mapping[tuple[str, str], float] = field(default_factory=dict)
    recording_notice: Mapping[str, bool] = field(default_factory=dict)  # tenant → notice
    # (tenant, queue) → URL told of every new voicemail of the queue (POST JSON)
    voicemail_hooks: Mapping[tuple[str, str], str] = field(default_factory=dict)
    time_zones: Mapping[str, str] = field(default_factory=dict)

    def agent_by_seat(self, seat: str) -> Agent | None:
        """The agent whose calls ring ``seat``."""
        return next((a for a in self.agents if a.seat == seat), None)

    def agent(self, tenant: str, agent_id: str) -> Agent | None:
        """The agent ``agent_id`` of ``tenant``."""
        return next((a for a in self.agents if (a.tenant, a.agent_id) == (tenant, agent_id)),
                    None)


def _overflow(raw: Mapping[str, Any] | None, where: str) -> OverflowAction | None:
    if raw is None:
        return None
    try:
        return OverflowAction(kind=OverflowKind(raw["kind"]), target_queue=raw.get("queue"),
                              sip_code=int(raw.get("sip_code", 486)))
    except (KeyError, ValueError) as exc:
        raise CenterConfigError(f"{where}: overflow needs kind in "
                                f"{[k.value for k in OverflowKind]}: {exc}") from exc


def _queue(tenant: str, raw: Mapping[str, Any]) -> QueueConfig:
    where = f"queue {tenant}/{raw.get('id')}"
    try:
        skills = tuple(SkillRequirement(str(s["skill"]), int(s.get("min", 1)))
                       for s in raw.get("skills", []))
        return QueueConfig(
            tenant=tenant, queue_id=str(raw["id"]), skills=skills,
            strategy=str(raw.get("strategy", "longest-idle")),
            service_level=ServiceLevel(float(raw.get("sl_target", 0.8)),
                                       float(raw.get("sl_threshold_s", 20))),
            overflow=OverflowRules(
                max_wait_s=raw.get("max_wait_s"),
                on_max_wait=_overflow(raw.get("on_max_wait"), where),
                on_no_agents=_overflow(raw.get("on_no_agents"), where),
                max_offers=raw.get("max_offers"),
                on_max_offers=_overflow(raw.get("on_max_offers"), where),
            ),
            announce_period_s=raw.get("announce_period_s"),
            wrap_up_s=float(raw.get("wrap_up_s", 0)),
            ring_timeout_s=float(raw.get("ring_timeout_s", 15)),
            pause_on_no_answer=bool(raw.get("pause_on_no_answer", True)),
        )
    except CenterConfigError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CenterConfigError(f"{where}: {exc}") from exc


def _check_strategy(config: QueueConfig) -> None:
    from control_plane.acd.strategies import STRATEGIES

    if config.strategy not in STRATEGIES:
        raise CenterConfigError(f"queue {config.tenant}/{config.queue_id}: unknown strategy "
                                f"{config.strategy!r}; known: {sorted(STRATEGIES)}")


def _agent(raw: Mapping[str, Any], tenants: Mapping[str, TenantConfig]) -> Agent:
    where = f"agent {raw.get('id', '?')}"
    if raw.get("tenant") not in tenants:
        raise CenterConfigError(f"{where}: unknown tenant {raw.get('tenant')!r}")
    skills = raw.get("skills", {})
    if not isinstance(skills, Mapping):
        raise CenterConfigError(f"{where}: skills must be a table of skill = proficiency")
    try:
        profile = AgentProfile(skills={str(k): int(v) for k, v in skills.items()},
                               order=int(raw.get("order", 0)),
                               weight=float(raw.get("weight", 1)))
        return Agent(str(raw["tenant"]), str(raw["id"]), str(raw["seat"]), profile,
                     bool(raw.get("auto_login", True)))
    except KeyError as exc:
        raise CenterConfigError(f"{where}: missing field {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise CenterConfigError(f"{where}: {exc}") from exc


def _route(raw: Mapping[str, Any], routes: Mapping[str, Route]) -> Route:
    where = f"route {raw.get('number', '?')}"
    try:
        route = Route(str(raw["number"]), str(raw["tenant"]), raw.get("flow"),
                      raw.get("queue"))
    except KeyError as exc:
        raise CenterConfigError(f"{where}: missing field {exc}") from exc
    if (route.flow is None) == (route.queue is None):
        raise CenterConfigError(f"{where}: needs exactly one of flow or queue")
    if route.number in routes:
        raise CenterConfigError(f"{where}: the number is routed twice")
    return route


def parse_center(raw: Mapping[str, Any], *, prompts: frozenset[str] | None = None,
                 base: Path | None = None) -> CenterConfig:
    """Build and validate the center from its TOML/JSON document."""
    tenants: dict[str, TenantConfig] = {}
    languages: dict[str, str] = {}
    queues: dict[tuple[str, str], QueueConfig] = {}
    callback_offers: dict[tuple[str, str], float] = {}
    hooks: dict[tuple[str, str], str] = {}
    offer_waits: dict[tuple[str, str], float] = {}
    notices: dict[str, bool] = {}
    zones: dict[str, str] = {}
    for t in raw.get("tenant", []):
        tid = str(t["id"])
        tenants[tid] = TenantConfig(tenant_id=tid, skills=frozenset(t.get("skills", [])))
        languages[tid] = str(t.get("language", "en"))
        notices[tid] = bool(t.get("recording_notice", False))
        zones[tid] = str(t.get("time_zone", "UTC"))
        for q in t.get("queue", []):
            cfg = _queue(tid, q)
            _check_strategy(cfg)
            queues[(tid, cfg.queue_id)] = cfg
            hook = q.get("voicemail_hook")
            if hook is not None:
                if not str(hook).startswith(("http://", "https://")):
                    raise CenterConfigError(f"queue {tid}/{cfg.queue_id}: voicemail_hook must "
                                            "be an http(s) URL")
                hooks[(tid, cfg.queue_id)] = str(hook)
            if q.get("callback_offer_when_wait_s") is not None:
                offer_waits[(tid, cfg.queue_id)] = float(q["callback_offer_when_wait_s"])
            if q.get("callback_offer_after_s") is not None:
                callback_offers[(tid, cfg.queue_id)] = float(q["callback_offer_after_s"])
    agents = [_agent(a, tenants) for a in raw.get("agent", [])]
    flows: dict[tuple[str, str], Flow] = {}
    for f in raw.get("flow", []):
        tid, name = str(f["tenant"]), str(f["name"])
        doc = f.get("document")
        if doc is None and "file" in f:
            doc = tomllib.loads((base or Path.cwd()).joinpath(f["file"]).read_text())
        known = frozenset(q for (t, q) in queues if t == tid)
        try:
            flows[(tid, name)] = parse_flow(doc, known_queues=known, known_prompts=prompts)
        except IvrFlowError as exc:
            raise CenterConfigError(f"flow {tid}/{name}: {exc}") from exc
    routes: dict[str, Route] = {}
    for r in raw.get("route", []):
        route = _route(r, routes)
        if route.flow is not None and (route.tenant, route.flow) not in flows:
            raise CenterConfigError(f"route {route.number}: unknown flow {route.flow!r}")
        if route.queue is not None and (route.tenant, route.queue) not in queues:
            raise CenterConfigError(f"route {route.number}: unknown queue {route.queue!r}")
        routes[route.number] = route
    return CenterConfig(str(raw.get("domain", "cc.local")), tenants, queues, tuple(agents),
                        routes, flows, languages=languages, callback_offers=callback_offers,
                        recording_notice=notices, time_zones=zones, voicemail_hooks=hooks,
                        callback_offer_waits=offer_waits)


def load_center(path: Path, *, prompts: frozenset[str] | None = None) -> CenterConfig:
    """Read and validate the center file at ``path``."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CenterConfigError(f"center file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CenterConfigError(f"center file {path}: not valid TOML: {exc}") from exc
    try:
        return parse_center(raw, prompts=prompts, base=path.parent)
    except KeyError as exc:
        raise CenterConfigError(f"center file {path}: missing field {exc}") from exc
    except CenterConfigError as exc:
        raise CenterConfigError(f"center file {path}: {exc}") from exc
