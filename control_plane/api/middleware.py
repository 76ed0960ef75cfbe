"""The request context middleware: request id, log context, and every error as JSON.

It sits inside the metrics middleware (which then counts the status the client really got)
and outside every handler: whatever a handler or aiohttp raises leaves here as the one error
shape of :mod:`control_plane.api.errors` (the persistence layer's typed errors and the shared
state's "Redis unavailable" included: 503 with the dependency and the reason), and an
unexpected exception is logged with the request id and answered with a 500 that carries
the id but no trace.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from pydantic import ValidationError

from control_plane.acd_store.errors import AcdStoreError, StoreUnavailable
from control_plane.api.context import REQUEST_ID
from control_plane.api.errors import (
    ApiError,
    BodyTooLarge,
    Conflict,
    DependencyUnavailable,
    HttpError,
    InternalError,
    InvalidBody,
    InvalidJson,
    MethodNotAllowed,
    ResourceNotFound,
    RouteNotFound,
)
from control_plane.auth.users import DirectoryUnavailableError
from control_plane.db import errors as db

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# A caller-supplied request id is kept only if it cannot corrupt a log line or a header.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(supplied: str | None) -> str:
    if supplied and _SAFE_ID.match(supplied):
        return supplied
    return uuid.uuid4().hex


def _from_http(request: web.Request, exc: web.HTTPException) -> ApiError:
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(exc.method, list(exc.allowed_methods))
    if isinstance(exc, web.HTTPNotFound):
        unmatched = request.match_info.http_exception is not None
        return RouteNotFound() if unmatched else ResourceNotFound()
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return BodyTooLarge()
    return HttpError(exc.status, exc.reason)


def _reason(exc: Exception) -> str:
    """Why the database is unavailable, without repeating that it is."""
    text = str(exc)
    while text.startswith("database unavailable: "):
        text = text.removeprefix("database unavailable: ")
    return text


def _from_db(exc: db.DbError) -> ApiError | None:
    match exc:
        case db.NotFound():
            return ResourceNotFound(f"no such {exc.entity}")
        case db.Conflict():
            return Conflict(str(exc), details={"constraint": exc.constraint})
        case db.ValidationFailed():
            return InvalidBody(f"invalid request body: {exc.field}: {exc.reason}", details={
                "field": exc.field, "errors": [{"field": exc.field, "message": exc.reason,
                                                "type": exc.constraint or "invalid"}]})
        case db.Unavailable():
            return DependencyUnavailable("database", _reason(exc))
    return None


def _to_response(request: web.Request, exc: Exception, request_id: str) -> web.Response:
    mapped: ApiError | None = None
    match exc:
        case ApiError():
            mapped = exc
        case web.HTTPException():
            mapped = _from_http(request, exc)
        case ValidationError():
            mapped = InvalidBody.from_validation(exc)
        case json.JSONDecodeError():
            mapped = InvalidJson.from_decode_error(exc)
        case DirectoryUnavailableError():
            mapped = DependencyUnavailable("database", _reason(exc))
        case db.DbError():
            mapped = _from_db(exc)
        case StoreUnavailable():  # the shared ACD / call state (Redis) away
            mapped = DependencyUnavailable(exc.dependency, exc.reason)
        case AcdStoreError() if exc.http_status == 503:  # e.g. this replica lost its lease
            mapped = DependencyUnavailable("acd_store", exc.message)
    if mapped is not None:
        if mapped.status >= 500:
            log.warning("request failed", error=mapped.error_id, reason=mapped.message)
        return mapped.response()
    log.exception("unhandled error", method=request.method, path=request.path)
    return InternalError(f"internal error (request id {request_id})",
                         details={"request_id": request_id}).response()


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, bind it to the log context, render every error as JSON."""
    request_id = _request_id(request.headers.get("X-Request-Id"))
    request[REQUEST_ID] = request_id
    # Each request runs in its own task, so this context is the request's alone.
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and the like are answers, not errors
            raise
        response = _to_response(request, exc, request_id)
    except Exception as exc:
        response = _to_response(request, exc, request_id)
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
    return response
