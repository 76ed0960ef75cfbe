"""The dashboard as an aiohttp sub-application: the page, its assets and the JSON API.

Mounted by the composition root (``app.add_subapp("/bi/", create_dashboard_app(...))``),
which injects the query engine and the principal function. Queries run in a worker thread
(both engines are blocking clients with their own lock), one view per request.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from analytics.dashboard import audit, kpi_views, rollup_views
from analytics.dashboard.errors import (
    ASSETS_MISSING,
    ENGINE_UNAVAILABLE,
    NOT_FOUND,
    DashboardError,
    invalid,
)
from analytics.dashboard.params import (
    KPI_PARAMS,
    SCOPE_PARAMS,
    QueryParams,
    instant,
    kpi_filters,
    scope,
    tenant_of,
    zone,
)
from analytics.dashboard.principal import Principal, PrincipalFn, resolve
from analytics.dashboard.staffing_view import StaffingAsk, staffing
from analytics.forecast import StaffingTarget
from analytics.kpis import Grain
from analytics.kpis.service import KpiEngine
from analytics.sink.backend import BackendError

STATIC_DIR = Path(__file__).parent / "static"
ECHARTS = Path(__file__).resolve().parents[2] / "node_modules/echarts/dist/echarts.min.js"
"""Installed by ``npm ci`` (.ci/bootstrap.sh) from the repository's package-lock.json."""

ENGINE: web.AppKey[KpiEngine] = web.AppKey("bi_engine")
PRINCIPAL: web.AppKey[PrincipalFn] = web.AppKey("bi_principal")

log = structlog.get_logger(__name__)
Json = dict[str, Any]
View = Callable[[web.Request, Principal], Awaitable[Json]]

