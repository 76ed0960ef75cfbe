"""Caller priority: the highest class any source grants (number list, CRM flag, IVR choice)."""

from __future__ import annotations

from collections.abc import Mapping

from control_plane.acd.model import PriorityClass, PriorityRules

_BY_NAME = {c.name.lower(): c for c in PriorityClass}


def parse_class(value: str | None) -> PriorityClass | None:
    """A class from an attribute value such as "vip" or "important" (None if unknown)."""
    if value is None:
        return None
    return _BY_NAME.get(value.strip().lower())


def classify(
    rules: PriorityRules,
    caller: str,
    attributes: Mapping[str, str],
    explicit: PriorityClass | None,
) -> PriorityClass:
    """The caller's class: the maximum over all sources, NORMAL when none applies."""
    found = [PriorityClass.NORMAL]
    if explicit is not None:
        found.append(explicit)
    if caller in rules.vip_numbers:
        found.append(PriorityClass.VIP)
    elif caller in rules.important_numbers:
        found.append(PriorityClass.IMPORTANT)
    for attribute in (rules.crm_attribute, rules.ivr_attribute):
        parsed = parse_class(attributes.get(attribute))
        if parsed is not None:
            found.append(parsed)
    return max(found)
