"""Typed refusals: bad input is answered with one of these and the state stays untouched."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class RejectionCode(StrEnum):
    """Why an event was refused."""

    UNKNOWN_TENANT = "unknown_tenant"
    UNKNOWN_QUEUE = "unknown_queue"
    UNKNOWN_SKILL = "unknown_skill"
    UNKNOWN_CALL = "unknown_call"
    UNKNOWN_AGENT = "unknown_agent"
    UNKNOWN_STRATEGY = "unknown_strategy"
    UNKNOWN_PAUSE_REASON = "unknown_pause_reason"
    DUPLICATE_CALL = "duplicate_call"
    OUT_OF_ORDER = "out_of_order"
    INVALID = "invalid"
    CLOCK_WENT_BACK = "clock_went_back"


@dataclass(frozen=True, slots=True)
class Rejection:
    """An event the engine refused, with a human-readable reason."""

    code: RejectionCode
    reason: str


class AcdInputError(Exception):
    """Raised inside handlers before any mutation; the engine turns it into a Rejection."""

    def __init__(self, code: RejectionCode, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
