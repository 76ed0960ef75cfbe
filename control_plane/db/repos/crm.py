"""Customers with their phone numbers, and the screen-pop lookup by calling number."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from control_plane.db import models as m
from control_plane.db.errors import ValidationFailed
from control_plane.db.repos.base import Page, flush, get_owned, paginate, translated
from control_plane.db.repos.entities import customers
from control_plane.db.repos.fields import Field, check_value, e164

_NUMBER = Field(str, check=e164)
_LABEL = Field(str, nullable=True, max_len=32)
MAX_PHONES = 20  # per customer: a bound on what one import row or request may add


def create_customer(
    session: Session, tenant: str, data: Mapping[str, Any], phones: Iterable[str] = ()
) -> m.Customer:
    """A new customer of ``tenant`` with its E.164 numbers (validated, de-duplicated)."""
    numbers = _numbers(phones)
    customer = customers.create(session, tenant, data)
    for number in numbers:
        session.add(m.CustomerPhone(tenant=tenant, customer_id=customer.id, number=number))
    flush(session)
    return customer


def add_phone(
    session: Session, tenant: str, *, customer_id: int, number: str, label: str | None = None
) -> m.CustomerPhone:
    """Give a customer one more number; Conflict if it already has it."""
    number = check_value("number", _NUMBER, number)
    label = check_value("label", _LABEL, label)
    customer = get_owned(session, m.Customer, tenant, customer_id)
    phone = m.CustomerPhone(tenant=tenant, customer_id=customer.id, number=number, label=label)
    session.add(phone)
    flush(session)
    return phone


def remove_phone(session: Session, tenant: str, *, customer_id: int, number: str) -> bool:
    """Take a number from a customer; False if it did not have it."""
    get_owned(session, m.Customer, tenant, customer_id)
    with translated():
        phone = session.scalars(
            select(m.CustomerPhone).where(
                m.CustomerPhone.customer_id == customer_id, m.CustomerPhone.number == number
            )
        ).one_or_none()
    if phone is None:
        return False
    session.delete(phone)
    flush(session)
    return True


def customers_by_phone(session: Session, tenant: str, number: str) -> list[m.Customer]:
    """The tenant's customers with ``number`` (E.164), phones loaded, oldest first.

    One indexed lookup on (tenant, number): what the desk's screen pop runs for each
    offered call. Several customers may share a line, hence a list.
    """
    number = check_value("number", _NUMBER, number)
    with translated():
        return list(
            session.scalars(
                select(m.Customer)
                .join(m.CustomerPhone, m.CustomerPhone.customer_id == m.Customer.id)
                .where(m.CustomerPhone.tenant == tenant, m.CustomerPhone.number == number)
                .options(selectinload(m.Customer.phones))
                .order_by(m.Customer.id)
            )
        )


def list_customers(
    session: Session, tenant: str, *, limit: int = 50, offset: int = 0
) -> Page[m.Customer]:
    """One page of the tenant's customers, phones loaded (exports walk these pages)."""
    stmt = (
        select(m.Customer)
        .where(m.Customer.tenant == tenant)
        .options(selectinload(m.Customer.phones))
        .order_by(m.Customer.id)
    )
    return paginate(session, stmt, limit=limit, offset=offset)


def _numbers(phones: Iterable[str]) -> list[str]:
    numbers: list[str] = []
    for i, number in enumerate(phones):
        checked = check_value(f"phones[{i}]", _NUMBER, number)
        if checked not in numbers:
            numbers.append(checked)
    if len(numbers) > MAX_PHONES:
        raise ValidationFailed("phones", f"more than {MAX_PHONES} numbers")
    return numbers
