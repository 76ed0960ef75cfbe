"""Staffing forecast: volume and AHT per 15 minutes, Erlang C / Erlang A, shrinkage."""

from analytics.forecast.erlang import (
    ErlangA,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_service_level,
)
from analytics.forecast.staffing import (
    IntervalStaffing,
    StaffingTarget,
    agents_needed,
    staffing_plan,
    with_shrinkage,
)
from analytics.forecast.volume import (
    IntervalForecast,
    IntervalHistory,
    forecast,
    history_from_kpis,
)

__all__ = [
    "ErlangA",
    "IntervalForecast",
    "IntervalHistory",
    "IntervalStaffing",
    "StaffingTarget",
    "agents_needed",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_service_level",
    "forecast",
    "history_from_kpis",
    "staffing_plan",
    "with_shrinkage",
]
