"""One active controller per center, the others standing by (a lease in the shared store).

The active replica holds the center's lease, journals its ACD (`journal.py`) and keeps its
calls (`keeper.py`). A standby answers OPTIONS (the cores keep it in their dispatcher set)
and refuses new calls with 503 (the core hands them to the active one). When the active
replica dies, its lease lapses within the TTL and a standby takes the center: it replays
the ACD from the journal (every queued call keeps its place and arrival time), rebuilds
the kept calls (dialogs, agent legs, phase), reconciles the two, binds the center's DTMF
address (RTPengine reports digits there) and starts answering. Media never stopped:
RTPengine holds it on its own; the cores route the calls' in-dialog requests to the new
replica (calls/failover/contact.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from control_plane.acd.events import (
    CallAbandoned,
    CallArrived,
    CallEnded,
    Event,
    OfferRejected,
    TimerFired,
)
from control_plane.acd.model import CallState
from control_plane.acd_store.errors import AcdStoreError, StoreUnavailable
from control_plane.acd_store.partition import replay
from control_plane.acd_store.ports import AcdStore, Lease
from control_plane.calls.controller import CallController
from control_plane.calls.failover.journal import JournaledDriver
from control_plane.calls.failover.keeper import SessionKeeper
from control_plane.calls.failover.sessions import refresh_targets, restore
from control_plane.calls.failover.snapshot import SessionSnapshot
from control_plane.calls.failover.store import SessionStore
from control_plane.calls.phase import Phase
from control_plane.runtime.gc_policy import apply_gc_policy

log = structlog.get_logger(__name__)
PARTITION = "center"
FENCED_EXIT = 75  # EX_TEMPFAIL: restart me (as a standby)


@dataclass(frozen=True, slots=True)
class Takeover:
    """What one takeover found and did (logged, and read by tests)."""

    replayed_events: int
    restored_calls: int
    unreadable_calls: int
    reconciled: tuple[str, ...]
    seconds: float


class ReplicaRole:
    """Holds or waits for the center's lease and switches the controller accordingly."""

    def __init__(self, *, controller: CallController, store: AcdStore,
                 sessions: SessionStore, replica_id: str,
                 install: Callable[[JournaledDriver], Awaitable[None]],
                 decided: Callable[..., None] | None = None, ttl_s: float = 3.0) -> None:
        self.controller = controller
        self.store = store
        self.sessions = sessions
        self.replica_id = replica_id
        self._install = install
        self._decided = decided
        self.ttl_s = ttl_s
        self.lease: Lease | None = None
        self.driver: JournaledDriver | None = None
        self.keeper: SessionKeeper | None = None
        self.last_takeover: Takeover | None = None
        self.active = asyncio.Event()
        self.active_replica: str | None = None  # who holds the center, as last seen
        # Told the new ACD after every takeover (the API's desk follows it).
        self.on_active: list[Callable[[JournaledDriver], None]] = []
        self._exit: Callable[[int], None] = os._exit
        self._quiet_until = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin: take the center if nobody holds it, else stand by."""
        self.controller.active = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        period = self.ttl_s / 3
        while True:
            try:
                if self.lease is None and time.monotonic() < self._quiet_until:
                    holder = await self.store.holder(PARTITION)  # reachable: the holder
                    self.active_replica = holder.owner if holder is not None else None
                elif self.lease is None:
                    lease = await self.store.acquire(PARTITION, self.replica_id, self.ttl_s)
                    if lease is not None:
                        await self._take_or_give_back(lease)
                    else:
                        holder = await self.store.holder(PARTITION)
                        self.active_replica = holder.owner if holder is not None else None
                elif not await self.store.renew(self.lease, self.ttl_s):
                    await self._reclaim()
            except StoreUnavailable as exc:
                log.warning("controller lease: store unavailable", error=str(exc))
                if self.lease is None:
                    # When the store is back, give the holder two TTLs to take its lapsed
                    # lease again before competing for it: an outage is no takeover.
                    self._quiet_until = time.monotonic() + 2 * self.ttl_s + period
            except Exception:  # a takeover that failed half-way is tried again
                log.exception("controller takeover failed; retrying")
            await asyncio.sleep(period)

    async def _reclaim(self) -> None:
        """Our lease lapsed (the store was away longer than its TTL): take it again if no
        other replica took the center meanwhile, and bring the store back to what this
        replica holds (a store that restarted empty gets a checkpoint of our ACD and every
        call again). If another replica holds it now, it carries our calls: stop."""
        lease = await self.store.acquire(PARTITION, self.replica_id, self.ttl_s)
        driver, keeper = self.driver, self.keeper
        if lease is None or driver is None or keeper is None:
            self._fenced("another replica holds the center now")
            return
        snapshot = await self.store.load(PARTITION)
        if snapshot.last_seq > driver.seq:  # someone else decided meanwhile
            with contextlib.suppress(AcdStoreError):
                await self.store.release(lease)
            self._fenced("the center's journal moved on without this replica")
            return
        reseeded = snapshot.last_seq < driver.seq  # the store came back without our log
        await driver.rebind(lease, snapshot.last_seq)
        self.lease = lease
        for session in list(self.controller.sessions.values()):
            keeper.save(session)
        log.warning("controller regained the center's lease", replica=self.replica_id,
                    epoch=lease.epoch, reseeded=reseeded)

    def _fenced(self, why: str) -> None:
        """Another replica carries this one's calls now: going on would offer agents and
        hang up callers twice. Stop the process at once (no BYE, no record: the new active
        replica has them); the service manager starts it again as a standby."""
        log.critical("controller fenced off; exiting", replica=self.replica_id, why=why)
        self._exit(FENCED_EXIT)

    async def _take_or_give_back(self, lease: Lease) -> None:
        try:
            await self._take(lease)
        except Exception:
            # Half taken is worse than not taken: give the center back (this replica or
            # another tries again from the start on the next round).
            log.exception("controller takeover failed; the lease is given back")
            self._lost("takeover failed")
            if self.keeper is not None:
                self.keeper.close()
            with contextlib.suppress(AcdStoreError):
                await self.store.release(lease)

    async def _take(self, lease: Lease) -> None:
        started = time.monotonic()
        snapshot = await self.store.load(PARTITION)
        engine, rng = replay(snapshot, PARTITION, time.perf_counter)
        driver = JournaledDriver(engine, store=self.store, lease=lease, seq=snapshot.last_seq,
                                 rng=rng, on_command=self.controller.on_command,
                                 on_decision=self._decided)
        driver.start()
        keeper = SessionKeeper(self.sessions, owner=self.replica_id)
        keeper.start()
        self.lease, self.driver, self.keeper = lease, driver, keeper
        await self._install(driver)  # the controller's context now uses this ACD
        ctx = self.controller.ctx
        assert ctx is not None
        ctx.keeper = keeper
        fresh = snapshot.checkpoint is None and not snapshot.entries
        if fresh:
            self.controller.login_agents()
        # The replayed ACD is the long-lived state now (runtime/gc_policy.py); the calls
        # restored next are not frozen (their cycles must stay collectable).
        apply_gc_policy()
        restored, unreadable = await self._restore()
        reconciled = self._reconcile()
        driver.apply(TimerFired())  # whatever fell due while nobody held the center
        self.controller.active = True
        self.active_replica = self.replica_id
        self.active.set()
        for listener in self.on_active:
            listener(driver)
        self.last_takeover = Takeover(len(snapshot.entries), restored, unreadable,
                                      reconciled, time.monotonic() - started)
        log.warning("controller took the center", replica=self.replica_id,
                    epoch=lease.epoch, replayed=len(snapshot.entries), calls=restored,
                    unreadable=unreadable, reconciled=len(reconciled),
                    seconds=round(self.last_takeover.seconds, 3))

    async def _restore(self) -> tuple[int, int]:
        ctx = self.controller.ctx
        assert ctx is not None
        restored = unreadable = 0
        for call_id, blob in (await self.sessions.load_all()).items():
            if call_id in self.controller.sessions:  # adopted by an earlier, failed try
                continue
            try:
                snap = SessionSnapshot.decode(blob)
                session = restore(ctx, snap)
            except Exception as exc:  # SnapshotError, or a kept call we cannot rebuild
                unreadable += 1
                log.error("kept call unreadable; dropped", call_id=call_id, error=str(exc))
                with contextlib.suppress(StoreUnavailable):
                    await self.sessions.drop(call_id)
                continue
            self.controller.adopt(session)
            session.spawn(refresh_targets(session))
            restored += 1
        return restored, unreadable

    def _reconcile(self) -> tuple[str, ...]:
        """Make the replayed ACD and the kept calls agree (the journal and the keeper are
        written behind the calls, so a kill -9 may leave either a little behind)."""
        assert self.driver is not None
        state = self.driver.engine.state
        sessions = self.controller.sessions
        fixes: list[tuple[str, Event]] = []
        known: set[str] = set()
        for call in list(state.calls.values()):
            base = call.ref.call.split("#", 1)[0]
            known.add(call.ref.call)
            session = sessions.get(base)
            if call.state is CallState.ENDED:
                continue
            if session is None:  # never kept (not answered yet) or already over
                event: Event = (CallEnded(call.ref) if call.state is CallState.CONNECTED
                                else CallAbandoned(call.ref))
                fixes.append((f"{call.ref.call}: no kept call, ended in the ACD", event))
            elif call.state is CallState.OFFERED:  # its ringing leg died with the replica
                for agent in state.agents.values():
                    if agent.offer == call.seq:
                        fixes.append((f"{call.ref.call}: offer to {agent.ref.agent} withdrawn",
                                      OfferRejected(call.ref, agent.ref)))
        for session in sessions.values():
            if session.phase is Phase.QUEUED and session.ref.call not in known:
                fixes.append((f"{session.ref.call}: queued again (journal tail lost)",
                              CallArrived(session.ref, session.record.queue,
                                          caller=session.caller)))
        for why, event in fixes:
            log.warning("takeover reconciles", why=why)
            self.driver.apply(event)
        return tuple(why for why, _ in fixes)

    def _lost(self, why: str) -> None:
        log.critical("controller lost the center; refusing new calls", replica=self.replica_id,
                     why=why)
        self.controller.active = False
        self.active.clear()
        self.lease = None
        self.active_replica = None

    async def close(self, *, hand_over: bool = True) -> None:
        """Stop; with `hand_over`, write what is pending and release the lease so a standby
        takes over at once."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if hand_over and self.lease is not None:
            if self.driver is not None:
                await self.driver.flush()
            if self.keeper is not None:
                await self.keeper.flush()
            with contextlib.suppress(AcdStoreError):
                await self.store.release(self.lease)
        if self.keeper is not None:
            self.keeper.close()
        if self.driver is not None:
            self.driver.close()
