"""The importable Grafana dashboard: ``panels.SECTIONS`` laid out as Grafana JSON.

Import it in Grafana (Dashboards → Import) and pick the Prometheus data source that scrapes
the center (``__inputs`` asks for it). ``DASHBOARD_FILE`` is the shipped copy; the unit test
keeps it equal to what :func:`dashboard` builds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from analytics.grafana.panels import SECTIONS, Panel

DASHBOARD_FILE = Path(__file__).with_name("callcenter.json")
UID = "callcenter-sre"
_DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
_WIDTH = 24
_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", re.DOTALL)
_PANEL_W, _PANEL_H = 8, 8


def _variable(name: str, label: str, query: str, *, include_all: bool = True) -> dict[str, Any]:
    return {
        "name": name, "label": label, "type": "query", "datasource": _DS,
        "query": {"query": query, "refId": f"var-{name}"}, "definition": query,
        "refresh": 2, "includeAll": include_all, "multi": True, "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [], "sort": 1,
    }


VARIABLES: tuple[dict[str, Any], ...] = (
    _variable("tenant", "Tenant", "label_values(cc_queue_calls_waiting, tenant)"),
    _variable("queue", "Queue",
              'label_values(cc_queue_calls_waiting{tenant=~"$tenant"}, queue)'),
    _variable("node", "Kamailio node", 'label_values(up{job="callcenter-kamailio"}, node)'),
)


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": panel_id, "type": panel.kind, "title": panel.title,
        "description": panel.description, "datasource": _DS,
        "gridPos": {"h": _PANEL_H, "w": _PANEL_W, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": _DS, "expr": expr,
             "legendFormat": legend, "range": True}
            for i, (expr, legend) in enumerate(panel.targets)
        ],
    }
    if panel.kind == "timeseries":
        out["options"] = {"legend": {"displayMode": "list", "placement": "bottom"},
                          "tooltip": {"mode": "multi"}}
    else:
        out["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    return out


def dashboard() -> dict[str, Any]:
    """The dashboard document (Grafana 10 schema, importable with its data source input)."""
    panels: list[dict[str, Any]] = []
    y, next_id = 0, 1
    for section in SECTIONS:
        panels.append({"id": next_id, "type": "row", "title": section.title,
                       "collapsed": False, "panels": [],
                       "gridPos": {"h": 1, "w": _WIDTH, "x": 0, "y": y}})
        next_id, y = next_id + 1, y + 1
        for i, panel in enumerate(section.panels):
            x = (i * _PANEL_W) % _WIDTH
            if i and x == 0:
                y += _PANEL_H
            panels.append(_panel(panel, next_id, x, y))
            next_id += 1
        y += _PANEL_H
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                      "pluginId": "prometheus", "pluginName": "Prometheus",
                      "description": "The Prometheus that scrapes the call center"}],
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
        ],
        "uid": UID, "title": "Call center: tiers, queues, controllers, sink",
        "description": "Per tier SIP load, registrations, dispatcher state and bans; per queue "
                       "waiting, oldest wait and service level; per controller calls, decision "
                       "latency and ng round trips; media; analytics sink lag (DESIGN §7).",
        "tags": ["callcenter", "kamailio", "rtpengine"], "timezone": "browser",
        "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1,
        "refresh": "30s", "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": list(VARIABLES)},
        "annotations": {"list": [{
            "name": "Alerts", "datasource": _DS, "enable": True, "iconColor": "red",
            "expr": 'ALERTS{alertstate="firing"}', "titleFormat": "{{alertname}}",
            "textFormat": "{{node}}{{queue}}", "step": "60s", "useValueForTime": False}]},
        "panels": panels,
    }


def render() -> str:
    """The dashboard as the JSON text shipped in ``DASHBOARD_FILE``."""
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


def expressions(doc: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard document: targets, variables, annotations."""
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    # label_values(<selector>, <label>) is Grafana's, not PromQL: the selector is the query.
    exprs += [_LABEL_VALUES.sub(r"\1", v["query"]["query"])
              for v in doc["templating"]["list"] if v["type"] == "query"]
    exprs += [a["expr"] for a in doc["annotations"]["list"] if "expr" in a]
    return exprs
