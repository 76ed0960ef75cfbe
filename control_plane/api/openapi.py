"""The OpenAPI 3.1 document, built from the route declarations and their pydantic models."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from control_plane.api.errors import (
    ApiError,
    AuthRequired,
    ErrorBody,
    InternalError,
    InvalidBody,
    InvalidJson,
    InvalidQuery,
    PermissionDenied,
    TokenExpired,
    TokenInvalid,
    TokenRevoked,
    UnsupportedMediaType,
)
from control_plane.api.mounts import Mount, MountedRoute
from control_plane.api.routes import PUBLIC, Route
from control_plane.auth.permissions import MATRIX, PERMISSIONS

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_REF = "#/components/schemas/{model}"


def _path(path: str) -> tuple[str, list[tuple[str, str | None]]]:
    """aiohttp's ``/users/{id:\\d+}`` -> ``/users/{id}`` and its parameters with regexes."""
    return _PARAM.sub(lambda m: "{" + m.group(1) + "}", path), _PARAM.findall(path)


def _errors_of(route: Route) -> list[type[ApiError]]:
    errors: list[type[ApiError]] = [*route.errors, InternalError]
    if route.permission != PUBLIC:
        errors += [AuthRequired, TokenInvalid, TokenExpired, TokenRevoked, PermissionDenied]
    if route.body is not None:
        errors += [InvalidJson, InvalidBody, UnsupportedMediaType]
    if route.query is not None:
        errors.append(InvalidQuery)
    return errors


def _error_responses(errors: list[type[ApiError]], schemas: _Schemas) -> dict[str, Any]:
    by_status: defaultdict[int, list[str]] = defaultdict(list)
    for err in errors:
        if err.error_id not in by_status[err.status]:
            by_status[err.status].append(err.error_id)
    return {str(status): {
        "description": "error ids: " + ", ".join(ids),
        "content": {"application/json": {"schema": schemas.ref(ErrorBody, "serialization")}},
    } for status, ids in sorted(by_status.items())}


def _parameters(route: Route, schemas: _Schemas) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for name, regex in _path(route.path)[1]:
        schema: dict[str, Any] = {"type": "string"}
        if regex in (r"\d+", "[0-9]+"):
            schema = {"type": "integer", "minimum": 0}
        elif regex:
            schema["pattern"] = f"^{regex}$"
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.query is not None:
        model = schemas.of(route.query, "validation")
        required = set(model.get("required", ()))
        for name, schema in model.get("properties", {}).items():
            param = {"name": name, "in": "query", "required": name in required,
                     "schema": schema}
            if "description" in schema:
                param["description"] = schema["description"]
            params.append(param)
    return params


def _operation(route: Route, schemas: _Schemas) -> dict[str, Any]:
    access = _access(route.permission)
    doc = (route.handler.__doc__ or "").strip()
    op: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": f"{doc}\n\nAccess: {access}".strip(),
        "tags": list(route.tags),
        "x-permission": route.permission,
    }
    if route.permission == PUBLIC:
        op["security"] = []
    params = _parameters(route, schemas)
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": schemas.ref(route.body, "validation")}}}
    ok: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        ok["content"] = {route.media_type: {
            "schema": schemas.ref(route.response, "serialization")}}
    elif route.status != 204:
        ok["content"] = {route.media_type: {"schema": {"type": "string"}}}
    op["responses"] = {str(route.status): ok, **_error_responses(_errors_of(route), schemas)}
    return op


class _Schemas:
    """Every model the routes use, as components, and the reference to each."""

    def __init__(self, routes: list[Route]) -> None:
        wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
            (ErrorBody, "serialization"): None}
        for route in routes:
            uses: tuple[tuple[type[BaseModel] | None, JsonSchemaMode], ...] = (
                (route.body, "validation"), (route.query, "validation"),
                (route.response, "serialization"))
            for model, mode in uses:
                if model is not None:
                    wanted[(model, mode)] = None
        # One call for all models: pydantic names each once, -Input/-Output where they differ.
        self._refs, top = models_json_schema(list(wanted), ref_template=_REF)
        self.defs: dict[str, Any] = top.get("$defs", {})

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        """``{"$ref": ...}`` to the model's component."""
        return dict(self._refs[(model, mode)])

    def of(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        """The model's component itself."""
        name: str = self._refs[(model, mode)]["$ref"].rsplit("/", 1)[1]
        return dict(self.defs[name])


def _access(permission: str) -> str:
    if permission == PUBLIC:
        return "public (no authentication)"
    roles = sorted(r.value for r, perms in MATRIX.items() if permission in perms)
    return f"permission `{permission}` ({PERMISSIONS[permission]}); roles: {', '.join(roles)}"


def _mounted_operation(mount: Mount, route: MountedRoute, schemas: _Schemas) -> dict[str, Any]:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", f"{route.method}_{route.path}").strip("_").lower()
    op: dict[str, Any] = {
        "operationId": slug,
        "summary": route.summary,
        "description": f"Served by the sub-application mounted at `{mount.prefix}` "
                       f"({mount.summary}); its query parameters are its own.\n\n"
                       f"Access: {_access(route.permission)}",
        "tags": list(mount.tags),
        "x-permission": route.permission,
    }
    errors: list[type[ApiError]] = [InternalError]
    if route.permission == PUBLIC:
        op["security"] = []
    else:
        errors += [AuthRequired, TokenInvalid, TokenExpired, TokenRevoked, PermissionDenied]
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name, _ in _path(route.path)[1]]
    if params:
        op["parameters"] = params
    op["responses"] = {"200": {"description": route.summary},
                       **_error_responses(errors, schemas)}
    return op


def build_document(routes: list[Route], *, title: str, version: str,
                   mounts: Sequence[Mount] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes`` and of the routes of ``mounts``."""
    schemas = _Schemas(routes)
    paths: defaultdict[str, dict[str, Any]] = defaultdict(dict)
    for route in sorted(routes, key=lambda r: (r.path, r.method)):
        paths[_path(route.path)[0]][route.method.lower()] = _operation(route, schemas)
    for mount in mounts:
        for mounted in sorted(mount.routes(), key=lambda r: (r.path, r.method)):
            paths[mounted.path][mounted.method.lower()] = _mounted_operation(
                mount, mounted, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "Every operation states its permission (`x-permission`) and "
                                "every error is `{\"error\": {\"id\", \"message\", "
                                "\"details\"}}` with a stable id."},
        "paths": dict(paths),
        "components": {
            "schemas": schemas.defs,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "token from POST /api/v1/auth/login"}},
        },
        "security": [{"bearerAuth": []}],
    }
