"""Which overflow rule fires on arrival; the engine carries the action out."""

from __future__ import annotations

from control_plane.acd.model import OverflowAction, OverflowKind, OverflowRules

HANG_UP = OverflowAction(OverflowKind.HANG_UP)


def on_arrival(
    rules: OverflowRules, logged_in: int, waiting: int
) -> tuple[OverflowAction, str] | None:
    """The action for a new call, if the queue has no agent or is full; else None."""
    if logged_in == 0 and rules.on_no_agents is not None:
        return rules.on_no_agents, "no_agents"
    if rules.max_length is not None and waiting >= rules.max_length:
        return rules.on_max_length or HANG_UP, "max_length"
    return None


def on_max_wait(rules: OverflowRules) -> OverflowAction:
    """The action when a call reached the queue's maximum wait."""
    return rules.on_max_wait or HANG_UP


def on_max_offers(rules: OverflowRules, offers: int) -> OverflowAction | None:
    """The action when a call was offered too many times, if the rule is configured."""
    if rules.max_offers is not None and offers >= rules.max_offers:
        return rules.on_max_offers or HANG_UP
    return None
