"""Cross-queue arbitration: which waiting call a free agent takes, and its audit.

An agent that becomes free takes the most urgent of its queues' first calls: higher priority
class first, then the earlier service-level deadline, then arrival (`LiveCall.rank`). Reading
every queue's first call means touching a queue, a call, its rank tuple and its deadline per
queue, scattered over the heap; with 10,000 agents those reads miss the CPU cache and were
most of the decision. So every queue also keeps its first call's rank as one float
(`head_key`) in a list shared by all queues (`AcdState.head_keys`, a pointer per queue and one
small float each, which stay in cache): ranking an agent's queues sorts its queue numbers by
those floats, and only the audit's few best queues are read as objects. (A list rather than
an array of doubles: `list.__getitem__` as a sort key is a fast builtin call, an array's is a
slot wrapper that costs several times more per read.)

The float is monotone in the rank (a lower rank never gets a higher key), so where keys differ
they order heads exactly as ranks do. Equal class-0 keys are equal deadlines, ordered by
arrival through a second list (`AcdState.head_seqs`, the first call's seq). Equal keys of a
higher class, and a queue the agent serves only at a relaxed level whose head ranks among the
best, are settled by reading those heads and sorting them by exact rank. A head the float
cannot stand for (a call somebody declined, which this agent may have to skip, or a deadline
beyond ±2**38 s) has -inf, which sends the agent down the full walk of its queues
(`heads_full`), as do degraded seats.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import repeat
from operator import attrgetter, lt, sub
from typing import TYPE_CHECKING, Literal, NamedTuple

from control_plane.acd.commands import AUDIT_TOP_K, Candidate
from control_plane.acd.model import SeatPolicy

if TYPE_CHECKING:
    from control_plane.acd.state import AcdState, LiveAgent, LiveCall, QueueState

INF = float("inf")
# Classes are 2**40 s apart on the key and deadlines stay within ±2**38 s, so a higher class
# always has the lower key; within a class the key is the deadline itself (exact for class 0).
_CLASS_SHIFT = 2.0**40
_SPAN = 2.0**38
# Audit score of a candidate queue: the class dominates, then seconds past the SL deadline.
CLASS_WEIGHT = 1e9
_rank = attrgetter("rank")
_name = attrgetter("name")
_make = tuple.__new__


def head_key(call: LiveCall) -> float:
    """The cross-queue ranking float of a queue's first call (-inf: rank it the exact way)."""
    if call.has_declined:
        return -INF
    return _key_of(call)


def _key_of(call: LiveCall) -> float:
    deadline = call.deadline
    if not -_SPAN < deadline < _SPAN:
        return -INF
    return deadline - call.priority_class * _CLASS_SHIFT


def _class_of(key: float) -> int:
    """The priority class a finite head key encodes."""
    return round(-key / _CLASS_SHIFT)


def set_top(queue: QueueState, call: LiveCall | None) -> None:
    """Make `call` the queue's first waiting call; its key and seq go to the shared lists."""
    queue.top = call
    if call is None:
        queue.head_keys[queue.qidx] = INF
        return
    # `head_key(call)`, inlined: this runs on every enqueue at the front and every dequeue.
    deadline = call.deadline
    if call.has_declined or not -_SPAN < deadline < _SPAN:
        queue.head_keys[queue.qidx] = -INF
    else:
        queue.head_keys[queue.qidx] = deadline - call.priority_class * _CLASS_SHIFT
    queue.head_seqs[queue.qidx] = call.seq


class Arbitration(NamedTuple):
    """What a free agent takes: the winning call, the audit's best candidates, the rule.

    A NamedTuple, built with `tuple.__new__` once per decision (cheaper than an `__init__`).
    """

    best: LiveCall
    candidates: tuple[Candidate, ...]
    considered: int
    rule: str


def _rule(considered: int, best_class: int, lowest_class: int) -> str:
    if considered == 1:
        return "arbitration:only-queue"
    if lowest_class != best_class:
        return "arbitration:priority"
    return "arbitration:sl-deadline"


def _from_calls(heads: list[LiveCall], now: float, considered: int, lowest: int) -> Arbitration:
    """The arbitration over heads already in rank order (the best `AUDIT_TOP_K` at least)."""
    best = heads[0]
    candidates = tuple(
        [_make(Candidate, (c.queue.name, c.priority_class * CLASS_WEIGHT + now - c.deadline))
         for c in heads[:AUDIT_TOP_K]]
    )
    return _make(Arbitration, (best, candidates, considered,
                               _rule(considered, best.priority_class, lowest)))


def head_for(st: AcdState, queue: QueueState, agent: LiveAgent, lowest: int) -> LiveCall | None:
    """The queue's first call at level `lowest` or above that the agent has not declined."""
    best: LiveCall | None = None
    calls = st.calls_by_seq
    for lst in queue.waiting[lowest:]:
        for key in lst:
            call = calls[key[2]]
            if agent.idx in call.declined:
                continue
            if best is None or key < best.key:
                best = call
            break
    return best


def _relaxed_heads(st: AcdState, agent: LiveAgent) -> list[LiveCall]:
    """Heads of the queues the agent serves only at a relaxed level (a per-level look)."""
    heads: list[LiveCall] = []
    for queue, level in agent.relaxed:
        if queue.waiting_count:
            call = head_for(st, queue, agent, 0 if queue.risk_level >= level else level)
            if call is not None:
                heads.append(call)
    return heads


