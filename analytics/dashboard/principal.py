"""Who is asking: the tenant they may read (None for the operator) and whether PII is hidden.

Authentication is not the dashboard's business: the composition root injects a callable
that turns a request into a :class:`Principal`, or raises an aiohttp HTTP error (401/403)
when it cannot. The dashboard only applies what the principal allows.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Principal:
    """The reader of the dashboard.

    ``tenant`` None means the operator, who may read every tenant (one at a time, each in
    its own zone); any other value pins every query to that tenant, whatever the query
    string says. ``no_pii`` masks caller identities in drill-downs.
    """

    tenant: str | None
    no_pii: bool

    @property
    def is_operator(self) -> bool:
        """True for the operator (every tenant)."""
        return self.tenant is None


PrincipalFn = Callable[[web.Request], "Principal | Awaitable[Principal]"]
"""Resolves the principal of a request; may be async; raises HTTP 401/403 to refuse."""


async def resolve(fn: PrincipalFn, request: web.Request) -> Principal:
    """Call ``fn`` (sync or async) and check it returned a Principal."""
    result = fn(request)
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Principal):
        raise TypeError(f"the principal function returned {type(result).__name__}, "
                        "not a Principal")
    return result
