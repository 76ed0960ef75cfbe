"""Errors of the dashboard API: a stable id, the offending field, a sentence for people.

Every refusal has the control plane API's one error shape, ``{"error": {"id", "message",
"details"}}``, with ``details.field`` naming the parameter at fault (null when none), so
the page and other clients branch on the id and can point at the field.
"""

from __future__ import annotations

from aiohttp import web

PARAM_MISSING = "bi.param_missing"
PARAM_INVALID = "bi.param_invalid"
PARAM_UNKNOWN = "bi.param_unknown"
RANGE_INVALID = "bi.range_invalid"
RANGE_TOO_LARGE = "bi.range_too_large"
TENANT_FORBIDDEN = "bi.tenant_forbidden"
UNAUTHENTICATED = "bi.unauthenticated"
NOT_FOUND = "bi.not_found"
ENGINE_UNAVAILABLE = "bi.engine_unavailable"
ASSETS_MISSING = "bi.assets_missing"
STAFFING_UNSOLVABLE = "bi.staffing_unsolvable"

_STATUS = {
    TENANT_FORBIDDEN: 403,
    UNAUTHENTICATED: 401,
    NOT_FOUND: 404,
    ENGINE_UNAVAILABLE: 503,
    ASSETS_MISSING: 503,
    STAFFING_UNSOLVABLE: 422,
}


class DashboardError(Exception):
    """A request the dashboard refuses; turned into a JSON response by the app."""

    def __init__(self, error_id: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.field = field
        self.message = message

    @property
    def status(self) -> int:
        """HTTP status of this error (400 unless the id says otherwise)."""
        return _STATUS.get(self.error_id, 400)

    def response(self) -> web.Response:
        """The JSON response carrying this error."""
        return web.json_response(
            {"error": {"id": self.error_id, "message": self.message,
                       "details": {"field": self.field}}},
            status=self.status)


def invalid(field: str, message: str) -> DashboardError:
    """A parameter whose value is not acceptable."""
    return DashboardError(PARAM_INVALID, f"{field}: {message}", field)
