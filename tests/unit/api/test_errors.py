"""Error rendering: one JSON shape, stable ids, field paths, headers."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, Field, ValidationError

from control_plane.api.errors import (
    ERROR_IDS,
    DependencyUnavailable,
    ErrorBody,
    InvalidBody,
    InvalidJson,
    MethodNotAllowed,
    PermissionDenied,
    RateLimited,
    TokenExpired,
    field_path,
)


class Item(BaseModel):
    name: str = Field(min_length=1)


class Order(BaseModel):
    items: list[Item]
    password: str


def test_error_renders_the_one_shape() -> None:
    err = PermissionDenied("nope", details={"permission": "queues.write"})
    resp = err.response()
    assert resp.status == 403
    assert resp.text is not None
    assert json.loads(resp.text) == {"error": {"id": "permission.denied", "message": "nope",
                                               "details": {"permission": "queues.write"}}}
    ErrorBody.model_validate_json(resp.text)


def test_validation_error_names_every_field_and_never_echoes_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Order.model_validate({"items": [{"name": "ok"}, {"name": ""}], "password": 12345})
    err = InvalidBody.from_validation(caught.value)
    assert err.status == 400 and err.error_id == "request.invalid_body"
    fields = [e["field"] for e in err.details["errors"]]
    assert fields == ["items[1].name", "password"]
    assert err.details["field"] == "items[1].name"
    assert "items[1].name" in err.message
    assert "12345" not in json.dumps(err.body())


def test_field_path() -> None:
    assert field_path(("a", 0, "b", 12)) == "a[0].b[12]"
    assert field_path(()) == ""
    assert field_path((3, "x")) == "[3].x"


def test_json_error_points_at_the_spot() -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads('{"a": 1,\n "b": }')
    err = InvalidJson.from_decode_error(caught.value)
    assert (err.status, err.details) == (400, {"line": 2, "column": 7})


def test_headers_of_retryable_and_method_errors() -> None:
    limited = RateLimited(12.2)
    assert limited.response().headers["Retry-After"] == "13"
    assert limited.details == {"retry_after_seconds": 13}
    assert RateLimited(0.01).headers["Retry-After"] == "1"
    method = MethodNotAllowed("PUT", ["POST", "GET"])
    assert method.response().headers["Allow"] == "GET, POST"
    down = DependencyUnavailable("database", "connection refused")
    assert down.status == 503 and down.details["reason"] == "connection refused"
    assert "Retry-After" in down.headers
    assert "WWW-Authenticate" in TokenExpired().headers


def test_catalogue_of_ids() -> None:
    assert ERROR_IDS["auth.token_expired"] == 401
    assert ERROR_IDS["request.invalid_body"] == 400
    assert ERROR_IDS["dependency.unavailable"] == 503
    assert ERROR_IDS["rate_limited"] == 429
    assert len(ERROR_IDS) >= 18
