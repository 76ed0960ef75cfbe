"""The composition root: builds the aiohttp application from the settings.

Resources are wired here and only here, each as an ``AppKey`` with its own
``cleanup_ctx`` (later: store, database, analytics sink, call controller).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
METRICS: web.AppKey[ControlPlaneMetrics] = web.AppKey("metrics", ControlPlaneMetrics)
STARTED_AT: web.AppKey[float] = web.AppKey("started_at", float)

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _version() -> str:
    try:
        return version("callcenter")
    except PackageNotFoundError:
        return "0+unknown"


@web.middleware
async def _observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    metrics = request.app[METRICS]
    route = request.match_info.route.resource.canonical if request.match_info.route.resource \
        else "unmatched"
    start = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        metrics.http_requests.labels(route=route, status=str(status)).inc()
        metrics.http_latency.labels(route=route).observe(time.perf_counter() - start)


async def healthz(request: web.Request) -> web.Response:
    """Liveness and readiness of this replica (permission: public)."""
    return web.json_response({
        "status": "ok",
        "version": _version(),
        "uptime_seconds": round(time.monotonic() - request.app[STARTED_AT], 3),
    })


async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus exposition of this replica's metrics (permission: public, scrape)."""
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def create_app(settings: Settings) -> web.Application:
    """Build the application; nothing is connected until the app starts."""
    app = web.Application(middlewares=[_observe])
    app[SETTINGS] = settings
    metrics = ControlPlaneMetrics()
    metrics.build_info.labels(version=_version()).set(1)
    app[METRICS] = metrics
    app[STARTED_AT] = time.monotonic()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app
