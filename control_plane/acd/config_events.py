"""Handlers for tenant and queue configuration; queues re-index the agents they touch."""

from __future__ import annotations

from control_plane.acd.agent_events import compute_eligibility
from control_plane.acd.commands import DecisionTrigger
from control_plane.acd.errors import AcdInputError, RejectionCode
from control_plane.acd.estimators.rates import DecayingRate, Ewma
from control_plane.acd.events import QueueUpserted, TenantUpserted
from control_plane.acd.heads import INF, set_top
from control_plane.acd.indexes import MAX_PROFICIENCY
from control_plane.acd.lifecycle import staff, waiting_calls
from control_plane.acd.model import CallState, OverflowKind, QueueConfig
from control_plane.acd.policies.relaxation import requirements_by_level
from control_plane.acd.routing import Step, dispatch_call, enqueue, make_available
from control_plane.acd.state import QueueState, TenantState
from control_plane.acd.strategies import STRATEGIES


def on_tenant_upserted(step: Step, event: TenantUpserted) -> None:
    """Create or replace a tenant; new skills get index ids (ids are never reused)."""
    config = event.config
    if not config.tenant_id:
        raise AcdInputError(RejectionCode.INVALID, "tenant id is empty")
    st = step.st
    tenant = st.tenants.get(config.tenant_id)
    if tenant is None:
        tenant = st.tenants[config.tenant_id] = TenantState(config, {})
    tenant.config = config
    for skill in sorted(config.skills):
        if skill not in tenant.skill_ids:
            tenant.skill_ids[skill] = len(st.skill_names)
            st.skill_names.append((config.tenant_id, skill))


def _validate_queue(step: Step, config: QueueConfig) -> TenantState:
    tenant = step.st.tenants.get(config.tenant)
    if tenant is None:
        raise AcdInputError(RejectionCode.UNKNOWN_TENANT, f"no tenant {config.tenant}")
    if not config.skills:
        raise AcdInputError(RejectionCode.INVALID, "a queue needs at least one skill")
    for req in config.skills:
        if req.skill not in tenant.skill_ids:
            raise AcdInputError(RejectionCode.UNKNOWN_SKILL, f"no skill {req.skill}")
        if not 1 <= req.min_proficiency <= MAX_PROFICIENCY:
            raise AcdInputError(RejectionCode.INVALID, "minimum proficiency not in 1..5")
    if config.strategy not in STRATEGIES:
        raise AcdInputError(RejectionCode.UNKNOWN_STRATEGY, f"no strategy {config.strategy}")
    afters = [s.after_s for s in config.relaxation]
    if afters != sorted(afters) or any(a < 0 for a in afters):
        raise AcdInputError(RejectionCode.INVALID, "relaxation steps must be in time order")
    rules = config.overflow
    for action in (rules.on_max_wait, rules.on_max_length, rules.on_no_agents, rules.on_max_offers):
        if action is not None and action.kind is OverflowKind.QUEUE and (
            not action.target_queue or action.target_queue == config.queue_id
        ):
            raise AcdInputError(RejectionCode.INVALID, "overflow needs another target queue")
    if config.ring_timeout_s <= 0 or config.wrap_up_s < 0 or config.expected_handle_s <= 0:
        raise AcdInputError(RejectionCode.INVALID, "timeouts must be positive")
    return tenant


def on_queue_upserted(step: Step, event: QueueUpserted) -> None:
    """Create or replace a queue, re-index affected agents, then offer waiting calls."""
    config = event.config
    tenant = _validate_queue(step, config)
    st = step.st
    ref = config.ref
    reqs = requirements_by_level(config, tenant.skill_ids)
    queue = st.queues.get(ref)
    touched_skills = {sid for sid, _ in reqs[0]}
    if queue is None:
        queue = QueueState(
            top=None, name=config.queue_id, qidx=len(st.queue_list), head_keys=st.head_keys,
            head_seqs=st.head_seqs,
            config=config, ref=ref, reqs=reqs,
            strategy=STRATEGIES[config.strategy], waiting=[[] for _ in reqs],
            arrivals=DecayingRate(), handle=Ewma(config.expected_handle_s),
            calls_by_seq=st.calls_by_seq,
        )
        st.queues[ref] = queue
        st.queue_list.append(queue)
        st.head_keys.append(INF)
        st.head_seqs.append(0)
    else:
        touched_skills.update(sid for sid, _ in queue.reqs[0])
        for sid, _ in queue.reqs[0]:
            st.skill_queues[sid].discard(ref)
        calls = waiting_calls(queue, step)
        queue.config, queue.reqs, queue.strategy = config, reqs, STRATEGIES[config.strategy]
        queue.waiting = [[] for _ in reqs]
        queue.waiting_count = 0
        set_top(queue, None)
        queue.risk_level = min(queue.risk_level, queue.max_level)
        for call in calls:
            call.level = min(call.level, queue.max_level)
            call.deadline = call.arrived_at + config.service_level.threshold_s
            call.rank = (-call.priority_class, call.deadline, call.seq)
            enqueue(call)
        # Ringing calls re-enter the queue at their level if the offer fails: it must exist.
        for call in st.calls.values():
            if call.queue is queue and call.level > queue.max_level:
                call.level = queue.max_level
    for sid, _ in reqs[0]:
        st.skill_queues.setdefault(sid, set()).add(ref)
    agent_ids: set[int] = set()
    for sid in touched_skills:
        agent_ids.update(st.skill_agents.get(sid, ()))
    for idx in sorted(agent_ids):
        agent = st.agents_by_idx[idx]
        staff(agent, -1)
        compute_eligibility(st, agent)
        staff(agent, +1)
    for call in waiting_calls(queue, step):
        if call.state is CallState.QUEUED:
            dispatch_call(step, call, DecisionTrigger.CALL_REQUEUED)
    for idx in sorted(agent_ids):
        make_available(step, st.agents_by_idx[idx])
