"""Field rules of the repositories: bad values are refused with the field at fault."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from control_plane.db.errors import ValidationFailed
from control_plane.db.repos.fields import (
    MAX_PAGE,
    Field,
    check_fields,
    check_page,
    check_value,
    e164,
    slug,
    time_zone,
)

RULES = {
    "name": Field(str, required=True, max_len=10),
    "level": Field(int, low=1, high=5),
    "kind": Field(str, nullable=True, choices=("a", "b")),
    "number": Field(str, immutable=True, check=e164),
}


@pytest.mark.parametrize("number", ["+14155550100", "+33612345678", "+12"])
def test_e164_accepts(number: str) -> None:
    assert e164(number) is None


@pytest.mark.parametrize(
    "number", ["14155550100", "+0123", "+1", "+1415555010012345", "+1 415 555", "", "+１２３"]
)
def test_e164_refuses(number: str) -> None:
    assert e164(number) is not None


@pytest.mark.parametrize("value", ["acme", "a", "acme-2", "0x"])
def test_slug_accepts(value: str) -> None:
    assert slug(value) is None


@pytest.mark.parametrize("value", ["Acme", "-acme", "acme-", "ac me", "a_b", "x" * 65, ""])
def test_slug_refuses(value: str) -> None:
    assert slug(value) is not None


def test_time_zone() -> None:
    assert time_zone("Europe/Paris") is None
    assert time_zone("Mars/Olympus") is not None
    assert time_zone("../../etc/passwd") is not None


def test_unknown_field_is_named() -> None:
    with pytest.raises(ValidationFailed) as err:
        check_fields(RULES, {"name": "x", "colour": "red"}, creating=True)
    assert err.value.field == "colour"
    assert err.value.error_id == "db.validation_failed"


def test_required_on_create_only() -> None:
    with pytest.raises(ValidationFailed) as err:
        check_fields(RULES, {"level": 2}, creating=True)
    assert err.value.field == "name"
    assert check_fields(RULES, {"level": 2}, creating=False) == {"level": 2}


def test_immutable_field_refused_on_update() -> None:
    assert check_fields(RULES, {"name": "x", "number": "+12"}, creating=True)["number"] == "+12"
    with pytest.raises(ValidationFailed) as err:
        check_fields(RULES, {"number": "+13"}, creating=False)
    assert err.value.field == "number"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("level", 0, "at least"),
        ("level", 6, "at most"),
        ("level", True, "boolean"),
        ("level", "3", "must be int"),
        ("level", None, "null"),
        ("name", "x" * 11, "longer"),
        ("name", "   ", "empty"),
        ("kind", "c", "one of"),
        ("number", "555", "E.164"),
    ],
)
def test_bad_values(field: str, value: object, reason: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_value(field, RULES[field], value)
    assert err.value.field == field
    assert reason in err.value.reason


def test_nullable_and_coercions() -> None:
    assert check_value("kind", RULES["kind"], None) is None
    assert check_value("x", Field(float), 3) == 3.0
    assert check_value("x", Field(Decimal), "12.50") == Decimal("12.50")
    with pytest.raises(ValidationFailed):
        check_value("x", Field(Decimal), "twelve")
    with pytest.raises(ValidationFailed):
        check_value("x", Field(Decimal), "NaN")
    with pytest.raises(ValidationFailed, match="timezone"):
        check_value("at", Field(datetime), datetime(2026, 1, 1))
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    assert check_value("at", Field(datetime), aware) == aware


@pytest.mark.parametrize(("limit", "offset"), [(1, 0), (MAX_PAGE, 10_000)])
def test_page_bounds_accept(limit: int, offset: int) -> None:
    check_page(limit, offset)


@pytest.mark.parametrize(
    ("limit", "offset", "field"),
    [(0, 0, "limit"), (MAX_PAGE + 1, 0, "limit"), (True, 0, "limit"), (10, -1, "offset")],
)
def test_page_bounds_refuse(limit: int, offset: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        check_page(limit, offset)
    assert err.value.field == field
