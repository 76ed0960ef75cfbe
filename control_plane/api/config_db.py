"""The configuration database as the API's resource routes reach it.

One short transaction per request, run in a worker thread so the event loop never waits on
the database; the persistence layer's typed errors come out unchanged (the request
middleware maps them: not found 404, conflict 409 with the constraint, validation 400 with
the field, unreachable 503).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from control_plane.db.repos.base import translated

T = TypeVar("T")


class ConfigDb:
    """Units of work on the configuration database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run_sync(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction, committed when it returns, rolled back if it
        raises (in the calling thread)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin(), \
                translated():
            return work(session)

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
