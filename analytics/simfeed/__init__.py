"""The ACD simulator's traffic as analytics rows: the oracle of the KPI cross-check."""

from analytics.simfeed.recorder import CallHistory, SimHistory, StateSpan, record
from analytics.simfeed.rows import STATE_NAMES, UnfinishedCall, call_rows, state_rows

__all__ = [
    "STATE_NAMES",
    "CallHistory",
    "SimHistory",
    "StateSpan",
    "UnfinishedCall",
    "call_rows",
    "record",
    "state_rows",
]
