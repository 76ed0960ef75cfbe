"""Pure helpers of the configuration API: tenant choice, PATCH models, the ACD's view."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from control_plane.acd.events import QueueUpserted, TenantUpserted
from control_plane.acd.model import DEFAULT_PAUSE_REASONS, OverflowKind
from control_plane.acd.strategies import STRATEGIES
from control_plane.api.agent_acd_config import acd_events
from control_plane.api.config_crud import acting_tenant, patch_of
from control_plane.api.config_models import STRATEGY_NAMES, QueueIn
from control_plane.api.errors import InvalidQuery, PermissionDenied
from control_plane.auth.permissions import Role
from control_plane.auth.principal import Principal
from control_plane.db.repos.acd import AcdConfig, QueueRecord

ADMIN = Principal(1, "adam", "acme", Role.ADMIN)
ROOT = Principal(2, "root", None, Role.SUPER_ADMIN)


def test_acting_tenant() -> None:
    assert acting_tenant(ADMIN, None) == acting_tenant(ADMIN, "acme") == "acme"
    with pytest.raises(PermissionDenied):
        acting_tenant(ADMIN, "globex")
    assert acting_tenant(ROOT, "globex") == "globex"
    with pytest.raises(InvalidQuery) as err:
        acting_tenant(ROOT, None)
    assert err.value.details["field"] == "tenant"


def test_strategies_are_the_acds() -> None:
    assert {n.replace("_", "-") for n in STRATEGY_NAMES} == set(STRATEGIES)
    assert QueueIn(name="q", strategy="ring-all").strategy == "ring_all"
    with pytest.raises(ValidationError) as err:
        QueueIn(name="q", strategy="fastest")
    assert err.value.errors()[0]["loc"] == ("strategy",)


def test_patch_models_have_no_required_fields() -> None:
    patch = patch_of(QueueIn, exclude=("name",))
    assert patch().model_dump(exclude_unset=True) == {}
    assert patch(strategy="best-match").model_dump(exclude_unset=True) == {
        "strategy": "best_match"}
    for bad in ({"name": "x"}, {"sla_target_percent": 101}, {"strategy": "x"}):
        with pytest.raises(ValidationError):
            patch(**bad)


def _queue(qid: int, name: str, skills: dict[str, int], **settings: object) -> QueueRecord:
    base = {"strategy": "top_down", "sla_target_percent": 90, "sla_target_seconds": 15,
            "wrap_up_seconds": 5, "ring_timeout_seconds": 12, "announce_period_seconds": None,
            "overflow_action": None, "overflow_target": None, "max_wait_seconds": None,
            "max_length": None}
    return QueueRecord(qid, name, {**base, **settings}, skills, ())


def test_the_acds_view_of_the_configuration() -> None:
    config = AcdConfig("acme", ("en", "zh"), (), (), (
        _queue(1, "sales", {"zh": 2}, overflow_action="queue", overflow_target="2",
               max_wait_seconds=60),
        _queue(2, "support", {"en": 1}, overflow_action="hangup", max_length=5),
        _queue(3, "empty", {})))
    tenant, sales, support = acd_events(config)
    assert isinstance(tenant, TenantUpserted)
    assert tenant.config.pause_reasons == DEFAULT_PAUSE_REASONS  # none configured yet
    assert isinstance(sales, QueueUpserted) and isinstance(support, QueueUpserted)
    q = sales.config
    assert (q.queue_id, q.strategy, q.service_level.target, q.service_level.threshold_s,
            q.wrap_up_s, q.ring_timeout_s) == ("sales", "top-down", 0.9, 15.0, 5.0, 12.0)
    assert q.overflow.max_wait_s == 60.0 and q.overflow.on_max_wait is not None
    assert (q.overflow.on_max_wait.kind, q.overflow.on_max_wait.target_queue) == (
        OverflowKind.QUEUE, "support")
    s = support.config.overflow
    assert (s.max_length, s.on_max_length and s.on_max_length.kind) == (5, OverflowKind.HANG_UP)
