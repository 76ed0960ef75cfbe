"""One owned partition: its engine, its place in the log, and its agent reservations.

The owner's step for every event is write-ahead: append `(now, event)` to the partition's
log (fenced by the lease, acknowledged by the store), apply it to the engine, then settle
agent reservations in one atomic store call (release the agents no longer offered, reserve
the agents of new `OfferCall`s). An offer whose agent is held by another holder is never
handed out: an `OfferRejected` for it is logged and applied in its place. Only then are
commands handed out, so nothing reaches a phone that the store has not recorded.

If a store call fails, the partition is marked broken and caught up from the log before
its next event: the engine then equals the fold of the acknowledged log again.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from control_plane.acd.commands import Command, DecisionRecord, OfferCall
from control_plane.acd.engine import Engine, Outcome
from control_plane.acd.events import Event, OfferRejected
from control_plane.acd.model import AgentRef, CallRef, CallState
from control_plane.acd_store.codec import (
    decode_checkpoint,
    decode_entry,
    encode_checkpoint,
    encode_entry,
)
from control_plane.acd_store.errors import (
    CorruptRecord,
    LeaseLost,
    LogConflict,
    StoreUnavailable,
)
from control_plane.acd_store.ports import AcdStore, Lease, LogSnapshot, Reservation

log = structlog.get_logger(__name__)

# Rejection rounds one event may cause (each a refused reservation); a guard, not a policy.
MAX_REFUSALS = 256


def partition_of(event: Event) -> str | None:
    """The partition an event belongs to: its tenant (None: a bare `TimerFired`)."""
    for name in ("call", "agent"):
        ref = getattr(event, name, None)
        if isinstance(ref, CallRef | AgentRef):
            return ref.tenant
    config = getattr(event, "config", None)
    if config is not None:
        return str(getattr(config, "tenant_id", None) or config.tenant)
    return None


def agent_key(agent: AgentRef) -> str:
    """The agent's name in the reservation space."""
    return f"{agent.tenant}/{agent.agent}"


def holder_key(call: CallRef) -> str:
    """A call's name as the holder of a reservation."""
    return f"{call.tenant}/{call.call}"


def seed_for(partition: str) -> int:
    """The seed of a partition's first engine; fixed, so every replica replays alike."""
    return zlib.crc32(partition.encode())


def replay(snapshot: LogSnapshot, partition: str,
           decision_clock: Callable[[], float] | None = None) -> tuple[Engine, random.Random]:
    """A fresh engine holding the checkpoint plus every entry after it, applied at the
    times they were first applied (their commands are not handed out again)."""
    if snapshot.checkpoint is not None:
        state, rng = decode_checkpoint(snapshot.checkpoint)
        engine = Engine(rng, decision_clock)
        engine.state = state
    else:
        rng = random.Random(seed_for(partition))
        engine = Engine(rng, decision_clock)
    for entry in snapshot.entries:
        now, event = decode_entry(entry)
        engine.apply(event, now)
    return engine, rng


@dataclass(frozen=True, slots=True)
class LiveCallView:
    """A live call as the owner sees it: where it is and since when it waits."""

    queue: str
    call: str
    state: CallState
    position: int | None
    arrived_at: float


