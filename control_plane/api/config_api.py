"""The configuration, CRM and agent-desk part of the API, for the composition root.

``ROUTE_TABLES`` are the declarations to include; :func:`wire` adds the configuration
database to the application's resources (one ``cleanup_ctx``).
"""

from __future__ import annotations

from aiohttp import web

from control_plane.api import (
    agent_routes,
    config_ivr,
    config_links,
    config_routes,
    config_seats,
    config_tenants,
    crm_routes,
    crm_transfer,
    supervisor_routes,
    supervisor_stats,
)
from control_plane.api.config_db import config_database
from control_plane.api.routes import RouteTable

ROUTE_TABLES: tuple[RouteTable, ...] = (
    config_tenants.ROUTES, config_routes.ROUTES, config_links.ROUTES, config_ivr.ROUTES,
    config_seats.ROUTES, crm_transfer.ROUTES, crm_routes.ROUTES, agent_routes.ROUTES,
    supervisor_routes.ROUTES, supervisor_stats.ROUTES,
)


def wire(app: web.Application, *, database_url: str) -> None:
    """Open the configuration database with the application (closed on shutdown)."""
    app.cleanup_ctx.append(config_database(database_url))
