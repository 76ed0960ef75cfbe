"""Seat health: whether a seat's network figures make it a degraded choice for calls."""

from __future__ import annotations

from control_plane.acd.model import SeatQualityPolicy


def is_degraded(policy: SeatQualityPolicy, mos: float, jitter_ms: float, loss_pct: float) -> bool:
    """True when any figure is past the tenant's limit."""
    return (
        mos < policy.min_mos
        or jitter_ms > policy.max_jitter_ms
        or loss_pct > policy.max_loss_pct
    )
