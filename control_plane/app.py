"""The composition root: builds the aiohttp application from the settings.

Resources are wired here and only here, each as an ``AppKey`` with its own
``cleanup_ctx`` (later: store, database, analytics sink, call controller).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import aiohttp
import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from analytics.dashboard import Principal as BiReader
from analytics.dashboard import create_dashboard_app
from analytics.dashboard.engine import OnDemandEngine
from analytics.kpis.service import KpiEngine
from control_plane.admin import routes as admin_routes
from control_plane.api import (
    auth_routes,
    call_control_routes,
    calls_routes,
    config_api,
    docs,
    recordings_routes,
    seats,
    users_routes,
    ws_routes,
)
from control_plane.api.calls_routes import CALLS
from control_plane.api.context import AUTH, PRINCIPAL, USERS
from control_plane.api.errors import PermissionDenied
from control_plane.api.middleware import request_context
from control_plane.api.mounts import Mount
from control_plane.api.routes import PUBLIC, Api, RouteTable
from control_plane.api.seats import SEATS
from control_plane.api.standby_proxy import standby_proxy
from control_plane.auth.permissions import Role as UserRole
from control_plane.auth.service import AuthService
from control_plane.auth.users import UserDirectory
from control_plane.calls.service import CallControllerService
from control_plane.desk import routes as desk_routes
from control_plane.events import BUS, EventBus
from control_plane.runtime.gc_policy import apply_gc_policy
from control_plane.runtime.metrics import ControlPlaneMetrics
from control_plane.runtime.settings import Settings
from control_plane.sip.presence_service import CoreEndpoint, PresenceService
from control_plane.sip.registry import SeatRegistry
from control_plane.topology.model import Role, Topology, TopologyError, load_topology

if TYPE_CHECKING:
    from analytics.sink.backends.chdb_backend import ChdbBackend
    from control_plane.calls.live_config import LiveConfig

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
METRICS: web.AppKey[ControlPlaneMetrics] = web.AppKey("metrics", ControlPlaneMetrics)
STARTED_AT: web.AppKey[float] = web.AppKey("started_at", float)
TOPOLOGY: web.AppKey[Topology | None] = web.AppKey("topology")
HTTP: web.AppKey[aiohttp.ClientSession] = web.AppKey("http", aiohttp.ClientSession)
# The controller's live configuration (control_plane.calls.live_config), while it runs.
LIVE_CONFIG: web.AppKey[LiveConfig] = web.AppKey("live_config")

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ROUTES = RouteTable()


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


@ROUTES.get("/healthz", permission=PUBLIC, summary="Health of this replica", tags=("meta",))
async def healthz(request: web.Request) -> web.Response:
    """Liveness and readiness of this replica (permission: public); ``calls`` says whether
    it serves the center ("active"), stands by for it ("standby") or has no controller."""
    service = request.app.get(CALLS)
    role = "off" if service is None else "active" if service.controller.active else "standby"
    return web.json_response({
        "status": "ok",
        "version": _version(),
        "uptime_seconds": round(time.monotonic() - request.app[STARTED_AT], 3),
        "calls": role,
    })


def _active_replica(app: web.Application) -> tuple[str, str] | None:
    """For the standby proxy: None when this replica serves the center itself, else its
    own name and the active replica's API base URL ("" while nobody holds the center)."""
    service, topo = app.get(CALLS), app[TOPOLOGY]
    role = service.role if service is not None else None
    if role is None or topo is None or service is None or service.controller.active:
        return None
    node = next((n for n in topo.control_planes if n.name == role.active_replica), None)
    return role.replica_id, f"http://{node.address}:{node.port}" if node is not None else ""


@ROUTES.get("/metrics", permission=PUBLIC, summary="Prometheus metrics", tags=("meta",),
             media_type="text/plain")