_THRESHOLDS = frozenset({"sl", "short_abandon"})


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such figures are unknown (null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _api(view: View) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Principal first (401/403 before any parameter is read), then the view, as JSON."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            principal = await resolve(request.app[PRINCIPAL], request)
            payload = await view(request, principal)
        except DashboardError as exc:
            return exc.response()
        except BackendError as exc:
            # The engine's text stays in the log: it quotes SQL and internal addresses.
            log.warning("bi query failed", path=request.path, error=str(exc))
            return DashboardError(ENGINE_UNAVAILABLE,
                                  "the analytics engine could not answer; try again").response()
        return web.json_response(_finite(payload))

    handler.__doc__ = view.__doc__
    return handler


def _run(request: web.Request, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    return asyncio.to_thread(fn, request.app[ENGINE], *args, **kw)


async def me(request: web.Request, principal: Principal) -> Json:
    """Who is reading, and the tenants they may pick."""
    QueryParams(request.query, ())
    if principal.tenant is not None:
        tenants = [principal.tenant]
    else:
        tenants = await asyncio.to_thread(rollup_views.tenants, request.app[ENGINE])
    return {"operator": principal.is_operator, "tenant": principal.tenant,
            "no_pii": principal.no_pii, "tenants": tenants}


async def meta(request: web.Request, principal: Principal) -> Json:
    """A tenant's queues and the span of its data (the page's default range)."""
    p = QueryParams(request.query, {"tenant", "tz"})
    result: Json = await _run(request, rollup_views.queues_and_span,
                              tenant_of(p, principal), zone(p))
    return result


async def trends(request: web.Request, principal: Principal) -> Json:
    """KPI series: service level, ASA, AHT, abandonment, offered per bucket."""
    p = QueryParams(request.query, KPI_PARAMS | {"by_queue"})
    f = kpi_filters(p, principal)
    result: Json = await _run(request, kpi_views.trends, f, by_queue=p.flag("by_queue"))
    return result


async def heatmap(request: web.Request, principal: Principal) -> Json:
    """Service level by local weekday × hour."""
    p = QueryParams(request.query, SCOPE_PARAMS | _THRESHOLDS)
    f = kpi_filters(p, principal, grain_default=Grain.MONTH)
    result: Json = await _run(request, rollup_views.heatmap, f)
    return result


async def abandonment(request: web.Request, principal: Principal) -> Json:
    """Abandonment against waiting: by intervals' speed of answer, and by wait thresholds."""
    p = QueryParams(request.query, SCOPE_PARAMS | {"bin_s"})
    f = kpi_filters(p, principal, grain_default=Grain.MONTH)
    bin_s = p.integer("bin_s", 10, 1, 600)
    result: Json = await _run(request, rollup_views.abandonment_curve, f, bin_s=bin_s)
    return result


async def agents(request: web.Request, principal: Principal) -> Json:
    """The agent league table over the range."""
    p = QueryParams(request.query, SCOPE_PARAMS | _THRESHOLDS | {"limit"})
    f = kpi_filters(p, principal, grain_default=Grain.MONTH)
    limit = p.integer("limit", 100, 1, 1000)
    result: Json = await _run(request, kpi_views.league, f, limit=limit)
    return result


async def decisions(request: web.Request, principal: Principal) -> Json:
    """Routing decisions of a range, narrowed by queue, call or chosen agent, newest first."""
    p = QueryParams(request.query, SCOPE_PARAMS | {"call_id", "agent", "limit"})
    s = scope(p, principal)
    result: Json = await _run(request, audit.list_decisions, s, call_id=p.label("call_id"),
                              agent=p.label("agent"), limit=p.integer("limit", 100, 1, 1000))
    return result


async def decision(request: web.Request, principal: Principal) -> Json:
    """One decision: candidates ranked by score, the rule that fired, the call's segments."""
    p = QueryParams(request.query, {"tenant", "tz", "at"})
    decision_id = request.match_info["decision_id"]
    tenant, tz = tenant_of(p, principal), zone(p)
    at = p.integer("at", -1, 0, 2**32 - 1)
    found: Json | None = await _run(
        request, audit.decision_detail, tenant=tenant, decision_id=decision_id, tz=tz,
        at=None if at < 0 else at, no_pii=principal.no_pii)
    if found is None:
        raise DashboardError(NOT_FOUND, f"no routing decision {decision_id!r} in this tenant")
    return found


async def staffing_view(request: web.Request, principal: Principal) -> Json:
    """Forecast volume and AHT per interval and the agents Erlang C and A ask for."""
    p = QueryParams(request.query, {"tenant", "tz", "queue", "day", "days", "weeks",
                                    "service_level", "target_s", "shrinkage",
                                    "max_occupancy", "patience_s"})
    tenant, tz = tenant_of(p, principal), zone(p)
    day = instant(p, "day", tz)
    if day != _midnight(day):
        raise invalid("day", "a date (local midnight)")
    target = StaffingTarget(
        service_level=p.number("service_level", 0.8, 0.01, 0.99),
        target_s=p.number("target_s", 20, 0, 3600),
        shrinkage=p.number("shrinkage", 0.3, 0, 0.9),
        max_occupancy=p.number("max_occupancy", 0.9, 0.1, 1))
    ask = StaffingAsk(tenant=tenant, day=day, days=p.integer("days", 1, 1, 7), tz=tz,
                      queues=p.labels("queue"), weeks=p.integer("weeks", 4, 1, 12),
                      target=target, patience_s=p.number("patience_s", 120, 1, 3600))
    result: Json = await _run(request, staffing, ask)
    return result


def _midnight(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


async def page(request: web.Request) -> web.StreamResponse:
    """The dashboard page (public: it holds no data; the API checks the principal)."""
    return web.FileResponse(STATIC_DIR / "index.html",
                            headers={"Cache-Control": "no-cache"})


async def echarts(request: web.Request) -> web.StreamResponse:
    """ECharts from node_modules (no build step: ``npm ci`` is the install)."""
    if not ECHARTS.is_file():
        return DashboardError(ASSETS_MISSING, f"{ECHARTS} is missing: run `npm ci` at the "
                              "repository root (make install does)").response()
    return web.FileResponse(ECHARTS, headers={"Cache-Control": "max-age=3600"})


def create_dashboard_app(*, queries: KpiEngine, principal: PrincipalFn) -> web.Application:
    """The BI dashboard sub-application over ``queries`` (chDB or ClickHouse server).

    ``principal`` turns a request into a :class:`Principal` (or raises 401/403); the
    tenant a reader sees comes from it, never from the query string unless operator.
    """
    app = web.Application()
    app[ENGINE] = queries
    app[PRINCIPAL] = principal
    app.router.add_get("/", page)
    app.router.add_get("/vendor/echarts.min.js", echarts)
    app.router.add_static("/static", STATIC_DIR)
    for path, view in (("me", me), ("meta", meta), ("trends", trends), ("heatmap", heatmap),
                       ("abandonment", abandonment), ("agents", agents),
                       ("decisions", decisions), ("decisions/{decision_id}", decision),
                       ("staffing", staffing_view)):
        app.router.add_get(f"/api/{path}", _api(view))
    return app


__all__ = ["create_dashboard_app"]
