"""Where call sessions are kept between phases: a port and its in-memory adapter (the
Redis one is `redis_sessions.py`)."""

from __future__ import annotations

from typing import Protocol


class SessionStore(Protocol):
    """Call snapshots by the caller's Call-ID. Raise `StoreUnavailable` when unreachable."""

    async def put(self, call_id: str, blob: bytes) -> None:
        """Keep (or replace) one call's snapshot."""
        ...

    async def drop(self, call_id: str) -> None:
        """Forget a call that ended."""
        ...

    async def load_all(self) -> dict[str, bytes]:
        """Every kept snapshot."""
        ...


class MemorySessionStore:
    """A `SessionStore` in this process: for tests of the keeper and for one replica."""

    def __init__(self) -> None:
        self.calls: dict[str, bytes] = {}

    async def put(self, call_id: str, blob: bytes) -> None:
        """See `SessionStore.put`."""
        self.calls[call_id] = blob

    async def drop(self, call_id: str) -> None:
        """See `SessionStore.drop`."""
        self.calls.pop(call_id, None)

    async def load_all(self) -> dict[str, bytes]:
        """See `SessionStore.load_all`."""
        return dict(self.calls)