async def metrics_endpoint(request: web.Request) -> web.Response:
    """Prometheus exposition of this replica's metrics (permission: public, scrape)."""
    body = generate_latest(request.app[METRICS].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _sql_users(app: web.Application) -> AsyncIterator[None]:
    from control_plane.db.engine import make_engine
    from control_plane.db.users_repo import SqlUserDirectory

    engine = make_engine(app[SETTINGS].database.url)
    app[USERS] = SqlUserDirectory(engine)
    yield
    engine.dispose()


async def _auth(app: web.Application) -> AsyncIterator[None]:
    app[AUTH] = AuthService.from_settings(app[SETTINGS], app[USERS])
    yield


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


BI_PREFIX = "/bi/"
# Agents and team leads read only their own or their team's figures: not the tenant-wide BI.
_BI_ROLES = frozenset({UserRole.SUPERVISOR, UserRole.ADMIN, UserRole.ANALYST,
                       UserRole.SUPER_ADMIN})


async def _bi_reader(request: web.Request) -> BiReader:
    """The dashboard's reader: the API's bearer-token user, with stats.read (checked by the
    mount before any BI handler) and a role that reads tenant-wide figures; the operator
    (super_admin) reads every tenant."""
    who = request[PRINCIPAL]
    if who.role not in _BI_ROLES:
        raise PermissionDenied(f"role {who.role.value} does not read tenant-wide figures",
                               details={"role": who.role.value})
    return BiReader(tenant=who.tenant, no_pii=who.no_pii)


class ChdbOwner:
    """This process's one chDB data path (a path belongs to one process), opened and
    migrated on first use by whoever needs it first: the BI dashboard or the call records."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.runtime.run_dir / "analytics" / "chdb"
        self._backend: ChdbBackend | None = None
        self._lock = threading.Lock()

    def backend(self) -> ChdbBackend:
        """The open backend."""
        from analytics.schema import migrate
        from analytics.sink.backends.chdb_backend import ChdbBackend

        with self._lock:
            if self._backend is None:
                backend = ChdbBackend(self.path)
                migrate(backend, backend.database, backend.dialect)
                self._backend = backend
            return self._backend


CHDB: web.AppKey[ChdbOwner] = web.AppKey("chdb", ChdbOwner)


def _attach_desk(app: web.Application, service: CallControllerService) -> None:
    """The agent desk and live figures act on the controller's own ACD engine."""
    from control_plane.api.agent_engine_desk import attach_engine
    from control_plane.api.agent_live import AgentLedger

    driver = service.driver
    assert driver is not None
    ledger = AgentLedger(driver.engine, clock=driver.now)
    driver.observers.append(ledger.observe)
    desk = attach_engine(app, driver, ledger, on_disposition=lambda d: log.info(
        "disposition", agent=d.agent.agent, call_id=d.call_id, code=d.code))
    if service.role is not None:  # after a takeover the desk acts on the replayed ACD
        service.role.on_active.append(lambda new: desk.follow(new, ledger))


def _own_chdb(owner: ChdbOwner) -> OnDemandEngine:
    """The dashboard's engine: this process's chDB, opened by the first BI query."""
    return OnDemandEngine(owner.backend, "callcenter")


async def _event_bus(app: web.Application) -> AsyncIterator[None]:
    # Created before the controller (which publishes into it), closed after it stopped:
    # open WebSockets then end with "going away".
    yield
    app[BUS].close()


async def _calls(app: web.Application) -> AsyncIterator[None]:
    settings, topo = app[SETTINGS], app[TOPOLOGY]
    app[CALLS] = None
    if not settings.calls.enabled or topo is None:
        yield
        return
    from control_plane.calls.notify import http_notifier
    from control_plane.calls.wiring import ControllerSetupError, start_controller
    from control_plane.ivr.webhook import webhook_client

    backend = await asyncio.to_thread(app[CHDB].backend)
    try:
        service, sink = await start_controller(settings, topo, backend, metrics=app[METRICS],
                                               bus=app[BUS],
                                               webhook=webhook_client(app[HTTP]),
                                               notify=http_notifier(app[HTTP]))
    except ControllerSetupError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc
    app[CALLS] = service
    _attach_desk(app, service)
    apply_gc_policy()  # configuration and agents loaded: freeze them, fewer gen-0 passes
    # Committed configuration edits reach this controller (control_plane.calls.live_config).
    from control_plane.api.config_db import CONFIG_DB
    from control_plane.calls.live_config import start_live_config

    live = start_live_config(service, settings.database.url)
    app[CONFIG_DB].listeners.append(live.changed)
    app[LIVE_CONFIG] = live
    from analytics.sink.metrics import SinkCollector

    collector = SinkCollector(sink, "chdb")
    app[METRICS].registry.register(collector)
    # Presence drives who can be offered: an agent whose seat is not registered is not.
    app[SEATS].on_change = service.controller.seats_changed
    service.controller.seats_changed(app[SEATS].aors())
    yield
    app[CONFIG_DB].listeners.remove(live.changed)
    await live.stop()
    app[SEATS].on_change = None
    app[METRICS].registry.unregister(collector)
    await service.stop()
    await sink.close()


def _load_topology(settings: Settings) -> Topology | None:
    path = settings.runtime.topology
    if not path.exists():
        log.warning("no topology file: presence disabled", topology=str(path))
        return None
    try:
        return load_topology(path)
    except TopologyError as exc:
        raise SystemExit(f"callcenter: {exc}") from exc


def create_app(settings: Settings, *, users: UserDirectory | None = None,
               analytics: KpiEngine | None = None) -> web.Application:
    """Build the application; nothing is connected until the app starts.

    ``users`` is the directory logins are checked against; by default the ``users`` table
    of the configuration database (tests may pass their own). ``analytics`` is what the BI
    dashboard queries; by default this process's chDB, opened on the first BI query.
    """
    app = web.Application(middlewares=[_observe, request_context,
                                       standby_proxy(_active_replica, lambda a: a[HTTP])])
    app[SETTINGS] = settings
    topo = _load_topology(settings)
    app[TOPOLOGY] = topo
    edge_names = {} if topo is None else {n.address: n.name for n in topo.nodes}
    app[SEATS] = SeatRegistry(edge_names)
    metrics = ControlPlaneMetrics()
    metrics.build_info.labels(version=_version()).set(1)
    app[METRICS] = metrics
    app[STARTED_AT] = time.monotonic()
    app[BUS] = EventBus()
    if users is None:
        app.cleanup_ctx.append(_sql_users)
    else:
        app[USERS] = users
    api = Api(title="callcenter control plane", version=_version())
    for table in (ROUTES, docs.ROUTES, auth_routes.ROUTES, seats.ROUTES,
                  users_routes.ROUTES, *config_api.ROUTE_TABLES, recordings_routes.ROUTES,
                  ws_routes.ROUTES, desk_routes.ROUTES, admin_routes.ROUTES, calls_routes.ROUTES,
                  call_control_routes.ROUTES):
        api.include(table.routes)
    config_api.wire(app, database_url=settings.database.url)
    recordings_routes.install(app, settings.database.url)
    app[CHDB] = ChdbOwner(settings)
    if analytics is None:
        own = _own_chdb(app[CHDB])
        app.on_cleanup.append(lambda _: asyncio.to_thread(own.close))
        analytics = own
    # The page and its assets hold no data; every JSON route needs stats.read.
    api.mount(Mount(BI_PREFIX, create_dashboard_app(queries=analytics, principal=_bi_reader),
                    permission="stats.read", summary="BI dashboard", tags=("bi",),
                    public=("/", "/vendor/echarts.min.js", "/static")))
    api.install(app)
    docs.publish(api, app)
    app.cleanup_ctx.append(_auth)
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_presence)
    app.cleanup_ctx.append(_event_bus)
    ws_routes.wire(app)
    app.cleanup_ctx.append(_calls)
    return app
