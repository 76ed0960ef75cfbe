"""Matching calls and agents: the two decisions, offers, re-queueing and leaving the queue.

Every handler ends in one of two decisions. A call that needs an agent asks its queue's
strategy over the idle index (`dispatch_call`); an agent that became available looks at the
head of each queue it can serve and takes the most urgent call: higher priority class first,
then the earliest service-level deadline (arrival + the queue's threshold), which ranks queues
by their wait relative to their own target (`dispatch_agent`). Each queue keeps its first call
(`top`) up to date on enqueue/dequeue, so that look costs one attribute read per queue.
"""

from __future__ import annotations

import random
from bisect import bisect_left, insort
from collections.abc import Callable
from typing import TYPE_CHECKING

from control_plane.acd import heads
from control_plane.acd.commands import (
    CancelOffer,
    Candidate,
    Command,
    DecisionRecord,
    DecisionTrigger,
    decision_record,
    offer_call,
)
from control_plane.acd.heads import arbitrate_fast, arbitrate_full, set_top
from control_plane.acd.model import AgentState, CallState, SeatPolicy
from control_plane.acd.pool import AgentPool
from control_plane.acd.strategies.base import SelectionContext
from control_plane.acd.timers import TimerKind

if TYPE_CHECKING:
    from control_plane.acd.state import AcdState, LiveAgent, LiveCall

# The two head walks, reachable here too: tests compare them (the index against the full walk).
_heads_fast = heads.heads_fast
_heads_full = heads.heads_full

# Enum members read on every event, as module constants: on Python 3.11 each `Enum.MEMBER`
# read goes through EnumType.__getattr__ (about 70 ns, several per event).
_QUEUED = CallState.QUEUED
_OFFERED = CallState.OFFERED
_READY = AgentState.READY
_RINGING = AgentState.OFFERED
_RING = TimerKind.RING
_AGENT_AVAILABLE = DecisionTrigger.AGENT_AVAILABLE



class Step:
    """The effects of one `apply`: the moment, the generator, and what comes out."""

    __slots__ = ("clock", "commands", "decisions", "notes", "now", "rng", "st")

    def __init__(
        self, st: AcdState, now: float, rng: random.Random, clock: Callable[[], float] | None
    ) -> None:
        self.st = st
        self.now = now
        self.rng = rng
        self.clock = clock
        self.commands: list[Command] = []
        self.decisions: list[DecisionRecord] = []
        self.notes: list[str] = []


def position_of(call: LiveCall) -> int:
    """1-based place of a queued call among its queue's waiting calls (all levels)."""
    key = call.key
    return 1 + sum(bisect_left(lst, key) for lst in call.queue.waiting)


def enqueue(call: LiveCall) -> None:
    """Put the call (back) into its queue at the place its key gives it."""
    queue = call.queue
    key = call.key
    insort(queue.waiting[call.level], key)
    queue.waiting_count += 1
    call.state = _QUEUED
    top = queue.top
    if top is None or key < top.key:
        set_top(queue, call)


def dequeue(call: LiveCall) -> None:
    """Take a queued call out of its queue's waiting list."""
    queue = call.queue
    lst = queue.waiting[call.level]
    queue.waiting_count -= 1
    if queue.top is not call:
        del lst[bisect_left(lst, call.key)]
        return
    # The queue's first call (what agents take) is first in its list: no search needed.
    del lst[0]
    waiting = queue.waiting
    if len(waiting) == 1:
        set_top(queue, queue.calls_by_seq[lst[0][2]] if lst else None)
    else:
        firsts = [lst[0] for lst in waiting if lst]
        set_top(queue, queue.calls_by_seq[min(firsts)[2]] if firsts else None)


def effective_level(call: LiveCall) -> int:
    """The relaxation level the call accepts agents at: its own or its queue's risk level."""
    queue = call.queue
    return min(max(call.level, queue.risk_level), queue.max_level)


def _record(
    step: Step,
    trigger: DecisionTrigger,
    *,
    call: LiveCall,
    agents: tuple[LiveAgent, ...],
    rule: str,
    candidates: tuple[Candidate, ...],
    considered: int,
    started: float,
) -> None:
    st = step.st
    st.next_decision_id += 1
    clock = step.clock
    step.decisions.append(
        decision_record(
            st.next_decision_id,
            step.now,
            trigger,
            queue=call.queue.ref,
            call=call.ref,
            agents=(agents[0].ref,) if len(agents) == 1 else tuple([a.ref for a in agents]),
            rule=rule,
            candidates=candidates,
            candidates_considered=considered,
            elapsed_us=(clock() - started) * 1e6 if clock is not None else None,
        )
    )