def arbitrate_fast(
    st: AcdState, agent: LiveAgent, now: float
) -> Arbitration | Literal[False] | None:
    """Arbitration through the head keys; False: nothing to take; None: walk every queue.

    Strict queues (the agent qualifies at their strictest level, so it may take any of their
    calls) are ranked by key, equal class-0 keys (one deadline) by arrival. Unless a relaxed
    queue's head ranks among the best `AUDIT_TOP_K`, only those queues are read.
    """
    get = st.head_keys.__getitem__
    order = sorted(agent.strict_ids, key=get)
    count = bisect_left(order, INF, key=get)
    cut = AUDIT_TOP_K if count > AUDIT_TOP_K else count
    keys = list(map(get, order[:cut + 1]))  # one past the cut: a tie there matters too
    if count and keys[0] == -INF:
        return None
    extra = _relaxed_heads(st, agent) if agent.relaxed else []
    if not count:
        return _exact(st, now, [], extra) if extra else False
    if not all(map(lt, keys, keys[1:])):
        if keys[0] < -_SPAN:
            # Equal keys of a higher class may hide different deadlines: rank every head.
            return _exact(st, now, order[:count], extra)
        # Equal keys are equal deadlines: the earlier arrival (lower seq) first. Sorting by
        # seq, then (stable) by key, orders by both.
        order = sorted(sorted(agent.strict_ids, key=st.head_seqs.__getitem__), key=get)
        keys = list(map(get, order[:cut + 1]))
    queues = st.queue_list
    first = keys[0]
    if extra:
        lowest = min(_class_of(get(order[count - 1])), *[c.priority_class for c in extra])
        if cut < AUDIT_TOP_K or min(map(_key_of, extra)) <= keys[cut - 1]:
            # A relaxed queue's head is among the best: rank those exactly with the best.
            heads: list[LiveCall] = [queues[q].top for q in order[:cut]]  # type: ignore[misc]
            heads.extend(extra)
            heads.sort(key=_rank)
            return _from_calls(heads, now, count + len(extra), lowest)
    elif first > -_SPAN:
        lowest = 0  # the best head is of class 0, so is every other
    else:
        lowest = _class_of(get(order[count - 1]))
    # Key order is rank order here. A class-0 key is the deadline itself, so its score needs
    # only the queue's name: (0 * weight + now) - deadline, the same float `_from_calls` makes.
    best_queues = list(map(queues.__getitem__, order[:cut]))
    if first > -_SPAN:
        candidates = tuple(map(_make, repeat(Candidate), zip(
            map(_name, best_queues), map(sub, repeat(0 * CLASS_WEIGHT + now), keys[:cut]),
            strict=True,
        )))
    else:
        candidates = _candidates(best_queues, keys, now)
    best = best_queues[0].top
    considered = count + len(extra)
    rule = _rule(considered, 0 if first > -_SPAN else _class_of(first), lowest)
    return _make(Arbitration, (best, candidates, considered, rule))


def _candidates(
    best_queues: list[QueueState], keys: list[float], now: float
) -> tuple[Candidate, ...]:
    """Audit candidates of queues in key order when some head is of a higher class."""
    out = []
    for queue, key in zip(best_queues, keys, strict=False):
        if key < -_SPAN:  # a higher class: read the call for its exact deadline
            head = queue.top
            assert head is not None
            score = head.priority_class * CLASS_WEIGHT + now - head.deadline
        else:
            score = 0 * CLASS_WEIGHT + now - key
        out.append(_make(Candidate, (queue.name, score)))
    return tuple(out)


def _exact(st: AcdState, now: float, strict: list[int], extra: list[LiveCall]) -> Arbitration:
    """Every head read and sorted by exact rank (strict queues by number, relaxed heads)."""
    queues = st.queue_list
    heads: list[LiveCall] = [queues[q].top for q in strict]  # type: ignore[misc]
    heads.extend(extra)
    heads.sort(key=_rank)
    return _from_calls(heads, now, len(heads), heads[-1].priority_class)


def heads_full(st: AcdState, agent: LiveAgent) -> list[LiveCall]:
    """The heads an agent can take, skipping calls it declined and queues excluding its seat."""
    idx = agent.idx
    degraded = agent.seat_degraded
    heads: list[LiveCall] = []
    for queue, level in agent.eligible:
        if not queue.waiting_count:
            continue
        if degraded and queue.config.seat_policy is SeatPolicy.EXCLUDE:
            continue
        call = queue.top
        if len(queue.waiting) > 1 or (call is not None and idx in call.declined):
            call = head_for(st, queue, agent, 0 if queue.risk_level >= level else level)
        if call is not None:
            heads.append(call)
    return heads


def arbitrate_full(st: AcdState, agent: LiveAgent, now: float) -> Arbitration | None:
    """Arbitration by reading and sorting every head (degraded seats, declined heads)."""
    heads = heads_full(st, agent)
    if not heads:
        return None
    heads.sort(key=_rank)
    return _from_calls(heads, now, len(heads), heads[-1].priority_class)


def arbitrate(st: AcdState, agent: LiveAgent, now: float) -> Arbitration | None:
    """The call a free agent takes and the audit of that choice; None when it can take none."""
    if not agent.seat_degraded:
        fast = arbitrate_fast(st, agent, now)
        if fast is False:
            return None
        if isinstance(fast, Arbitration):
            return fast
    return arbitrate_full(st, agent, now)


def heads_fast(st: AcdState, agent: LiveAgent) -> list[LiveCall] | None:
    """Every head the agent can take, through the head keys; None when the full walk is due."""
    get = st.head_keys.__getitem__
    order = sorted(agent.strict_ids, key=get)
    count = bisect_left(order, INF, key=get)
    if count and get(order[0]) == -INF:
        return None
    queues = st.queue_list
    heads: list[LiveCall] = [queues[q].top for q in order[:count]]  # type: ignore[misc]
    return heads + _relaxed_heads(st, agent)
