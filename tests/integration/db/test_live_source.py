"""The controller's configuration source on SQLite and PostgreSQL: a freshly seeded
center reads back exactly as the image of its file (no spurious change at start-up), and
edits read back as the rows the live configuration applies."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from control_plane.calls.center import load_center
from control_plane.calls.center_db import bound_to_database
from control_plane.calls.live_rows import FlowRow, RouteRow, image_of, queue_config
from control_plane.db import models as m
from control_plane.db.live_source import SqlCenterSource
from control_plane.db.repos import acd, routing
from control_plane.db.repos import entities as e

DEMO = Path(__file__).resolve().parents[3] / "control_plane" / "calls" / "demo_center.toml"


def test_a_seeded_center_reads_back_as_its_image(engine: Engine) -> None:
    center = bound_to_database(engine, load_center(DEMO))
    source = SqlCenterSource(engine)
    image = image_of(center)
    assert sorted(source.tenant_ids()) == sorted(center.tenants)
    for tenant in center.tenants:
        assert source.read(tenant) == image[tenant], tenant
    assert source.read("nobody") is None


def test_edits_read_back_as_rows(engine: Engine) -> None:
    center = bound_to_database(engine, load_center(DEMO))
    source = SqlCenterSource(engine)
    with Session(engine) as s, s.begin():
        sales = next(q for q in e.queues.list(s, "acme", limit=50, offset=0).items
                     if q.name == "sales")
        support = next(q for q in e.queues.list(s, "acme", limit=50, offset=0).items
                       if q.name == "support")
        e.queues.update(s, "acme", support.id, {
            "strategy": "fewest_calls", "max_wait_seconds": 90,
            "overflow_action": "queue", "overflow_target": str(sales.id)})
        seat = m.Seat(tenant="acme", sip_username="alice-desk", domain="cc.local")
        s.add(seat)
        s.flush()
        alice = next(a for a in center.agents if a.seat == "alice")
        e.agents.update(s, "acme", int(alice.agent_id), {"seat_id": seat.id})
        tech = next(k for k in e.skills.list(s, "acme", limit=50, offset=0).items
                    if k.name == "tech")
        acd.set_agent_skill(s, "acme", agent_id=int(alice.agent_id), skill_id=tech.id,
                            proficiency=5)
        flow = e.ivr_flows.create(s, "acme", {"name": "front"})
        document = {"start": "q", "language": "en",
                    "nodes": {"q": {"type": "queue", "queue": "sales"}}}
        routing.publish_version(s, "acme", flow_id=flow.id, document=document)
        routing.activate_version(s, "acme", flow_id=flow.id, version=1)
        did = e.dids.create(s, "acme", {"number": "+4008000077"})
        routing.set_route(s, "acme", did_id=did.id, kind="ivr", target_id=flow.id)
        box = e.dids.create(s, "acme", {"number": "+4008000078"})
        routing.set_route(s, "acme", did_id=box.id, kind="voicemail", target_id=sales.id)
    rows = source.read("acme")
    assert rows is not None
    queue = rows.queues["support"]
    assert (queue.strategy, queue.max_wait_s, queue.overflow_action,
            queue.overflow_target) == ("fewest-calls", 90, "queue", "sales")
    assert rows.agents[alice.agent_id].seat == "alice-desk"
    assert rows.agents[alice.agent_id].skills == {"sales": 4, "tech": 5}
    assert rows.flows == {"front": FlowRow("front", 1, document)}
    assert rows.routes == {"+4008000077": RouteRow("+4008000077", "ivr", "front"),
                           "+4008000078": RouteRow("+4008000078", "voicemail", "sales")}
    # Applied to the file's queue: the edited fields change, the file's own rules stay.
    before = image_of(center)["acme"].queues["support"]
    current = center.queues[("acme", "support")]
    merged = queue_config("acme", queue, current=current, before=before)
    assert merged.strategy == "fewest-calls"
    assert merged.overflow.max_wait_s == 90
    assert merged.overflow.on_max_wait is not None
    assert merged.overflow.on_max_wait.target_queue == "sales"
    assert merged.ring_timeout_s == current.ring_timeout_s
    assert merged.skills == current.skills
