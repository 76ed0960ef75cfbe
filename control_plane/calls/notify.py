"""Tells a tenant's system of something that happened (a new voicemail): one JSON POST.

A hook that is down or slow costs the caller nothing: the message is already stored and
indexed; the failure is logged with the hook's host and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import aiohttp
import structlog

from control_plane.calls.context import Notifier

log = structlog.get_logger(__name__)
TIMEOUT_S = 5.0


def http_notifier(session: aiohttp.ClientSession) -> Notifier:
    """A `Notifier` posting on ``session`` (owned by the caller)."""

    async def notify(url: str, payload: Mapping[str, object]) -> None:
        host = urlsplit(url).hostname or "?"
        try:
            async with session.post(url, json=dict(payload), allow_redirects=False,
                                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S)) as reply:
                if reply.status >= 300:
                    log.warning("notification refused", host=host, status=reply.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("notification failed", host=host, error=str(exc) or type(exc).__name__)

    return notify
