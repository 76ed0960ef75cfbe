"""Keeps the active controller's call sessions in the shared store, behind the calls: one
ordered writer, the newest snapshot of each call wins, a call's end removes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from control_plane.acd_store.errors import StoreUnavailable
from control_plane.calls.failover.sessions import capture
from control_plane.calls.failover.store import SessionStore

if TYPE_CHECKING:
    from control_plane.calls.session import CallSession

log = structlog.get_logger(__name__)


class SessionKeeper:
    """`save(session)` at each phase change, `drop(call_id)` at the end (see above)."""

    def __init__(self, store: SessionStore, *, owner: str,
                 clock: Callable[[], float] = time.time, retry_s: float = 0.2) -> None:
        self.store = store
        self.owner = owner
        self._clock = clock
        self._retry_s = retry_s
        self._pending: dict[str, bytes | None] = {}  # None: drop
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer."""
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def save(self, session: CallSession) -> None:
        """Keep the session's current state (nothing before the caller is answered)."""
        snap = capture(session, owner=self.owner, now=self._clock())
        if snap is not None:
            self._queue(session.call_id, snap.encode())

    def drop(self, call_id: str) -> None:
        """The call ended: forget it."""
        self._queue(call_id, None)

    def _queue(self, call_id: str, blob: bytes | None) -> None:
        self._pending.pop(call_id, None)  # re-inserted last: writes stay in order
        self._pending[call_id] = blob
        self._idle.clear()
        self._wake.set()

    async def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every queued write is in the store (True) or the time is up."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def _write_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                call_id, blob = next(iter(self._pending.items()))
                try:
                    if blob is None:
                        await self.store.drop(call_id)
                    else:
                        await self.store.put(call_id, blob)
                except StoreUnavailable as exc:
                    log.warning("call keeper: store unavailable, retrying", call_id=call_id,
                                pending=len(self._pending), error=str(exc))
                    await asyncio.sleep(self._retry_s)
                    continue
                if self._pending.get(call_id, b"") is blob:  # not replaced meanwhile
                    del self._pending[call_id]
            self._idle.set()

    def close(self) -> None:
        """Stop the writer."""
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