def offer(step: Step, call: LiveCall, agents: tuple[LiveAgent, ...]) -> None:
    """Ring the agents with the call; each agent holds at most this one offer."""
    st = step.st
    if call.state is _QUEUED:
        dequeue(call)
        call.offers += 1
    call.state = _OFFERED
    queue = call.queue
    ring = queue.config.ring_timeout_s
    due = step.now + ring
    for agent in agents:
        if agent.idle_keys is not None:
            st.idle.remove(agent)
        agent.offer = call.seq
        if agent.state is _READY:
            agent.state = _RINGING
        call.offered += (agent.idx,)
        # An agent holds at most one offer, so its ring timer is keyed by the agent alone.
        st.timers.set(_RING, agent.idx, due)
        step.commands.append(offer_call(call.ref, agent.ref, queue.ref, ring, call.callback))
    if queue.strategy.progressive:
        arm_call_timer(step, TimerKind.PROGRESS, call, step.now + queue.config.progressive_step_s)


def dispatch_call(step: Step, call: LiveCall, trigger: DecisionTrigger) -> bool:
    """Ask the queue's strategy for agents for this call and offer; False if none."""
    st = step.st
    queue = call.queue
    level = effective_level(call)
    reqs = queue.reqs[level]
    has_skill = st.idle.has_skill
    for skill_id, _ in reqs:
        if not has_skill(skill_id):
            return False  # nobody with this skill is free: the usual case under backlog
    started = step.clock() if step.clock is not None else 0.0
    exclude = call.declined.union(call.offered) if call.offered else call.declined
    pool = AgentPool(
        st.idle, st.agents_by_idx, reqs, exclude, queue.config.seat_policy is SeatPolicy.RANK_DOWN
    )
    selection = queue.strategy.select(SelectionContext(pool, queue, call, reqs, step.now, step.rng))
    if selection is None:
        return False
    offer(step, call, selection.agents)
    rule = selection.rule
    if level:
        why = "time" if call.level >= level else "sla-risk"
        rule = f"{rule}@relaxed-{level}-{why}"
    candidates = selection.candidates
    _record(step, trigger, call=call, agents=selection.agents, rule=rule,
            candidates=candidates, considered=len(candidates), started=started)
    return True


def dispatch_agent(step: Step, agent: LiveAgent) -> bool:
    """Offer the available agent the most urgent call it can take; False if none.

    Each eligible queue offers its most urgent call the agent may take; they are ranked by
    priority class, then service-level deadline, then arrival (`heads.arbitrate`). The audit
    keeps the best `AUDIT_TOP_K` of them in that order (the winner first) and how many were
    compared.
    """
    clock = step.clock
    started = clock() if clock is not None else 0.0
    st = step.st
    now = step.now
    # `heads.arbitrate`, unrolled: this runs for every agent that becomes free.
    won = None if agent.seat_degraded else arbitrate_fast(st, agent, now)
    if won is False:
        return False
    if won is None:
        won = arbitrate_full(st, agent, now)
        if won is None:
            return False
    best, candidates, considered, rule = won
    offer(step, best, (agent,))
    # `_record`, unrolled for the same reason.
    st.next_decision_id += 1
    step.decisions.append(decision_record(
        st.next_decision_id, now, _AGENT_AVAILABLE, queue=best.queue.ref, call=best.ref,
        agents=(agent.ref,), rule=rule, candidates=candidates, candidates_considered=considered,
        elapsed_us=(clock() - started) * 1e6 if clock is not None else None,
    ))
    return True


def make_available(step: Step, agent: LiveAgent) -> None:
    """Give an agent that may have become available a call, or index it as idle."""
    st = step.st
    if not agent.available:
        st.idle.remove(agent)
        return
    if agent.idle_keys is not None:
        return
    if not dispatch_agent(step, agent):
        st.idle.add(agent)


def without(items: tuple[int, ...], item: int) -> tuple[int, ...]:
    """The tuple with the first `item` left out (ValueError when absent, as list.remove)."""
    if len(items) == 1 and items[0] == item:
        return ()
    i = items.index(item)
    return items[:i] + items[i + 1:]


def withdraw_offer(step: Step, call: LiveCall, agent: LiveAgent, notify: bool) -> None:
    """Take one agent's offer back; the agent's next state is the caller's business."""
    step.st.timers.cancel(_RING, agent.idx)
    call.offered = without(call.offered, agent.idx)
    agent.offer = None
    if agent.state is _RINGING:
        agent.state = _READY
    if notify:
        step.commands.append(CancelOffer(call.ref, agent.ref))


def arm_call_timer(step: Step, kind: TimerKind, call: LiveCall, due: float) -> None:
    """Arm one of the call's own timers (every call timer goes through here)."""
    call.timed = True
    step.st.timers.set(kind, call.seq, due)


def cancel_call_timers(step: Step, call: LiveCall) -> None:
    """Disarm the timers that belong to a waiting call."""
    if not call.timed:
        return
    call.timed = False
    timers = step.st.timers
    seq = call.seq
    for kind in (TimerKind.RELAX, TimerKind.MAX_WAIT, TimerKind.ANNOUNCE, TimerKind.PROGRESS):
        timers.cancel(kind, seq)
