"""The analytics event sink: validate, spool (fsync), batch, insert exactly once."""

from analytics.sink.backend import (
    AnalyticsBackend,
    BackendError,
    BackendRejected,
    BackendUnavailable,
)
from analytics.sink.contract import EmitResult, SinkConfig, SinkNotRunning, SinkStats
from analytics.sink.events import MalformedEvent, normalize
from analytics.sink.spool import SpoolError, SpoolFull
from analytics.sink.writer import EventSink

__all__ = [
    "AnalyticsBackend",
    "BackendError",
    "BackendRejected",
    "BackendUnavailable",
    "EmitResult",
    "EventSink",
    "MalformedEvent",
    "SinkConfig",
    "SinkNotRunning",
    "SinkStats",
    "SpoolError",
    "SpoolFull",
    "normalize",
]
