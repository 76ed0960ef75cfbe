"""CRM reads and writes the API needs beyond the entity specs: customers created with their
phones through the generic routes, keyset pages for exports, and the import's lookups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from control_plane.db import models as m
from control_plane.db.repos import crm
from control_plane.db.repos.base import translated
from control_plane.db.repos.crud import Crud
from control_plane.db.repos.entities import customers


class CustomerCrud(Crud[m.Customer]):
    """The customers spec, whose create also takes ``phones`` (E.164 numbers)."""

    def create(self, session: Session, tenant: str, data: Mapping[str, Any]) -> m.Customer:
        """A new customer with its phones (validated, de-duplicated)."""
        values = dict(data)
        phones = values.pop("phones", None) or ()
        return crm.create_customer(session, tenant, values, phones)


customers_with_phones = CustomerCrud(customers.model, customers.fields,
                                     filters=customers.filters)


def customers_after(session: Session, tenant: str, *, after_id: int,
                    limit: int) -> list[m.Customer]:
    """Up to ``limit`` customers with an id above ``after_id``, phones loaded, by id.

    Keyset pages: an export walking them never repeats or skips a row because rows were
    added or removed meanwhile.
    """
    with translated():
        return list(session.scalars(
            select(m.Customer)
            .where(m.Customer.tenant == tenant, m.Customer.id > after_id)
            .options(selectinload(m.Customer.phones))
            .order_by(m.Customer.id).limit(limit)))


def customer_by_external_ref(session: Session, tenant: str, ref: str) -> m.Customer | None:
    """The tenant's customer with this external id (unique per tenant), phones loaded."""
    with translated():
        return session.scalars(
            select(m.Customer)
            .where(m.Customer.tenant == tenant, m.Customer.external_ref == ref)
            .options(selectinload(m.Customer.phones))).one_or_none()


def import_keys(session: Session, tenant: str) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Every external id and every phone number of the tenant's customers, with the
    customers' ids: two queries, so an import does not look each row up on its own."""
    with translated():
        refs = {ref: cid for ref, cid in session.execute(
            select(m.Customer.external_ref, m.Customer.id)
            .where(m.Customer.tenant == tenant, m.Customer.external_ref.is_not(None)))
            if ref is not None}
        phones: dict[str, list[int]] = {}
        for number, cid in session.execute(
                select(m.CustomerPhone.number, m.CustomerPhone.customer_id)
                .where(m.CustomerPhone.tenant == tenant).order_by(m.CustomerPhone.customer_id)):
            phones.setdefault(number, []).append(cid)
    return refs, phones
