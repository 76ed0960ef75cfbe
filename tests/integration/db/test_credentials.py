"""The seat credentials functions on the migrated schema, read back the way auth_db reads."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from control_plane.db.credentials import (
    SeatAccount,
    digest_ha1,
    remove_seat,
    set_seat_password,
    set_seat_passwords,
)
from control_plane.db.repos import entities, tenancy

# What Kamailio's auth_db asks (kamailio.cfg: user/domain/password columns, tenant AVP).
AUTH_DB_QUERY = text(
    "SELECT ha1, ha1b, tenant FROM sip_credentials WHERE username = :u AND domain = :d"
)


def _auth_row(engine: Engine, user: str, domain: str) -> tuple[str, str, str] | None:
    with engine.connect() as conn:
        row = conn.execute(AUTH_DB_QUERY, {"u": user, "d": domain}).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


def test_set_replace_and_remove(engine: Engine) -> None:
    set_seat_passwords(engine, [SeatAccount("acme", f"10{i:02}", "sip.example", f"pw{i}")
                                for i in range(5)])
    assert _auth_row(engine, "1003", "sip.example") == (
        digest_ha1("1003", "sip.example", "pw3"),
        digest_ha1("1003@sip.example", "sip.example", "pw3"),
        "acme",
    )
    set_seat_password(engine, SeatAccount("beta", "1003", "sip.example", "new"))
    row = _auth_row(engine, "1003", "sip.example")
    assert row is not None
    assert (row[0], row[2]) == (digest_ha1("1003", "sip.example", "new"), "beta")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sip_credentials")).scalar() == 5
    assert remove_seat(engine, "1003", "sip.example")
    assert not remove_seat(engine, "1003", "sip.example")
    assert _auth_row(engine, "1003", "sip.example") is None


def test_seat_survives_removal_of_its_credentials(engine: Engine) -> None:
    set_seat_password(engine, SeatAccount("acme", "2001", "sip.example", "pw"))
    with Session(engine, expire_on_commit=False) as s:
        with s.begin():
            cred_id = s.execute(text("SELECT id FROM sip_credentials")).scalar_one()
            tenancy.create_tenant(s, {"id": "acme", "name": "Acme"})
            seat = entities.seats.create(s, "acme", {"sip_username": "2001",
                                                     "domain": "sip.example",
                                                     "credential_id": cred_id})
        assert remove_seat(engine, "2001", "sip.example")
        with s.begin():
            s.refresh(seat)
            assert seat.credential_id is None  # ON DELETE SET NULL
