"""The plain tenant-owned entities: their field rules and references, one spec each.

Entities with more than CRUD (customers' phones, routes' targets, IVR versions, skills and
memberships, users) add their own functions in the sibling modules; the specs here still
serve their plain reads and writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from control_plane.db import models as m
from control_plane.db.errors import NotFound, ValidationFailed
from control_plane.db.repos.base import get_owned
from control_plane.db.repos.crud import Crud
from control_plane.db.repos.fields import Check, Field, e164, email
from control_plane.db.vocab import (
    CALLBACK_STATUSES,
    ORDER_STATUSES,
    OVERFLOW_ACTIONS,
    OVERFLOW_NEEDS_TARGET,
    STRATEGIES,
    TICKET_STATUSES,
)

DAY = 86_400
_CODE = re.compile(r"^[a-z0-9_]{1,32}$")
_SIP_USER = re.compile(r"^[A-Za-z0-9._~+-]{1,64}$")  # RFC 3261 unreserved plus a few
_CURRENCY = re.compile(r"^[A-Z]{3}$")

NAME = Field(str, required=True, max_len=200)
OPT_TEXT = Field(str, nullable=True, max_len=200)
FLAG = Field(bool)
CALL_ID = Field(str, nullable=True, max_len=255)
OWNER = Field(int, required=True, immutable=True, low=1)  # the parent row; never moves


def _matches(pattern: re.Pattern[str], what: str) -> Check:
    return lambda v: None if pattern.match(v) else f"must be {what}"


def _check_overflow(
    session: Session, tenant: str, values: Mapping[str, Any], row: m.Queue | None
) -> None:
    """The overflow target must fit the action: an id of this tenant, or an E.164 number."""

    def current(name: str) -> Any:
        return values[name] if name in values else getattr(row, name, None)

    action, target = current("overflow_action"), current("overflow_target")
    if action is None or action not in OVERFLOW_NEEDS_TARGET:
        return
    if target is None:
        raise ValidationFailed("overflow_target", f"required when overflow_action is {action}")
    if action == "number":
        if (reason := e164(target)) is not None:
            raise ValidationFailed("overflow_target", reason)
        return
    model = {"queue": m.Queue, "ivr": m.IvrFlow, "agent": m.Agent}[action]
    if not target.isdigit():
        raise ValidationFailed("overflow_target", f"must be the id of a {model.__tablename__}")
    if row is not None and action == "queue" and int(target) == row.id:
        raise ValidationFailed("overflow_target", "a queue cannot overflow to itself")
    try:
        get_owned(session, model, tenant, int(target))
    except NotFound:
        raise ValidationFailed(
            "overflow_target", f"no {model.__tablename__} {target} in this tenant"
        ) from None


pause_reasons = Crud(
    m.PauseReason,
    {
        "code": Field(str, required=True, check=_matches(_CODE, "lowercase letters, digits, _")),
        "label": NAME,
        "paid": FLAG,
        "active": FLAG,
    },
    filters=("active",),
)

teams = Crud(m.Team, {"name": NAME})

skills = Crud(m.Skill, {"name": NAME})

seats = Crud(
    m.Seat,
    {
        "sip_username": Field(str, required=True, check=_matches(_SIP_USER, "a SIP user name")),
        "domain": Field(str, required=True, max_len=128),
        "label": OPT_TEXT,
        "credential_id": Field(int, nullable=True),
    },
    refs={"credential_id": m.SipCredential},
)

agents = Crud(
    m.Agent,
    {
        "name": NAME,
        "extension": Field(str, nullable=True, max_len=32),
        "seat_id": Field(int, nullable=True),
        "team_id": Field(int, nullable=True),
        "wrap_up_seconds": Field(int, low=0, high=DAY),
        "max_concurrent_offers": Field(int, low=1, high=10),
        "active": FLAG,
    },
    refs={"seat_id": m.Seat, "team_id": m.Team},
    filters=("team_id", "active"),
)

queues = Crud(
    m.Queue,
    {
        "name": NAME,
        "strategy": Field(str, choices=STRATEGIES),
        "sla_target_seconds": Field(int, low=1, high=3600),
        "sla_target_percent": Field(int, low=0, high=100),
        "max_wait_seconds": Field(int, nullable=True, low=1, high=DAY),
        "max_length": Field(int, nullable=True, low=1, high=100_000),
        "overflow_action": Field(str, nullable=True, choices=OVERFLOW_ACTIONS),
        "overflow_target": Field(str, nullable=True, max_len=64),
        "ring_timeout_seconds": Field(int, low=1, high=600),
        "wrap_up_seconds": Field(int, low=0, high=DAY),
        "announce_period_seconds": Field(int, nullable=True, low=1, high=3600),
        "callback_offer_seconds": Field(int, nullable=True, low=1, high=DAY),
        "music_class": Field(str, max_len=64),
        "language": Field(str, max_len=16),
    },
    check=_check_overflow,
)

dids = Crud(
    m.Did,
    {
        "number": Field(str, required=True, immutable=True, check=e164),
        "description": OPT_TEXT,
    },
)

ivr_flows = Crud(m.IvrFlow, {"name": NAME})

prompts = Crud(
    m.Prompt,
    {
        "name": NAME,
        "language": Field(str, required=True, max_len=16),
        "file_path": Field(str, required=True, max_len=1024),
    },
)

customers = Crud(
    m.Customer,
    {
        "name": NAME,
        "email": Field(str, nullable=True, max_len=254, check=email),
        "external_ref": Field(str, nullable=True, max_len=64),
        "vip": FLAG,
        "blocked": FLAG,
    },
    filters=("vip", "external_ref"),
)

contacts = Crud(
    m.Contact,
    {
        "customer_id": OWNER,
        "name": NAME,
        "title": OPT_TEXT,
        "email": Field(str, nullable=True, max_len=254, check=email),
        "phone": Field(str, nullable=True, check=e164),
    },
    refs={"customer_id": m.Customer},
    filters=("customer_id",),
)

notes = Crud(
    m.Note,
    {
        "customer_id": OWNER,
        "call_id": CALL_ID,
        "author_id": Field(int, nullable=True, immutable=True),
        "body": Field(str, required=True, max_len=20_000),
    },
    refs={"customer_id": m.Customer, "author_id": m.User},
    filters=("customer_id", "call_id"),
)

tickets = Crud(
    m.Ticket,
    {
        "customer_id": OWNER,
        "call_id": CALL_ID,
        "subject": NAME,
        "body": Field(str, nullable=True, max_len=20_000),
        "status": Field(str, choices=TICKET_STATUSES),
    },
    refs={"customer_id": m.Customer},
    filters=("customer_id", "call_id", "status"),
)

orders = Crud(
    m.Order,
    {
        "customer_id": OWNER,
        "call_id": CALL_ID,
        "reference": Field(str, required=True, max_len=64),
        "amount": Field(Decimal, required=True, low=0, high=9_999_999_999.99),
        "currency": Field(str, required=True, check=_matches(_CURRENCY, "an ISO 4217 code")),
        "status": Field(str, choices=ORDER_STATUSES),
    },
    refs={"customer_id": m.Customer},
    filters=("customer_id", "call_id", "status"),
)

recordings = Crud(
    m.Recording,
    {
        "call_id": Field(str, required=True, immutable=True, max_len=255),
        "queue_id": Field(int, nullable=True),
        "agent_id": Field(int, nullable=True),
        "started_at": Field(datetime, required=True),
        "ended_at": Field(datetime, nullable=True),
        "file_path": Field(str, required=True, max_len=1024),
        "duration_seconds": Field(float, low=0),
        "size_bytes": Field(int, low=0),
    },
    refs={"queue_id": m.Queue, "agent_id": m.Agent},
    filters=("call_id", "queue_id", "agent_id"),
)

voicemails = Crud(
    m.Voicemail,
    {
        "queue_id": Field(int, nullable=True),
        "caller_number": Field(str, required=True, max_len=32),
        "received_at": Field(datetime, required=True),
        "file_path": Field(str, required=True, max_len=1024),
        "duration_seconds": Field(float, low=0),
        "listened": FLAG,
    },
    refs={"queue_id": m.Queue},
    filters=("queue_id", "listened"),
)

callbacks = Crud(
    m.Callback,
    {
        "queue_id": Field(int, required=True),
        "number": Field(str, required=True, check=e164),
        "due_at": Field(datetime, nullable=True),
        "status": Field(str, choices=CALLBACK_STATUSES),
        "attempts": Field(int, low=0, high=1000),
        "origin_call_id": CALL_ID,
        "last_call_id": CALL_ID,
    },
    refs={"queue_id": m.Queue},
    filters=("queue_id", "status"),
)

# Every spec by entity name, for the API's generic resource routes.
ENTITIES: dict[str, Crud[Any]] = {
    spec.entity: spec
    for spec in (
        pause_reasons, teams, skills, seats, agents, queues, dids, ivr_flows, prompts,
        customers, contacts, notes, tickets, orders, recordings, voicemails, callbacks,
    )
}
