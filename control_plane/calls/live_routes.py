"""The numbers and IVR flows part of the live configuration: which flow or queue a new call
to each number reaches.

The database's numbers are E.164 (``+4008000009``); the province cores dispatch dialled
numbers as callers send them, so a number is routed both as written and without its plus.
The center file's own numbers and flows stay unless the database routes the same number or
activates a flow of the same name. A flow the controller cannot run (a prompt it has not
built, a queue it does not route) is refused here and the previous one stays.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import structlog

from control_plane.calls.center import CenterConfig, Route
from control_plane.calls.live_rows import FlowRow, RouteRow, TenantRows
from control_plane.ivr.flow import Flow, IvrFlowError, parse_flow

log = structlog.get_logger(__name__)
# A number routed to a queue's voicemail runs a one-node flow of this name + the queue (the
# name lands in the call records as the flow; a tenant's own flow of that exact name would
# be shadowed by it).
VOICEMAIL_FLOW = "voicemail:"


def aliases(number: str) -> tuple[str, ...]:
    """The dialled forms of a database number."""
    bare = number.removeprefix("+")
    return (number,) if bare == number else (number, bare)


class NumberPlan:
    """Computes the controller's numbers and flows from a tenant's new rows."""

    def __init__(self, base: CenterConfig, prompts: frozenset[str]) -> None:
        self.base_flows = dict(base.flows)  # the center file's, restored when unshadowed
        self.prompts = prompts

    def apply(self, center: CenterConfig, before: TenantRows | None,
              after: TenantRows) -> CenterConfig:
        """``center`` with ``after``'s flows and numbers (``before``: the last reading)."""
        tenant = after.tenant
        flows = dict(center.flows)
        old_flows: Mapping[str, FlowRow] = before.flows if before is not None else {}
        for name, row in after.flows.items():
            if old_flows.get(name) != row or (tenant, name) not in flows:
                flow = self._parse(center, tenant, row)
                if flow is not None:
                    flows[(tenant, name)] = flow
        for name in set(old_flows) - set(after.flows):
            base = self.base_flows.get((tenant, name))
            if base is not None:
                flows[(tenant, name)] = base
            else:
                flows.pop((tenant, name), None)
        routes = dict(center.routes)
        old_routes: Mapping[str, RouteRow] = before.routes if before is not None else {}
        for number in set(old_routes) - set(after.routes):
            for alias in aliases(number):
                gone = routes.get(alias)
                if gone is not None and gone.tenant == tenant:
                    del routes[alias]
        for number, target in after.routes.items():
            route = self._route(center, flows, tenant, target)
            for alias in aliases(number):
                if route is None:
                    routes.pop(alias, None)
                else:
                    routes[alias] = route
        return dataclasses.replace(center, flows=flows, routes=routes)

    def _parse(self, center: CenterConfig, tenant: str, row: FlowRow) -> Flow | None:
        known = frozenset(q for (t, q) in center.queues if t == tenant)
        try:
            return parse_flow(dict(row.document), known_queues=known,
                              known_prompts=self.prompts)
        except IvrFlowError as exc:
            log.error("IVR flow version not runnable here; the previous one stays",
                      tenant=tenant, flow=row.name, version=row.version, error=str(exc))
            return None

    def _route(self, center: CenterConfig, flows: dict[tuple[str, str], Flow],
               tenant: str, row: RouteRow) -> Route | None:
        if row.kind == "ivr":
            if (tenant, row.target) in flows:
                return Route(row.number, tenant, flow=row.target)
            log.warning("number routed to a flow with no runnable version: not answered",
                        number=row.number, flow=row.target)
            return None
        if row.kind in ("queue", "voicemail") and (tenant, row.target) not in center.queues:
            log.warning("number routed to a queue the ACD does not route: not answered",
                        number=row.number, queue=row.target)
            return None
        if row.kind == "queue":
            return Route(row.number, tenant, queue=row.target)
        if row.kind == "voicemail":
            name = VOICEMAIL_FLOW + row.target
            language = center.languages.get(tenant, "en")
            flows[(tenant, name)] = parse_flow(
                {"start": "box", "language": language,
                 "nodes": {"box": {"type": "voicemail", "queue": row.target}}},
                known_queues=frozenset({row.target}))
            return Route(row.number, tenant, flow=name)
        # The controller rings agents only through the ACD; a number straight to one agent
        # has no call path here yet.
        log.warning("number routed to an agent: not answered by this controller",
                    number=row.number, agent=row.target)
        return None