@dataclass(eq=False)
class OwnedPartition:
    """An engine this replica runs because it holds the partition's lease."""

    store: AcdStore
    lease: Lease
    engine: Engine
    rng: random.Random
    seq: int
    valid_until: float  # local monotonic deadline of the lease
    reservation_margin_s: float = 5.0
    decision_clock: Callable[[], float] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    reserved: dict[AgentRef, CallRef] = field(default_factory=dict)
    since_checkpoint: int = 0
    broken: bool = False
    timer: asyncio.TimerHandle | None = None

    @property
    def key(self) -> str:
        """The partition's name."""
        return self.lease.partition

    async def catch_up(self) -> None:
        """Bring a broken partition back to the log's acknowledged state."""
        tail = await self.store.tail(self.key, self.seq)
        if tail is None:  # compacted past us (cannot happen while we own it): start over
            snapshot = await self.store.load(self.key)
            self.engine, self.rng = replay(snapshot, self.key, self.decision_clock)
            self.seq = snapshot.last_seq
        else:
            for entry in tail:
                now, event = decode_entry(entry)
                self.engine.apply(event, now)
                self.seq += 1
            if tail:
                log.warning("acd partition caught up from the log", partition=self.key,
                            entries=len(tail))
        self.reserved = self.offers_in_engine()
        self.broken = False

    def offers_in_engine(self) -> dict[AgentRef, CallRef]:
        """Every agent the engine has an offer out to, with its call."""
        st = self.engine.state
        return {a.ref: st.calls_by_seq[a.offer].ref for a in st.agents.values()
                if a.offer is not None and a.offer in st.calls_by_seq}

    async def step(self, event: Event, now: float) -> tuple[Outcome, list[Command]]:
        """Log and apply `event` (and the rejections of refused offers); returns the
        event's outcome merged with what followed, and the commands to hand out."""
        first = await self._logged(event, now)
        decisions: list[DecisionRecord] = list(first.decisions)
        notes = list(first.notes)
        handed: list[Command] = []
        pending = deque([first])
        refusals = 0
        while pending:
            current = pending.popleft()
            if current is not first:
                decisions.extend(current.decisions)
            refused = await self._settle(current.commands)
            for command in current.commands:
                if command not in refused:
                    handed.append(command)
            for offer in refused:
                refusals += 1
                notes.append(f"agent {offer.agent.agent} is reserved elsewhere: offer of "
                             f"{offer.call.call} rejected")
                if refusals <= MAX_REFUSALS:
                    pending.append(await self._logged(OfferRejected(offer.call, offer.agent),
                                                      now))
        outcome = Outcome(tuple(handed), tuple(decisions), first.rejection, tuple(notes))
        return outcome, handed

    async def _logged(self, event: Event, now: float) -> Outcome:
        entry = encode_entry(now, event)
        try:
            seq = await self.store.append(self.lease, (entry,), after=self.seq)
        except (StoreUnavailable, LeaseLost, LogConflict):
            self.broken = True  # the write may have landed: read the log before going on
            raise
        if seq != self.seq + 1:
            self.broken = True
            raise CorruptRecord(f"log of {self.key} is at {seq}, expected {self.seq + 1}")
        outcome = self.engine.apply(event, now)
        self.seq = seq
        self.since_checkpoint += 1
        return outcome

    def _still_offered(self, agent: AgentRef, call: CallRef) -> bool:
        st = self.engine.state
        live = st.agents.get(agent)
        if live is None or live.offer is None:
            return False
        found = st.calls_by_seq.get(live.offer)
        return found is not None and found.ref == call and found.state is CallState.OFFERED

    async def _settle(self, commands: tuple[Command, ...]) -> set[OfferCall]:
        offers = [c for c in commands if isinstance(c, OfferCall)]
        gone = [(a, c) for a, c in self.reserved.items() if not self._still_offered(a, c)]
        if not offers and not gone:
            return set()
        ttl = max((o.ring_timeout_s for o in offers), default=0.0) + self.reservation_margin_s
        granted = await self.store.sync(
            self.lease,
            release=[Reservation(agent_key(a), holder_key(c)) for a, c in gone],
            reserve=[Reservation(agent_key(o.agent), holder_key(o.call)) for o in offers],
            ttl_s=ttl,
        )
        for agent, _ in gone:
            del self.reserved[agent]
        refused: set[OfferCall] = set()
        for offer, ok in zip(offers, granted, strict=True):
            if ok:
                self.reserved[offer.agent] = offer.call
            else:
                refused.add(offer)
        return refused

    async def adopt_reservations(self, ttl_s: float) -> list[tuple[CallRef, AgentRef]]:
        """After a takeover: hold every agent the engine has an offer out to (the previous
        owner's reservations pass to us); returns the `(call, agent)` offers whose agent
        someone else holds, for the caller to reject."""
        offers = self.offers_in_engine()
        if not offers:
            return []
        granted = await self.store.sync(
            self.lease, release=[],
            reserve=[Reservation(agent_key(a), holder_key(c)) for a, c in offers.items()],
            ttl_s=ttl_s)
        refused = []
        for (agent, call), ok in zip(offers.items(), granted, strict=True):
            if ok:
                self.reserved[agent] = call
            else:
                refused.append((call, agent))
        return refused

    def live_calls(self) -> tuple[LiveCallView, ...]:
        """Every live call, by queue then position then arrival."""
        engine = self.engine
        views = [LiveCallView(c.queue.ref.queue, c.ref.call, c.state, engine.position(c.ref),
                              c.arrived_at) for c in engine.state.calls.values()]
        inf = float("inf")
        views.sort(key=lambda v: (v.queue, v.position or inf, v.arrived_at, v.call))
        return tuple(views)

    async def checkpoint(self) -> None:
        """Write the engine's state as of `seq` and let the store drop older entries."""
        blob = encode_checkpoint(self.engine.state, self.rng)
        await self.store.checkpoint(self.lease, self.seq, blob)
        self.since_checkpoint = 0
