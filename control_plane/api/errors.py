"""The API's errors: one family, each with a stable id, rendered as one JSON shape.

Every failure the API reports is ``{"error": {"id", "message", "details"}}`` with an HTTP
status that follows from the id. Clients and tests branch on ``id`` (stable across
releases); ``message`` is for people and may change; ``details`` carries the specifics
(the field at fault, the permission missing, when to retry, the request id of a 500).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails


class ApiError(Exception):
    """Base of every error the API reports to a client."""

    status: ClassVar[int] = 500
    error_id: ClassVar[str] = "internal.error"
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, *, details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = dict(details or {})
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(f"{self.error_id}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON document sent to the client."""
        return {"error": {"id": self.error_id, "message": self.message,
                          "details": self.details}}

    def response(self) -> web.Response:
        """This error as an HTTP response."""
        return web.json_response(self.body(), status=self.status, headers=self.headers)


class InternalError(ApiError):
    """Something broke on our side; details hold the request id to find it in the logs."""


class AuthRequired(ApiError):
    """No bearer token on a route that needs one."""

    status, error_id = 401, "auth.required"
    default_message = "authentication required: send 'Authorization: Bearer <token>'"

    def __init__(self, message: str | None = None, **kw: Any) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="callcenter"'},
                         **kw)


class InvalidCredentials(AuthRequired):
    """Login failed; never says whether the user exists or the password was wrong."""

    error_id = "auth.invalid_credentials"
    default_message = "invalid tenant, username or password"


class TokenInvalid(AuthRequired):
    """The token is malformed, forged or altered."""

    error_id, default_message = "auth.token_invalid", "invalid token"


class TokenExpired(AuthRequired):
    """The token was genuine but is past its expiry: log in again."""

    error_id, default_message = "auth.token_expired", "token expired: log in again"


class TokenRevoked(AuthRequired):
    """The token was ended by a logout, or its user was deactivated or removed."""

    error_id, default_message = "auth.token_revoked", "token no longer valid: log in again"


class PermissionDenied(ApiError):
    """Authenticated, but not allowed to do this (role or object-level scope)."""

    status, error_id, default_message = 403, "permission.denied", "permission denied"


class RouteNotFound(ApiError):
    """No route has this path."""

    status, error_id, default_message = 404, "route.not_found", "no such route"


class ResourceNotFound(ApiError):
    """The route exists, the object does not (or lives in another tenant)."""

    status, error_id, default_message = 404, "resource.not_found", "no such resource"


class MethodNotAllowed(ApiError):
    """The path exists but not with this method; ``Allow`` lists the ones it has."""

    status, error_id, default_message = 405, "route.method_not_allowed", "method not allowed"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        allowed = sorted(allowed)
        super().__init__(f"method {method} not allowed here; allowed: {', '.join(allowed)}",
                         details={"allowed": allowed}, headers={"Allow": ", ".join(allowed)})


class Conflict(ApiError):
    """The change clashes with existing state (a name taken, a stale version)."""

    status, error_id, default_message = 409, "resource.conflict", "conflict"


class InvalidJson(ApiError):
    """The body is not JSON at all; details say where parsing stopped."""

    status, error_id, default_message = 400, "request.invalid_json", "body is not valid JSON"

    @classmethod
    def from_decode_error(cls, exc: json.JSONDecodeError) -> InvalidJson:
        """From the standard library's decode error (line and column, never the body)."""
        return cls(f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                   details={"line": exc.lineno, "column": exc.colno})


def field_path(loc: Sequence[int | str]) -> str:
    """``("items", 0, "name")`` -> ``items[0].name``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _field_errors(errors: Sequence[ErrorDetails]) -> list[dict[str, str]]:
    # The input value is left out on purpose: it may be a password.
    return [{"field": field_path(e["loc"]), "message": e["msg"], "type": e["type"]}
            for e in errors]


class InvalidBody(ApiError):
    """The JSON body does not fit the route's schema; details list every field at fault."""

    status, error_id, default_message = 400, "request.invalid_body", "invalid request body"
    _what: ClassVar[str] = "request body"

    @classmethod
    def from_validation(cls, exc: ValidationError) -> InvalidBody:
        """From pydantic's error: one entry per field, with its path."""
        fields = _field_errors(exc.errors(include_url=False, include_input=False))
        first = fields[0] if fields else {"field": "", "message": "invalid"}
        where = first["field"] or "(root)"
        return cls(f"invalid {cls._what}: {where}: {first['message']}",
                   details={"field": first["field"], "errors": fields})


class InvalidQuery(InvalidBody):
    """A query parameter does not fit the route's schema."""

    error_id, default_message = "request.invalid_query", "invalid query parameters"
    _what = "query parameter"


class UnsupportedMediaType(ApiError):
    """The route takes JSON and the body was declared as something else."""

    status, error_id = 415, "request.unsupported_media_type"
    default_message = "send the body as application/json"


class BodyTooLarge(ApiError):
    """The body is over the size the server accepts."""

    status, error_id, default_message = 413, "request.too_large", "request body too large"


class RateLimited(ApiError):
    """Too many attempts; ``Retry-After`` (seconds) says when to try again."""

    status, error_id, default_message = 429, "rate_limited", "too many requests"

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(message or f"too many attempts: retry in {seconds} s",
                         details={"retry_after_seconds": seconds},
                         headers={"Retry-After": str(seconds)})


class DependencyUnavailable(ApiError):
    """A service the API needs (database, Redis) is unreachable; retry later."""

    status, error_id, default_message = 503, "dependency.unavailable", "service unavailable"

    def __init__(self, dependency: str, reason: str, *, retry_after: int = 5) -> None:
        super().__init__(f"{dependency} unavailable: {reason}",
                         details={"dependency": dependency, "reason": reason},
                         headers={"Retry-After": str(retry_after)})


class HttpError(ApiError):
    """Any other HTTP error aiohttp raised itself, keeping its status."""

    status, error_id, default_message = 400, "request.rejected", "request rejected"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status  # type: ignore[misc]


def _catalogue() -> dict[str, int]:
    found: dict[str, int] = {}
    stack: list[type[ApiError]] = [ApiError]
    while stack:
        cls = stack.pop()
        found[cls.error_id] = cls.status
        stack.extend(cls.__subclasses__())
    return dict(sorted(found.items()))


#: Every error id the API can send, with its status (the OpenAPI document lists them).
ERROR_IDS: dict[str, int] = _catalogue()


class ErrorInfo(BaseModel):
    """The error object inside every error response."""

    id: str = Field(description="Stable error id: " + ", ".join(ERROR_IDS))
    message: str = Field(description="What went wrong, for people; may change between releases")
    details: dict[str, Any] = Field(description="Specifics: field at fault, retry delay...")


class ErrorBody(BaseModel):
    """Every 4xx and 5xx response of the API."""

    error: ErrorInfo
