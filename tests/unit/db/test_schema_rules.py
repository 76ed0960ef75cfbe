"""Rules the models must keep, checked on the metadata (no database needed)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Table, UniqueConstraint

from control_plane.db.errors import Conflict, ValidationFailed
from control_plane.db.models import Base
from control_plane.db.models.routing import ROUTE_TARGET_COLUMNS
from control_plane.db.repos.base import _from_sqlite, unique_name
from control_plane.db.repos.entities import ENTITIES
from control_plane.db.vocab import ROUTE_TARGETS

KAMAILIO_CFG = Path(__file__).resolve().parents[3] / "kamailio" / "kamailio.cfg"
TABLES: dict[str, Table] = dict(Base.metadata.tables)
# Kamailio reads this one; its tenant is text it loads into an AVP, not a foreign key.
NOT_TENANT_FK = {"sip_credentials"}


def test_auth_db_columns_exist_in_sip_credentials() -> None:
    """The columns kamailio.cfg tells auth_db to read are the table's columns."""
    cfg = KAMAILIO_CFG.read_text()
    params = dict(re.findall(r'modparam\("auth_db", "(\w+_column(?:_2)?)", "(\w+)"\)', cfg))
    assert set(params) >= {"user_column", "domain_column", "password_column"}
    loaded = re.findall(r'modparam\("auth_db", "load_credentials", "\$avp\(\w+\)=(\w+)"\)', cfg)
    columns = {c.name for c in TABLES["sip_credentials"].columns}
    assert set(params.values()) | set(loaded) <= columns
    assert re.search(r'auth_check\("\$fd", "sip_credentials"', cfg)


def test_sip_credentials_shape_is_unchanged() -> None:
    table = TABLES["sip_credentials"]
    assert [c.name for c in table.columns] == ["id", "tenant", "username", "domain", "ha1", "ha1b"]
    uniques = [c for c in table.constraints
               if isinstance(c, UniqueConstraint) and c.name == "uq_sip_credentials_user"]
    assert [sorted(col.name for col in uniques[0].columns)] == [["domain", "username"]]


def test_every_tenant_column_is_indexed_and_cascades() -> None:
    owned = [t for t in TABLES.values() if "tenant" in t.columns]
    assert len(owned) >= 20
    for table in owned:
        indexed = any(
            idx.columns.keys()[0] == "tenant" for idx in table.indexes
        )
        assert indexed, f"{table.name}.tenant has no index"
        if table.name in NOT_TENANT_FK:
            continue
        fks = [fk for fk in table.foreign_key_constraints if fk.column_keys == ["tenant"]]
        assert len(fks) == 1, table.name
        assert fks[0].referred_table.name == "tenants"
        assert fks[0].ondelete == "CASCADE", table.name


def test_foreign_keys_choose_on_delete_deliberately() -> None:
    """Every key either cascades, sets NULL, or is one of the keys meant to block deletes."""
    blocking = {
        ("inbound_routes", "target_queue_id"),
        ("inbound_routes", "target_ivr_flow_id"),
        ("inbound_routes", "target_agent_id"),
        ("ivr_flows", "active_version_id"),
    }
    for table in TABLES.values():
        for fk in table.foreign_key_constraints:
            assert isinstance(fk, ForeignKeyConstraint)
            key = (table.name, fk.column_keys[0])
            if fk.ondelete is None:
                assert key in blocking, f"{key} has no ON DELETE"
            else:
                assert fk.ondelete in {"CASCADE", "SET NULL"}, key
                if fk.ondelete == "SET NULL":
                    assert all(c.nullable for c in fk.columns), key


def test_names_fit_postgresql_identifiers() -> None:
    for table in TABLES.values():
        names = [c.name for c in table.constraints] + [i.name for i in table.indexes]
        for name in names:
            assert isinstance(name, str) and len(name) <= 63, name


def test_route_targets_cover_the_vocabulary() -> None:
    assert set(ROUTE_TARGET_COLUMNS) == set(ROUTE_TARGETS)
    check = next(
        c for c in TABLES["inbound_routes"].constraints
        if isinstance(c, CheckConstraint) and c.name == "ck_inbound_routes_target"
    )
    for kind in ROUTE_TARGETS:
        assert f"target_kind = '{kind}'" in str(check.sqltext)


def test_every_plain_entity_is_tenant_owned() -> None:
    for name, spec in ENTITIES.items():
        assert "tenant" in TABLES[name].columns, name
        assert "tenant" not in spec.fields, name  # the tenant comes from the caller, never the body


def test_sqlite_messages_translate_to_constraint_names() -> None:
    err = _from_sqlite("UNIQUE constraint failed: users.tenant, users.username")
    assert isinstance(err, Conflict)
    assert err.constraint == "uq_users_tenant_username"
    assert unique_name("users", ["username"]) == "uq_users_operator_username"
    assert unique_name("agent_skills", ["agent_id", "skill_id"]) == "pk_agent_skills"
    err2 = _from_sqlite("CHECK constraint failed: ck_agent_skills_proficiency_range")
    assert isinstance(err2, ValidationFailed)
    assert (err2.field, err2.constraint) == ("proficiency", "ck_agent_skills_proficiency_range")
    err3 = _from_sqlite("NOT NULL constraint failed: queues.name")
    assert isinstance(err3, ValidationFailed)
    assert err3.field == "name"
