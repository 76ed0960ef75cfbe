"""Application and request keys shared by the API modules (the composition root sets them)."""

from __future__ import annotations

from aiohttp import web

from control_plane.auth.principal import Principal
from control_plane.auth.service import AuthService
from control_plane.auth.users import UserDirectory

AUTH: web.AppKey[AuthService] = web.AppKey("auth", AuthService)
USERS: web.AppKey[UserDirectory] = web.AppKey("users")
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)
