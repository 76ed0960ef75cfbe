"""The composition root: builds the aiohttp application from the settings.

Resources are wired here and only here, each as an ``AppKey`` with its own
``cleanup_ctx`` (later: store, database, analytics sink, call controller).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version

import aiohttp
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.settings import Settings
from control_plane.sip.presence_service import CoreEndpoint, PresenceService
from control_plane.sip.registry import SeatRegistry
from control_plane.topology.model import Role, Topology, TopologyError, load_topology

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
METRICS: web.AppKey[ControlPlaneMetrics] = web.AppKey("metrics", ControlPlaneMetrics)
STARTED_AT: web.AppKey[float] = web.AppKey("started_at", float)
TOPOLOGY: web.AppKey[Topology | None] = web.AppKey("topology")
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
SEATS: web.AppKey[SeatRegistry] = web.AppKey("seats", SeatRegistry)

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


async def seats(request: web.Request) -> web.Response:
    """Seat contacts registered at the province cores (permission: seats.read)."""
    listed = [
        {"aor": s.aor, "contact": s.contact, "edge": s.edge, "path": s.path,
         "user_agent": s.user_agent, "core": s.core}
        for s in request.app[SEATS].seats()
    ]
    return web.json_response({"count": len(listed), "seats": listed})


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[HTTP] = session
        yield


async def _presence(app: web.Application) -> AsyncIterator[None]:
    topo = app[TOPOLOGY]
    cores = [] if topo is None else [
        CoreEndpoint(n.name, n.rpc_address, n.evapi_port,
                     f"http://{n.rpc_address}:{n.http_port}/RPC")
        for n in topo.by_role(Role.PROVINCE)
    ]
    service = PresenceService(cores, app[SEATS], app[METRICS], app[HTTP],
                              app[SETTINGS].presence.resync_seconds)
    await service.start()
    yield
    await service.stop()


def _load_topology(settings: Settings) -> Topology | None:
    path = settings.runtime.topology
    if not path.exists():
        log.warning("no topology file: presence disabled", topology=str(path))
        return None
    try:
        return load_topology(path)
    except TopologyError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc


def create_app(settings: Settings) -> web.Application:
    """Build the application; nothing is connected until the app starts."""
    app = web.Application(middlewares=[_observe])
    app[SETTINGS] = settings
    topo = _load_topology(settings)
    app[TOPOLOGY] = topo
    edge_names = {} if topo is None else {n.address: n.name for n in topo.nodes}
    app[SEATS] = SeatRegistry(edge_names)
    metrics = ControlPlaneMetrics()
    metrics.build_info.labels(version=_version()).set(1)
    app[METRICS] = metrics
    app[STARTED_AT] = time.monotonic()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/api/v1/seats", seats)
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_presence)
    return app
