"""Field rules of the repositories' writes (pure: no SQLAlchemy, no I/O).

The repositories refuse bad values with :class:`ValidationFailed` naming the field, before
the database sees them; the database constraints are the backstop, not the first line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from control_plane.db.errors import ValidationFailed

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_PAGE = 500

Check = Callable[[Any], str | None]


@dataclass(frozen=True, slots=True)
class Field:
    """One writable column: its Python type, whether it may be NULL, and its bounds.

    ``required`` means a create must give it (no default); ``choices``, ``low``/``high``
    and ``max_len`` bound the value; ``check`` is one more rule returning a reason or None;
    ``immutable`` fields are set at creation only.
    """

    kind: type
    required: bool = False
    nullable: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    check: Check | None = None
    immutable: bool = False


def check_value(name: str, rule: Field, value: Any) -> Any:
    """``value`` if ``rule`` accepts it for field ``name`` (normalised); else raise."""
    if value is None:
        if rule.nullable:
            return None
        raise ValidationFailed(name, "must not be null")
    value = _coerce(name, rule.kind, value)
    if isinstance(value, str):
        if not value.strip():
            raise ValidationFailed(name, "must not be empty")
        if rule.max_len is not None and len(value) > rule.max_len:
            raise ValidationFailed(name, f"longer than {rule.max_len} characters")
    if rule.choices is not None and value not in rule.choices:
        raise ValidationFailed(name, f"must be one of {', '.join(rule.choices)}")
    if rule.low is not None and value < rule.low:
        raise ValidationFailed(name, f"must be at least {rule.low:g}")
    if rule.high is not None and value > rule.high:
        raise ValidationFailed(name, f"must be at most {rule.high:g}")
    if rule.check is not None and (reason := rule.check(value)) is not None:
        raise ValidationFailed(name, reason)
    return value


def _coerce(name: str, kind: type, value: Any) -> Any:
    """Type check; the only conversions are int -> float/Decimal and str -> Decimal."""
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind is Decimal and isinstance(value, int | str) and not isinstance(value, bool):
        try:
            value = Decimal(value)
        except InvalidOperation:
            raise ValidationFailed(name, "not a decimal number") from None
    if kind is Decimal and isinstance(value, Decimal) and not value.is_finite():
        raise ValidationFailed(name, "not a finite number")
    # bool is an int in Python; a JSON true must not become 1 where a count is expected.
    if isinstance(value, bool) and kind is not bool:
        raise ValidationFailed(name, f"must be {kind.__name__}, not a boolean")
    if not isinstance(value, kind):
        raise ValidationFailed(name, f"must be {kind.__name__}, got {type(value).__name__}")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValidationFailed(name, "datetime without a timezone")
    return value


def check_fields(
    rules: Mapping[str, Field], data: Mapping[str, Any], *, creating: bool
) -> dict[str, Any]:
    """``data`` checked against ``rules``: unknown or immutable fields and missing required
    ones are refused; the normalised values are returned."""
    for name in data:
        if name not in rules:
            raise ValidationFailed(name, "unknown field")
        if not creating and rules[name].immutable:
            raise ValidationFailed(name, "cannot be changed after creation")
    if creating:
        for name, rule in rules.items():
            if rule.required and name not in data:
                raise ValidationFailed(name, "required")
    return {name: check_value(name, rules[name], value) for name, value in data.items()}


def check_page(limit: int, offset: int) -> None:
    """Refuse page sizes outside 1..MAX_PAGE and negative offsets."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed("limit", f"must be an integer from 1 to {MAX_PAGE}")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationFailed("offset", "must be a non-negative integer")


def e164(value: str) -> str | None:
    """Reason ``value`` is not an E.164 number (``+`` and 2-15 digits), or None."""
    return None if E164.match(value) else "must be an E.164 number like +14155550100"


def slug(value: str) -> str | None:
    """Reason ``value`` is not a slug (lowercase letters, digits, inner dashes), or None."""
    return None if SLUG.match(value) else "must be lowercase letters, digits and dashes"


def email(value: str) -> str | None:
    """Reason ``value`` does not look like an e-mail address, or None."""
    return None if EMAIL.match(value) else "must be an e-mail address"


def time_zone(value: str) -> str | None:
    """Reason ``value`` is not an IANA time zone name, or None."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return "must be an IANA time zone such as Europe/Paris"
    return None


def json_object(value: dict[str, Any]) -> str | None:
    """Reason ``value`` is not a JSON-serialisable object, or None."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        return f"not JSON-serialisable: {exc}"
    return None
