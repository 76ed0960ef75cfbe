"""One control-plane process for ``make bench-api``: the real application on a seeded SQLite
database, with an in-process ACD engine behind the agent desk and the live figures.

``python -m loadtests.bench_api_server --db sqlite:///... --port P --agents N`` seeds the
database (tenant ``bench``: one skill, one queue, N agents ``agent1..N`` and a supervisor
``sup``, password ``bench``), serves on 127.0.0.1:P and prints ``ready`` when it listens.
On SIGUSR1 it publishes ``--burst`` ``call.queued`` events on its live event bus as fast as
the loop allows (in slices, so the sockets' tasks run in between): the fan-out phase.

``python -m loadtests.bench_api_server --replica`` is one replica of a center on Redis
(``loadtests.bench_api_replicas`` seeds the database and sets its ``CC_*`` environment): the
application ``python -m control_plane serve`` runs, with the same SIGUSR1 burst.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

from aiohttp import web
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from control_plane.acd.commands import Command
from control_plane.acd.engine import Engine
from control_plane.api.agent_acd_config import acd_events
from control_plane.api.agent_engine_desk import attach_engine
from control_plane.api.agent_live import AgentLedger
from control_plane.app import create_app
from control_plane.auth.permissions import Role
from control_plane.auth.users import NewUser
from control_plane.calls.acd_driver import AcdDriver
from control_plane.db import models as m
from control_plane.db.engine import make_engine, upgrade_schema
from control_plane.db.repos.acd import load_acd_config
from control_plane.db.users_repo import SqlUserDirectory
from control_plane.events import BUS
from control_plane.events.bus import EventKind, LiveEvent
from control_plane.runtime.settings import load_settings

TENANT = "bench"
PASSWORD = "bench"
SECRET = "bench-api-token-secret-0123456789abcdef"
SLICE = 50  # events published between two yields to the loop


def seed(db_url: str, agents: int) -> None:
    """The tenant, its queue and skill, N agents with users, a supervisor."""
    engine = make_engine(db_url)
    upgrade_schema(engine)
    ids: list[int] = []
    with Session(engine) as s, s.begin():
        s.add(m.Tenant(id=TENANT, name="Bench"))
        s.flush()
        skill = m.Skill(tenant=TENANT, name="zh")
        queue = m.Queue(tenant=TENANT, name="sales")
        s.add_all([skill, queue, m.PauseReason(tenant=TENANT, code="lunch", label="Lunch")])
        s.flush()
        s.add(m.QueueSkill(tenant=TENANT, queue_id=queue.id, skill_id=skill.id))
        for i in range(1, agents + 1):
            agent = m.Agent(tenant=TENANT, name=f"Agent {i}")
            s.add(agent)
            s.flush()
            s.add_all([m.AgentSkill(tenant=TENANT, agent_id=agent.id, skill_id=skill.id,
                                    proficiency=3),
                       m.QueueMember(tenant=TENANT, queue_id=queue.id, agent_id=agent.id)])
            ids.append(agent.id)
    engine.dispose()
    add_users(db_url, ids)


def add_users(db_url: str, agent_ids: list[int]) -> None:
    """The supervisor ``sup`` and a login ``agentN`` for the N-th of ``agent_ids``, every
    one with the password ``bench`` (a cheap hash: logins are not what is measured)."""
    hashed = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    engine = make_engine(db_url)
    directory = SqlUserDirectory(engine)

    async def users() -> None:
        await directory.create(NewUser(tenant=TENANT, username="sup", password_hash=hashed,
                                       role=Role.SUPERVISOR))
        for i, agent_id in enumerate(agent_ids, 1):
            await directory.create(NewUser(tenant=TENANT, username=f"agent{i}",
                                           password_hash=hashed, role=Role.AGENT,
                                           agent_id=agent_id))
    asyncio.run(users())
    engine.dispose()


async def serve(db_url: str, port: int, burst: int) -> None:
    """Serve until SIGTERM; publish a burst on each SIGUSR1."""
    from control_plane.runtime.logs import configure_logging

    configure_logging("warning", json_output=True)  # a log line per request would be measured
    ledger: AgentLedger | None = None

    def sink(command: Command) -> None:
        if ledger is not None:
            ledger.observe(command)
    driver = AcdDriver(Engine(), on_command=sink)
    ledger = AgentLedger(driver.engine, driver.now)
    app = create_app(load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": db_url,
        "CC_AUTH__TOKEN_SECRET": SECRET, "CC_AUTH__LOGIN_ATTEMPTS_PER_IP": "100000",
        "CC_LOG__LEVEL": "warning"}))
    attach_engine(app, driver, ledger, on_disposition=lambda _d: None)
    engine = make_engine(db_url)
    with Session(engine) as s:
        config = load_acd_config(s, TENANT)
    engine.dispose()
    for event in acd_events(config):
        driver.apply(event)
    await _run(app, "127.0.0.1", port, burst)


async def serve_replica(burst: int) -> None:
    """One replica of a center on Redis, exactly as ``python -m control_plane serve`` builds
    it from its ``CC_*`` environment (topology, center file, ``CC_CALLS__REPLICA``,
    ``CC_CALLS__FAILOVER_REDIS_URL``), plus the SIGUSR1 burst on its own event bus."""
    from control_plane.runtime.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log.level, settings.log.json_output)
    await _run(create_app(settings), settings.api.host, settings.api.port, burst)


async def _run(app: web.Application, host: str, port: int, burst: int) -> None:
    """Listen, say ``ready``, publish a burst per SIGUSR1, stop on SIGTERM."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    bursts: list[asyncio.Task[None]] = []

    async def publish_burst() -> None:
        bus = app[BUS]
        start = time.perf_counter()
        for n in range(burst):
            bus.publish(LiveEvent(EventKind.CALL_QUEUED, TENANT, queue="sales",
                                  call_id=f"burst-{n}", data={"position": n}))
            if n % SLICE == SLICE - 1:
                await asyncio.sleep(0)
        print(f"published {burst} in {time.perf_counter() - start:.3f}s", flush=True)

    loop.add_signal_handler(signal.SIGUSR1, lambda: bursts.append(
        asyncio.create_task(publish_burst())))
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    """Command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db")
    parser.add_argument("--port", type=int)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--replica", action="store_true",
                        help="serve one replica from the CC_* environment (seeded already)")
    args = parser.parse_args()
    if args.replica:
        asyncio.run(serve_replica(args.burst))
        sys.exit(0)
    if args.db is None or args.port is None:
        parser.error("--db and --port are required without --replica")
    seed(args.db, args.agents)
    asyncio.run(serve(args.db, args.port, args.burst))
    sys.exit(0)


if __name__ == "__main__":
    main()
