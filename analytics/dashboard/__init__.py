"""BI dashboard: a page with ECharts and a JSON API over the 15-minute rollups.

The composition root mounts :func:`create_dashboard_app` at ``/bi/`` with the query engine
and a principal function (who reads, which tenant, whether PII is hidden).
"""

from analytics.dashboard.app import create_dashboard_app
from analytics.dashboard.principal import Principal, PrincipalFn

__all__ = ["Principal", "PrincipalFn", "create_dashboard_app"]
