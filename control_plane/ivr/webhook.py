"""The IVR's "Call Web Program" client: ask a tenant's web program which branch to take.

An HTTP adapter (it opens sockets through the aiohttp session it is given). A webhook node
POSTs the call's variables as a JSON object and expects ``{"branch": "<name>"}`` within the
node's timeout. Any failure — refused URL, unreachable host, timeout, non-2xx status, a body
over the cap, not JSON, no string ``branch`` — returns None, so the flow takes its
``default`` branch, and is logged with a stable reason id. A caller in the IVR never waits
longer than the node's timeout, whatever the web program does.

Wire it as the controller's `Webhook`::

    session = aiohttp.ClientSession()
    webhook = webhook_client(session)      # (url, payload, timeout_s) -> branch | None
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import aiohttp
import structlog

log = structlog.get_logger(__name__)

MAX_BODY = 16 * 1024  # a branch name needs a few bytes; anything far larger is a wrong URL
MAX_BRANCH = 200  # characters of a branch name (flow node ids are short)
USER_AGENT = "callcenter-ivr/1"

# Stable reason ids (logged as ``reason``; operators grep and alert on them).
REFUSED_URL = "ivr_webhook.url_refused"
UNREACHABLE = "ivr_webhook.unreachable"
TIMEOUT = "ivr_webhook.timeout"
BAD_STATUS = "ivr_webhook.status"
TOO_LARGE = "ivr_webhook.body_too_large"
BAD_JSON = "ivr_webhook.bad_json"
BAD_ANSWER = "ivr_webhook.bad_answer"


class _Failed(Exception):
    """One failed call: its reason id and what to log with it."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


def _where(url: str) -> str:
    """The URL without its query and credentials (either may carry a tenant's secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    # netloc without credentials, as written (a bad port must not break the log line)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"[:300]


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as exc:
        raise _Failed(REFUSED_URL, why=str(exc)) from exc
    if parts.scheme not in ("http", "https"):
        raise _Failed(REFUSED_URL, why=f"scheme {parts.scheme!r} is not http(s)")
    if not parts.hostname:
        raise _Failed(REFUSED_URL, why="no host")


async def _read_capped(response: aiohttp.ClientResponse, max_body: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > max_body:
        raise _Failed(TOO_LARGE, declared=declared, limit=max_body)
    body = bytearray()
    while chunk := await response.content.read(max_body + 1 - len(body)):
        body += chunk  # never more than the cap and one byte is held
        if len(body) > max_body:  # chunked or lying about its length: stop reading
            raise _Failed(TOO_LARGE, read=len(body), limit=max_body)
    return bytes(body)


def _branch(body: bytes) -> str:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Failed(BAD_JSON, why=str(exc)[:200]) from exc
    if not isinstance(answer, dict):
        raise _Failed(BAD_ANSWER, why="the answer is not a JSON object")
    branch = answer.get("branch")
    if not isinstance(branch, str) or not branch or len(branch) > MAX_BRANCH:
        raise _Failed(BAD_ANSWER, why=f"'branch' must be a name of 1 to {MAX_BRANCH} "
                                      "characters")
    return branch


async def _post(session: aiohttp.ClientSession, url: str, payload: dict[str, str],
                max_body: int) -> str:
    # Redirects are not followed: a POST re-sent elsewhere is not what the tenant configured.
    async with session.post(url, json=payload, allow_redirects=False, headers={
            "Accept": "application/json", "User-Agent": USER_AGENT}) as response:
        if not 200 <= response.status < 300:
            raise _Failed(BAD_STATUS, status=response.status)
        return _branch(await _read_capped(response, max_body))


async def call_webhook(session: aiohttp.ClientSession, url: str, payload: dict[str, str],
                       timeout_s: float, *, max_body: int = MAX_BODY) -> str | None:
    """POST ``payload`` to ``url``; the answer's ``branch``, or None on any failure (logged
    with its reason id). Never takes longer than ``timeout_s``."""
    started = time.monotonic()
    try:
        _check_url(url)
        # One deadline for connect, send and the whole body (a trickling server included).
        async with asyncio.timeout(max(timeout_s, 0.001)):
            branch = await _post(session, url, payload, max_body)
    except _Failed as failed:
        _log_failure(url, started, failed.reason, **failed.details)
        return None
    except TimeoutError:
        _log_failure(url, started, TIMEOUT, timeout_s=timeout_s)
        return None
    except (aiohttp.ClientError, OSError) as exc:
        _log_failure(url, started, UNREACHABLE, why=f"{type(exc).__name__}: {exc}"[:300])
        return None
    log.info("ivr webhook answered", url=_where(url), branch=branch,
             elapsed_ms=round((time.monotonic() - started) * 1000))
    return branch


def _log_failure(url: str, started: float, reason: str, **details: object) -> None:
    # The payload is never logged: it holds the caller's number and the digits they typed.
    log.warning("ivr webhook failed, default branch taken", reason=reason, url=_where(url),
                elapsed_ms=round((time.monotonic() - started) * 1000), **details)


def webhook_client(session: aiohttp.ClientSession, *, max_body: int = MAX_BODY,
                   ) -> Callable[[str, dict[str, str], float], Awaitable[str | None]]:
    """The controller's `Webhook` (control_plane/calls/context.py) on ``session``; the
    session belongs to whoever made it (close it when the controller stops)."""

    async def webhook(url: str, payload: dict[str, str], timeout_s: float) -> str | None:
        return await call_webhook(session, url, payload, timeout_s, max_body=max_body)

    return webhook
