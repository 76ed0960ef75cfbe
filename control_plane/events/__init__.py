"""Live events: the in-process bus (:mod:`.bus`), the queue-figure pump, and the key under
which the composition root keeps this process's one bus."""

from __future__ import annotations

from aiohttp import web

from control_plane.events.bus import (
    EventBus,
    EventFilter,
    EventKind,
    Lagged,
    LiveEvent,
    Subscription,
)

#: This process's one bus (the composition root creates it; the call controller publishes).
BUS: web.AppKey[EventBus] = web.AppKey("event_bus", EventBus)

__all__ = ["BUS", "EventBus", "EventFilter", "EventKind", "Lagged", "LiveEvent",
           "Subscription"]
