"""The configuration database as the API's resource routes reach it.

One short transaction per request, run in a worker thread so the event loop never waits on
the database; the persistence layer's typed errors come out unchanged (the request
middleware maps them: not found 404, conflict 409 with the constraint, validation 400 with
the field, unreachable 503).

After a transaction that wrote configuration commits, every listener is told which tenants
it touched (the running call controller applies the change; see
``control_plane.calls.live_config``). A transaction that failed tells nobody: the client
got the error, and nothing changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import structlog
from aiohttp import web
from sqlalchemy import Engine, event
from sqlalchemy.orm import ORMExecuteState, Session

from control_plane.db.repos.base import translated

T = TypeVar("T")
log = structlog.get_logger(__name__)
# Told the tenants a committed transaction wrote (None: a change not owned by one tenant).
ChangeListener = Callable[[frozenset[str | None]], None]


# The tables the call controller's configuration is made of (CRM writes tell nobody).
CONTROLLER_TABLES = frozenset({
    "tenants", "skills", "pause_reasons", "agents", "agent_skills", "seats", "queues",
    "queue_skills", "queue_members", "dids", "inbound_routes", "ivr_flows",
    "ivr_flow_versions"})


def _touched(session: Session, found: set[str | None]) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        table = getattr(row, "__tablename__", "")
        if table in CONTROLLER_TABLES:
            found.add(str(row.id) if table == "tenants" else getattr(row, "tenant", None))


class ConfigDb:
    """Units of work on the configuration database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.listeners: list[ChangeListener] = []

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction, committed when it returns, rolled back if it
        raises (in the calling thread); listeners hear of a committed write."""
        touched: set[str | None] = set()
        with Session(self.engine, expire_on_commit=False) as session:
            def before_flush(s: Session, *_: Any) -> None:
                _touched(s, touched)

            def bulk(state: ORMExecuteState) -> None:
                # UPDATE/DELETE statements bypass the unit of work: the tenant is unknown.
                mapper = state.bind_mapper
                if (state.is_update or state.is_delete) and mapper is not None and \
                        getattr(mapper.local_table, "name", "") in CONTROLLER_TABLES:
                    touched.add(None)
            event.listen(session, "before_flush", before_flush)
            event.listen(session, "do_orm_execute", bulk)
            # translated() outside begin(): a COMMIT that fails (the server gone between
            # the last statement and the commit) is a typed error too, not a 500.
            with translated(), session.begin():
                result = work(session)
        if touched:
            for listener in self.listeners:
                try:
                    listener(frozenset(touched))
                except Exception:  # the write is committed; a listener's fault is its own
                    log.exception("configuration change listener failed")
        return result

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction on a worker thread."""
        return await asyncio.to_thread(self.run_sync, work)


CONFIG_DB: web.AppKey[ConfigDb] = web.AppKey("config_db", ConfigDb)


def config_database(url: str) -> Callable[[web.Application], AsyncIterator[None]]:
    """A ``cleanup_ctx`` that opens the database at ``url`` as ``CONFIG_DB`` and disposes
    its pool on shutdown (after in-flight requests finished)."""
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        from control_plane.db.engine import make_engine

        engine = make_engine(url)
        app[CONFIG_DB] = ConfigDb(engine)
        yield
        engine.dispose()
    return ctx
