"""The closed vocabularies of the configuration database (pure: no SQLAlchemy here).

The models turn each tuple into a CHECK constraint; the repositories and the API validate
against the same tuples, so a bad value is refused with a field error before the database
sees it.
"""

from __future__ import annotations

ROLES = ("agent", "team_lead", "supervisor", "admin", "analyst", "super_admin")
OPERATOR_ROLE = "super_admin"  # the only role without a tenant

STRATEGIES = (
    "ring_all",
    "longest_idle",
    "round_robin",
    "top_down",
    "fewest_calls",
    "least_talk_time",
    "random",
    "weighted_random",
    "ring_progressively",
    "best_match",
)

# What a queue does with a call that waited too long or found the queue full.
OVERFLOW_ACTIONS = ("queue", "ivr", "voicemail", "agent", "number", "hangup")
# Actions that name a target (a queue, flow or agent id, or a number).
OVERFLOW_NEEDS_TARGET = ("queue", "ivr", "agent", "number")

ROUTE_TARGETS = ("ivr", "queue", "agent", "voicemail")

TICKET_STATUSES = ("open", "pending", "resolved", "closed")
ORDER_STATUSES = ("pending", "paid", "shipped", "delivered", "cancelled", "refunded")
CALLBACK_STATUSES = ("pending", "dialing", "done", "failed", "cancelled")

PROFICIENCY_MIN = 1
PROFICIENCY_MAX = 5
