"""Grafana: the importable SRE dashboard over the center's Prometheus metrics."""

from analytics.grafana.dashboard import DASHBOARD_FILE, dashboard, expressions, render

__all__ = ["DASHBOARD_FILE", "dashboard", "expressions", "render"]
