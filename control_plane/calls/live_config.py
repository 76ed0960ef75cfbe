"""Configuration edits reach the running controller: one applier for every change.

The API's unit of work tells :meth:`LiveConfig.changed` which tenants a committed
transaction touched (from any thread); the applier reads those tenants' committed rows
through its :class:`~control_plane.calls.live_rows.CenterSource`, compares them with the
last reading and applies the difference:

- ACD changes as the engine's own configuration events (``TenantUpserted``,
  ``QueueUpserted``: queued calls keep their places); an agent's new skills by logging
  them out and in again while ready or paused (the engine has no event for it), else as
  soon as they are;
- numbers and IVR flows by swapping the controller's :class:`CenterConfig` for a new one:
  new calls read it, a call already in its IVR keeps the flow object it started with.

A periodic re-read catches what no notification announced (another replica's edits, a
read that failed while the database was away).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable

import structlog

from control_plane.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    Event,
    QueueUpserted,
    TenantUpserted,
)
from control_plane.acd.model import (
    DEFAULT_PAUSE_REASONS,
    AgentProfile,
    AgentRef,
    AgentState,
    TenantConfig,
)
from control_plane.calls.acd_driver import AcdDriver
from control_plane.calls.center import Agent, CenterConfig
from control_plane.calls.live_routes import NumberPlan
from control_plane.calls.live_rows import CenterSource, TenantRows, image_of, queue_config
from control_plane.calls.service import CallControllerService

log = structlog.get_logger(__name__)


class LiveConfig:
    """Keeps one controller's configuration equal to the committed database."""

    def __init__(self, service: CallControllerService, source: CenterSource, *,
                 resync_seconds: float = 10.0, retry_seconds: float = 1.0) -> None:
        self.service = service
        self.source = source
        self.resync_seconds = resync_seconds
        self.retry_seconds = retry_seconds
        self.rows: dict[str, TenantRows] = image_of(service.center)
        self.plan = NumberPlan(service.center, frozenset(service.prompts.names()))
        self.applied = 0  # readings that changed something (tests and metrics read it)
        self.failures = 0  # readings that failed (the database away): retried
        self._dirty: set[str] = set()
        self._everything = True  # the first pass reads every tenant
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None
        self._pending: dict[AgentRef, AgentProfile | None] = {}  # None: log out
        self.on_stop: Callable[[], None] | None = None

    def start(self) -> None:
        """Run the applier (a first full reading applies edits made before a restart)."""
        self._wake.set()
        self._task = self._loop.create_task(self._run())

    async def stop(self) -> None:
        """Stop applying (and close the source's connections)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.on_stop is not None:
            self.on_stop()

    def changed(self, tenants: Iterable[str | None]) -> None:
        """Committed changes touched ``tenants`` (None: unknown, read all). Thread-safe."""
        self._loop.call_soon_threadsafe(self._mark, frozenset(tenants))

    def _mark(self, tenants: frozenset[str | None]) -> None:
        if None in tenants:
            self._everything = True
        self._dirty.update(t for t in tenants if t is not None)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self.resync_seconds)
            except TimeoutError:
                self._everything = True
            self._wake.clear()
            try:
                await self._pass()
            except Exception as exc:  # the database away: keep what runs, read again
                self.failures += 1
                log.warning("configuration not read; retrying", error=str(exc))
                self._wake.set()
                await asyncio.sleep(self.retry_seconds)
            self._retry_pending()

    @property
    def driver(self) -> AcdDriver:
        """The controller's ACD driver now (a replica that took over has a new one)."""
        driver = self.service.driver
        if driver is None:
            raise RuntimeError("the controller runs no ACD (standing by)")
        return driver

    async def _pass(self) -> None:
        if self.service.driver is None:
            return  # standing by: what changed stays marked until this replica serves
        tenants = set(self._dirty)
        everything, self._everything = self._everything, False
        try:
            if everything:
                found = await asyncio.to_thread(self.source.tenant_ids)
                tenants.update(found, self.rows)
            for tenant in sorted(tenants):
                # Unmarked before the read: a commit landing during it marks it again.
                self._dirty.discard(tenant)
                try:
                    rows = await asyncio.to_thread(self.source.read, tenant)
                except BaseException:
                    self._dirty.add(tenant)
                    raise
                self._take(tenant, rows)
        except BaseException:
            self._everything = self._everything or everything
            raise

    def _take(self, tenant: str, rows: TenantRows | None) -> None:
        before = self.rows.get(tenant)
        if rows is None:
            if before is None:
                return
            # The tenant was deleted: its numbers, flows, queues and agents go too.
            rows = TenantRows(tenant, frozenset(), frozenset())
        if rows != before:
            self._apply(before, rows)
            self.rows[tenant] = rows
            self.applied += 1

    # ----- applying one tenant's difference -----

    def _apply(self, before: TenantRows | None, after: TenantRows) -> None:
        center = self.service.center
        tenant = after.tenant
        tenants = dict(center.tenants)
        if before is None or (before.skills, before.pause_reasons) != (
                after.skills, after.pause_reasons) or tenant not in tenants:
            config = self._tenant(tenants.get(tenant), after)
            if self._event(TenantUpserted(config)):
                tenants[tenant] = config
        queues = dict(center.queues)
        callbacks = dict(center.callback_offers)
        old_queues = before.queues if before is not None else {}
        for name, row in after.queues.items():
            if old_queues.get(name) == row and (tenant, name) in queues:
                continue
            cfg = queue_config(tenant, row, current=queues.get((tenant, name)),
                               before=old_queues.get(name))
            if not cfg.skills:
                log.info("queue requires no skill yet: not routed", tenant=tenant, queue=name)
                continue
            if self._event(QueueUpserted(cfg)):
                queues[(tenant, name)] = cfg
                was = old_queues.get(name)
                if row.callback_offer_s is not None:
                    callbacks[(tenant, name)] = float(row.callback_offer_s)
                elif was is not None and was.callback_offer_s is not None:
                    callbacks.pop((tenant, name), None)  # the offer was switched off
        for name in set(old_queues) - set(after.queues):
            # The engine has no event to drop a queue: its waiting calls keep their places;
            # no number or flow can send new callers to it any more.
            queues.pop((tenant, name), None)
        agents = self._agents(center, before, after)
        center = dataclasses.replace(center, tenants=tenants, queues=queues,
                                     callback_offers=callbacks, agents=agents)
        center = self.plan.apply(center, before, after)
        self._swap(center)
        log.info("configuration applied", tenant=tenant, queues=len(after.queues),
                 agents=len(after.agents), numbers=len(after.routes))

    def _tenant(self, current: TenantConfig | None, rows: TenantRows) -> TenantConfig:
        reasons = rows.pause_reasons or DEFAULT_PAUSE_REASONS
        if current is None:
            return TenantConfig(tenant_id=rows.tenant, skills=rows.skills,
                                pause_reasons=reasons)
        # Skill ids are never reused in the engine: a skill once known stays known.
        return dataclasses.replace(current, skills=current.skills | rows.skills,
                                   pause_reasons=reasons)

    def _agents(self, center: CenterConfig, before: TenantRows | None,
                after: TenantRows) -> tuple[Agent, ...]:
        tenant = after.tenant
        old = before.agents if before is not None else {}
        others = [a for a in center.agents if a.tenant != tenant]
        current = {a.agent_id: a for a in center.agents if a.tenant == tenant}
        mine: list[Agent] = []
        for agent_id, row in after.agents.items():
            known = current.get(agent_id)
            profile = AgentProfile(
                skills=dict(row.skills), max_concurrent=row.max_concurrent,
                order=known.profile.order if known else 0,
                weight=known.profile.weight if known else 1.0)
            seat = row.seat or (known.seat if known else "")
            mine.append(Agent(tenant, agent_id, seat, profile,
                              known.auto_login if known else False))
            was = old.get(agent_id)
            if was is not None and (was.skills, was.max_concurrent) != (
                    row.skills, row.max_concurrent):
                self._pending[AgentRef(tenant, agent_id)] = profile
        for agent_id in set(old) - set(after.agents):
            self._pending[AgentRef(tenant, agent_id)] = None  # deleted or deactivated
        return (*others, *mine)

    def _event(self, event: Event) -> bool:
        outcome = self.driver.apply(event)
        if outcome.rejection is not None:
            log.error("configuration refused by the ACD", event=type(event).__name__,
                      code=outcome.rejection.code.value, reason=outcome.rejection.reason)
            return False
        return True

    def _swap(self, center: CenterConfig) -> None:
        self.service.center = center
        if self.service.controller.ctx is not None:
            self.service.controller.ctx.center = center

    # ----- agents whose profile waits for them to be free -----

    def _retry_pending(self) -> None:
        if self.service.driver is None:
            return
        for ref, profile in list(self._pending.items()):
            if self._reprofile(ref, profile):
                del self._pending[ref]
        if self._pending:
            self._loop.call_later(self.retry_seconds, self._wake.set)

    def _reprofile(self, ref: AgentRef, profile: AgentProfile | None) -> bool:
        """Log the agent out (and in with ``profile``); False while they must not be."""
        st = self.driver.engine.state
        live = st.agents.get(ref)
        if live is None:
            return True  # not logged in: the new profile applies at their next login
        if live.active or live.offer is not None or live.state not in (
                AgentState.READY, AgentState.PAUSED):
            return False
        for queue, _level in live.eligible:
            # Logging out the last agent of a queue could overflow its waiting callers.
            if profile is not None and queue.logged_in == 1 and queue.waiting_count and \
                    queue.config.overflow.on_no_agents is not None:
                return False
        tenant = st.tenants[ref.tenant]
        if profile is not None and not set(profile.skills) <= set(tenant.skill_ids):
            log.error("agent skills unknown to the ACD", agent=ref.agent)
            return True
        if profile is not None and live.max_concurrent == profile.max_concurrent and \
                live.skills == {tenant.skill_ids[k]: v for k, v in profile.skills.items()}:
            return True  # already routed so (a supervisor's live skill change did it)
        reason = live.pause_reason if live.state is AgentState.PAUSED else None
        registered = live.seat_registered
        if not self._event(AgentLoggedOut(ref)):
            return False
        if profile is not None:
            self._event(AgentLoggedIn(ref, profile, reason, seat_registered=registered))
        return True



def start_live_config(service: CallControllerService, database_url: str, *,
                      resync_seconds: float = 10.0) -> LiveConfig:
    """The running controller's live configuration over the configuration database at
    ``database_url`` (the composition root adds its ``changed`` to the API's listeners)."""
    from control_plane.db.engine import make_engine
    from control_plane.db.live_source import SqlCenterSource

    engine = make_engine(database_url)
    live = LiveConfig(service, SqlCenterSource(engine), resync_seconds=resync_seconds)
    live.on_stop = engine.dispose
    live.start()
    return live
