"""Repository adapters on SQLite and PostgreSQL: CRUD, pages, tenant isolation, lookups."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from control_plane.db.engine import make_engine
from control_plane.db.errors import Conflict, NotFound, Unavailable, ValidationFailed
from control_plane.db.repos import acd, crm, routing, tenancy
from control_plane.db.repos import entities as e


@pytest.fixture
def s(session: Session) -> Session:
    """Tenants acme and beta."""
    with session.begin():
        tenancy.create_tenant(session, {"id": "acme", "name": "Acme", "time_zone": "Europe/Paris"})
        tenancy.create_tenant(session, {"id": "beta", "name": "Beta"})
    return session


def test_crud_round_trip(s: Session) -> None:
    with s.begin():
        queue = e.queues.create(s, "acme", {"name": "sales", "strategy": "ring_all"})
        qid = queue.id
    with s.begin():
        got = e.queues.get(s, "acme", qid)
        assert (got.name, got.strategy, got.sla_target_seconds, got.tenant) == (
            "sales", "ring_all", 20, "acme")
        e.queues.update(s, "acme", qid, {"sla_target_percent": 90, "max_wait_seconds": 120})
    with s.begin():
        assert e.queues.get(s, "acme", qid).sla_target_percent == 90
        e.queues.delete(s, "acme", qid)
    with s.begin(), pytest.raises(NotFound):
        e.queues.get(s, "acme", qid)


def test_other_tenants_rows_are_invisible(s: Session) -> None:
    with s.begin():
        qid = e.queues.create(s, "acme", {"name": "sales"}).id
        team_b = e.teams.create(s, "beta", {"name": "b-team"}).id
    for call in (
        lambda: e.queues.get(s, "beta", qid),
        lambda: e.queues.update(s, "beta", qid, {"name": "stolen"}),
        lambda: e.queues.delete(s, "beta", qid),
    ):
        with s.begin(), pytest.raises(NotFound):
            call()
    with s.begin():
        assert e.queues.list(s, "beta").total == 0
    # A reference to another tenant's row is refused as if it did not exist.
    with s.begin(), pytest.raises(ValidationFailed) as err:
        e.agents.create(s, "acme", {"name": "Ann", "team_id": team_b})
    assert err.value.field == "team_id"


def test_pages(s: Session) -> None:
    with s.begin():
        for i in range(7):
            e.skills.create(s, "acme", {"name": f"skill-{i}"})
        e.skills.create(s, "beta", {"name": "not-mine"})
    with s.begin():
        pages = [e.skills.list(s, "acme", limit=3, offset=o) for o in (0, 3, 6)]
    assert [[r.name for r in p.items] for p in pages] == [
        ["skill-0", "skill-1", "skill-2"], ["skill-3", "skill-4", "skill-5"], ["skill-6"]]
    assert [p.total for p in pages] == [7, 7, 7]
    assert [p.next_offset for p in pages] == [3, 6, None]
    with s.begin(), pytest.raises(ValidationFailed) as err:
        e.skills.list(s, "acme", limit=501)
    assert err.value.field == "limit"
    with s.begin():
        assert len(e.skills.list(s, "acme", limit=500).items) == 7


def test_filters(s: Session) -> None:
    with s.begin():
        e.agents.create(s, "acme", {"name": "on", "active": True})
        e.agents.create(s, "acme", {"name": "off", "active": False})
    with s.begin():
        page = e.agents.list(s, "acme", where={"active": False})
        assert [a.name for a in page.items] == ["off"]
    with s.begin(), pytest.raises(ValidationFailed) as err:
        e.agents.list(s, "acme", where={"name": "on"})
    assert err.value.field == "name"


def test_unique_names_conflict_with_constraint_name(s: Session) -> None:
    with s.begin():
        e.queues.create(s, "acme", {"name": "sales"})
        e.queues.create(s, "beta", {"name": "sales"})  # another tenant may reuse it
    with s.begin(), pytest.raises(Conflict) as err:
        e.queues.create(s, "acme", {"name": "sales"})
    assert err.value.constraint == "uq_queues_tenant_name"


def test_queue_overflow_target_fits_the_action(s: Session) -> None:
    with s.begin():
        other = e.queues.create(s, "beta", {"name": "b"}).id
        qid = e.queues.create(s, "acme", {"name": "a"}).id
    bad = [
        {"overflow_action": "queue"},
        {"overflow_action": "queue", "overflow_target": str(other)},
        {"overflow_action": "queue", "overflow_target": str(qid)},
        {"overflow_action": "number", "overflow_target": "12345"},
    ]
    for changes in bad:
        with s.begin(), pytest.raises(ValidationFailed) as err:
            e.queues.update(s, "acme", qid, changes)
        assert err.value.field == "overflow_target", changes
    with s.begin():
        q2 = e.queues.create(s, "acme", {"name": "overflow"}).id
        e.queues.update(s, "acme", qid, {"overflow_action": "queue", "overflow_target": str(q2)})
        e.queues.update(s, "acme", qid, {"overflow_action": "number",
                                         "overflow_target": "+14155550199"})


def test_customer_lookup_by_phone(s: Session) -> None:
    with s.begin():
        ann = crm.create_customer(s, "acme", {"name": "Ann", "vip": True},
                                  ["+33612345678", "+33612345678", "+14155550100"]).id
        crm.create_customer(s, "acme", {"name": "Ann's husband"}, ["+33612345678"])
        crm.create_customer(s, "beta", {"name": "Stranger"}, ["+33612345678"])
    with s.begin():
        found = crm.customers_by_phone(s, "acme", "+33612345678")
        assert [c.name for c in found] == ["Ann", "Ann's husband"]
        assert [p.number for p in found[0].phones] == ["+33612345678", "+14155550100"]
        assert found[0].vip is True
        assert crm.customers_by_phone(s, "acme", "+4930123456") == []
        assert [c.name for c in crm.customers_by_phone(s, "beta", "+33612345678")] == [
            "Stranger"]
    with s.begin(), pytest.raises(ValidationFailed):
        crm.customers_by_phone(s, "acme", "0612345678")
    with s.begin(), pytest.raises(Conflict) as err:
        crm.add_phone(s, "acme", customer_id=ann, number="+14155550100")
    assert err.value.constraint == "uq_customer_phones_customer_id_number"
    with s.begin():
        e.customers.delete(s, "acme", ann)
    with s.begin():
        assert [c.name for c in crm.customers_by_phone(s, "acme", "+14155550100")] == []


def test_interactions_link_customer_and_call(s: Session) -> None:
    with s.begin():
        cid = crm.create_customer(s, "acme", {"name": "Ann"}, ["+33612345678"]).id
        other = crm.create_customer(s, "beta", {"name": "B"}).id
        e.notes.create(s, "acme", {"customer_id": cid, "call_id": "abc@h", "body": "asked"})
        ticket = e.tickets.create(s, "acme", {"customer_id": cid, "subject": "broken"})
        e.orders.create(s, "acme", {"customer_id": cid, "reference": "o-1",
                                    "amount": "19.90", "currency": "EUR"})
        assert ticket.status == "open"
        assert ticket.updated_at is None
        e.tickets.update(s, "acme", ticket.id, {"status": "resolved"})
        assert ticket.updated_at is not None
    with s.begin():
        order = e.orders.list(s, "acme", where={"customer_id": cid}).items[0]
        assert order.amount == Decimal("19.90")
        assert e.notes.list(s, "acme", where={"call_id": "abc@h"}).total == 1
    with s.begin(), pytest.raises(ValidationFailed) as err:
        e.notes.create(s, "acme", {"customer_id": other, "body": "x"})
    assert err.value.field == "customer_id"
    with s.begin(), pytest.raises(ValidationFailed) as err2:
        e.tickets.update(s, "acme", ticket.id, {"customer_id": other})
    assert err2.value.reason == "cannot be changed after creation"


def test_ivr_versions_publish_and_activate(s: Session) -> None:
    with s.begin():
        flow = e.ivr_flows.create(s, "acme", {"name": "main"}).id
        with pytest.raises(Conflict):
            routing.active_document(s, "acme", flow_id=flow)
    with s.begin():
        v1 = routing.publish_version(s, "acme", flow_id=flow, document={"say": "one"})
        v2 = routing.publish_version(s, "acme", flow_id=flow, document={"say": "two"})
        assert (v1.version, v2.version) == (1, 2)
        routing.activate_version(s, "acme", flow_id=flow, version=2)
    with s.begin():
        assert routing.active_document(s, "acme", flow_id=flow) == (2, {"say": "two"})
        routing.activate_version(s, "acme", flow_id=flow, version=1)  # rollback
    with s.begin():
        assert routing.active_document(s, "acme", flow_id=flow) == (1, {"say": "one"})
        page = routing.list_versions(s, "acme", flow_id=flow)
        assert [v.version for v in page.items] == [2, 1]
    with s.begin(), pytest.raises(NotFound):
        routing.activate_version(s, "acme", flow_id=flow, version=3)
    with s.begin(), pytest.raises(NotFound):
        routing.publish_version(s, "beta", flow_id=flow, document={})

    def refuse(doc: dict[str, object]) -> None:
        raise ValueError("menu 'root' has no options")

    with s.begin(), pytest.raises(ValidationFailed) as err:
        routing.publish_version(s, "acme", flow_id=flow, document={}, validate=refuse)
    assert (err.value.field, err.value.reason) == ("document", "menu 'root' has no options")
    with s.begin():  # the refused document took no version number
        assert routing.publish_version(s, "acme", flow_id=flow, document={}).version == 3
    with s.begin():  # deleting the flow takes its versions with it
        e.ivr_flows.delete(s, "acme", flow)


def test_routes_resolve_numbers_and_block_deletes(s: Session) -> None:
    with s.begin():
        did = e.dids.create(s, "acme", {"number": "+14155550100"}).id
        flow = e.ivr_flows.create(s, "acme", {"name": "main"}).id
        queue = e.queues.create(s, "acme", {"name": "sales"}).id
        foreign_queue = e.queues.create(s, "beta", {"name": "x"}).id
        assert routing.resolve_number(s, "+14155550100") is None  # ours, not routed
        routing.set_route(s, "acme", did_id=did, kind="ivr", target_id=flow)
    with s.begin():
        dest = routing.resolve_number(s, "+14155550100")
        assert dest is not None
        assert (dest.tenant, dest.kind, dest.target_id) == ("acme", "ivr", flow)
        assert routing.resolve_number(s, "+14155550111") is None
        routing.set_route(s, "acme", did_id=did, kind="voicemail", target_id=queue)
    with s.begin():
        dest = routing.resolve_number(s, "+14155550100")
        assert dest is not None
        assert (dest.kind, dest.target_id) == ("voicemail", queue)
    with s.begin(), pytest.raises(ValidationFailed) as err:
        routing.set_route(s, "acme", did_id=did, kind="queue", target_id=foreign_queue)
    assert err.value.field == "target_id"
    with s.begin(), pytest.raises(Conflict) as conflict:
        e.queues.delete(s, "acme", queue)
    assert conflict.value.constraint == "fk_inbound_routes_target_queue_id_queues"
    with s.begin():
        assert routing.clear_route(s, "acme", did_id=did)
        e.queues.delete(s, "acme", queue)
    with s.begin(), pytest.raises(ValidationFailed):
        e.dids.update(s, "acme", did, {"number": "+14155550101"})


def test_acd_loader(s: Session) -> None:
    with s.begin():
        fr = e.skills.create(s, "acme", {"name": "fr"}).id
        de = e.skills.create(s, "acme", {"name": "de"}).id
        seat = e.seats.create(s, "acme", {"sip_username": "1001", "domain": "acme.example"}).id
        ann = e.agents.create(s, "acme", {"name": "Ann", "seat_id": seat,
                                          "wrap_up_seconds": 15}).id
        bob = e.agents.create(s, "acme", {"name": "Bob"}).id
        e.agents.create(s, "acme", {"name": "Gone", "active": False})
        sales = e.queues.create(s, "acme", {"name": "sales", "strategy": "best_match"}).id
        e.pause_reasons.create(s, "acme", {"code": "lunch", "label": "Lunch"})
        acd.set_agent_skill(s, "acme", agent_id=ann, skill_id=fr, proficiency=5)
        acd.set_agent_skill(s, "acme", agent_id=ann, skill_id=de, proficiency=2)
        acd.set_agent_skill(s, "acme", agent_id=ann, skill_id=de, proficiency=3)  # change
        acd.set_queue_skill(s, "acme", queue_id=sales, skill_id=fr, min_proficiency=3)
        acd.set_queue_member(s, "acme", queue_id=sales, agent_id=bob, position=2)
        acd.set_queue_member(s, "acme", queue_id=sales, agent_id=ann, position=1, penalty=1)
        e.skills.create(s, "beta", {"name": "xx"})
    with s.begin():
        config = acd.load_acd_config(s, "acme")
    assert config.skills == ("de", "fr")
    assert config.pause_reasons == ("lunch",)
    assert [(a.name, a.skills, a.sip_username, a.wrap_up_seconds) for a in config.agents] == [
        ("Ann", {"fr": 5, "de": 3}, "1001", 15), ("Bob", {}, None, 0)]
    (queue,) = config.queues
    assert (queue.name, queue.settings["strategy"], queue.skills) == (
        "sales", "best_match", {"fr": 3})
    assert [(mb.agent_id, mb.position, mb.penalty) for mb in queue.members] == [
        (ann, 1, 1), (bob, 2, 0)]
    with s.begin(), pytest.raises(ValidationFailed) as err:
        acd.set_agent_skill(s, "acme", agent_id=ann, skill_id=fr, proficiency=6)
    assert err.value.field == "proficiency"
    with s.begin():
        assert acd.remove_queue_member(s, "acme", queue_id=sales, agent_id=bob)
        assert not acd.remove_queue_member(s, "acme", queue_id=sales, agent_id=bob)
        assert acd.remove_agent_skill(s, "acme", agent_id=ann, skill_id=de)


def test_users(s: Session) -> None:
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
    with s.begin():
        team = e.teams.create(s, "acme", {"name": "blue"}).id
        beta_team = e.teams.create(s, "beta", {"name": "red"}).id
        uid = tenancy.create_user(s, "acme", {"username": "ann", "password_hash": hashed,
                                              "role": "team_lead", "team_id": team}).id
        tenancy.create_user(s, None, {"username": "ann", "password_hash": hashed,
                                      "role": "super_admin"})
    with s.begin():
        user = tenancy.user_by_login(s, "acme", "ann")
        assert user is not None
        assert (user.id, user.role, user.token_version, user.active) == (uid, "team_lead", 0, True)
        operator = tenancy.user_by_login(s, None, "ann")
        assert operator is not None
        assert operator.role == "super_admin"
        assert tenancy.user_by_login(s, "beta", "ann") is None
        assert tenancy.bump_token_version(s, uid) == 1
        assert tenancy.bump_token_version(s, uid) == 2
        assert tenancy.list_users(s, "acme").total == 1
        assert tenancy.list_users(s, None).total == 2
    with s.begin():
        updated = tenancy.update_user(s, uid, {"password_hash": hashed + "x"})
        assert updated.token_version == 3  # a new password ends old sessions
    refused: list[tuple[str | None, dict[str, object], str]] = [
        ("acme", {"username": "x", "password_hash": hashed, "role": "super_admin"}, "role"),
        (None, {"username": "x", "password_hash": hashed, "role": "admin"}, "role"),
        ("acme", {"username": "x", "password_hash": "plain", "role": "agent"}, "password_hash"),
        ("acme", {"username": "x", "password_hash": hashed, "role": "agent",
                  "team_id": beta_team}, "team_id"),
        ("acme", {"username": "x", "password_hash": hashed, "role": "boss"}, "role"),
    ]
    for tenant, data, field in refused:
        with s.begin(), pytest.raises(ValidationFailed) as err:
            tenancy.create_user(s, tenant, data)
        assert err.value.field == field, data
    with s.begin(), pytest.raises(Conflict) as conflict:
        tenancy.create_user(s, "acme", {"username": "ann", "password_hash": hashed,
                                        "role": "agent"})
    assert conflict.value.constraint == "uq_users_tenant_username"
    with s.begin(), pytest.raises(NotFound):
        tenancy.bump_token_version(s, 999_999)


def test_tenants(s: Session) -> None:
    with s.begin(), pytest.raises(Conflict) as err:
        tenancy.create_tenant(s, {"id": "acme", "name": "again"})
    assert err.value.constraint == "pk_tenants"
    for data, field in (({"id": "Bad Slug", "name": "x"}, "id"),
                        ({"id": "ok", "name": "x", "time_zone": "Nowhere/City"}, "time_zone")):
        with s.begin(), pytest.raises(ValidationFailed) as bad:
            tenancy.create_tenant(s, data)
        assert bad.value.field == field
    with s.begin():
        assert [t.id for t in tenancy.list_tenants(s).items] == ["acme", "beta"]
        assert tenancy.get_tenant(s, "acme").time_zone == "Europe/Paris"
        assert tenancy.get_tenant(s, "beta").recording_notice is True
        e.queues.create(s, "beta", {"name": "q"})
        tenancy.delete_tenant(s, "beta")
    with s.begin(), pytest.raises(NotFound):
        tenancy.get_tenant(s, "beta")


@pytest.mark.parametrize(
    "url",
    ["sqlite:////nonexistent-dir/cc.sqlite", "postgresql+psycopg://postgres@127.0.0.1:1/cc"],
)
def test_unreachable_database_is_unavailable(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session, pytest.raises(Unavailable) as err:
            e.queues.get(session, "acme", 1)
        assert err.value.error_id == "db.unavailable"
    finally:
        engine.dispose()
