"""KPI reports in Excel from a template workbook the tenant can restyle.

``build_kpi_report(engine, KpiReportRequest(...), out, template=..., progress=...)`` is
what the CLI (``python -m analytics.reports xlsx``) and the API call.
"""

from analytics.reports.xlsx.data import KpiReportRequest
from analytics.reports.xlsx.errors import ReportError, TemplateError
from analytics.reports.xlsx.template import load_template
from analytics.reports.xlsx.writer import (
    DEFAULT_TEMPLATE,
    ReportProgress,
    ReportSummary,
    build_kpi_report,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "KpiReportRequest",
    "ReportError",
    "ReportProgress",
    "ReportSummary",
    "TemplateError",
    "build_kpi_report",
    "load_template",
]
