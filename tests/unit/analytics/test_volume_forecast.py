"""Volume/AHT forecast with weekday × time-of-day seasonality in the tenant's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics.forecast import (
    IntervalHistory,
    StaffingTarget,
    forecast,
    history_from_kpis,
    staffing_plan,
)
from analytics.kpis import QueueKpis

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, tzinfo=SHANGHAI)  # a local Monday midnight


def _pattern(at: datetime) -> int:
    """Calls in a slot: busy weekday mornings in Shanghai, quiet weekends."""
    local = at.astimezone(SHANGHAI)
    base = 40 if 9 <= local.hour < 12 else 10 if 8 <= local.hour < 18 else 0
    return base if local.weekday() < 5 else base // 5


def _history(weeks: int, growth: float = 0.0) -> list[IntervalHistory]:
    rows = []
    first = MONDAY.astimezone(UTC) - timedelta(weeks=weeks)
    for i in range(weeks * 7 * 96):
        at = first + timedelta(minutes=15 * i)
        age_weeks = weeks - 1 - i // (7 * 96)  # 0 for the most recent week
        calls = round(_pattern(at) * (1 + growth) ** -age_weeks)
        rows.append(IntervalHistory(at, calls, 200.0 if calls else None))
    return rows


def test_stable_weeks_are_reproduced_slot_by_slot() -> None:
    out = forecast(_history(4), MONDAY, days=7, tz="Asia/Shanghai")
    assert len(out) == 7 * 96
    assert out[0].start == MONDAY
    for f in out:
        assert f.calls == pytest.approx(_pattern(f.start))
        assert f.aht_s == pytest.approx(200.0 if f.calls else 180.0)  # default when idle


def test_slots_are_local_wall_clock_and_weekday() -> None:
    out = forecast(_history(4), MONDAY, days=7, tz="Asia/Shanghai")
    at = {f.start: f.calls for f in out}
    assert at[MONDAY.replace(hour=9)] == pytest.approx(40)  # 01:00 UTC, 09:00 in Shanghai
    assert at[MONDAY.replace(hour=7)] == 0  # still Sunday 23:00 UTC the day before
    saturday = MONDAY + timedelta(days=5)
    assert at[saturday.replace(hour=9)] == pytest.approx(8)


def test_growth_is_followed() -> None:
    out = forecast(_history(4, growth=0.10), MONDAY, days=1, tz="Asia/Shanghai")
    nine = next(f for f in out if f.start == MONDAY.replace(hour=9))
    # Weeks so far had about 30, 33, 36, 40 at 09:00: the weighted mean alone says ~36.4;
    # the level factor brings it to last week's level.
    assert nine.calls == pytest.approx(40, rel=0.02)


def test_forecast_to_staffing() -> None:
    out = forecast(_history(4), MONDAY, days=1, tz="Asia/Shanghai")
    plan = staffing_plan(((f.start, f.calls, f.aht_s) for f in out), 900,
                         StaffingTarget(service_level=0.8, target_s=20, shrinkage=0.25))
    by_hour = {p.start.hour: p for p in plan if p.start.minute == 0}
    assert by_hour[3].agents == 0 and by_hour[3].scheduled == 0
    # 40 calls × 200 s / 900 s = 8.9 Erlangs at 09:00
    assert by_hour[9].agents > by_hour[14].agents > 0
    assert by_hour[9].service_level >= 0.8
    assert by_hour[9].scheduled == -(-by_hour[9].agents * 4 // 3)  # ceil(n / 0.75)


def test_history_from_kpi_rows() -> None:
    row = QueueKpis(MONDAY, {}, 20, 0, offered=12, answered=10, abandoned=2,
                    answered_within=8, short_abandoned=0, answered_wait_ms=0,
                    talk_ms=1_500_000, hold_ms=200_000, wrap_ms=300_000, transferred=0,
                    longest_wait_ms=0)
    [h] = history_from_kpis([row])
    assert (h.start, h.offered) == (MONDAY, 12)
    assert h.aht_s == pytest.approx(200.0)  # (1500 + 200 + 300) s over 10 answered


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        forecast([], datetime(2026, 3, 2), days=1, tz="Asia/Shanghai")  # naive on purpose
