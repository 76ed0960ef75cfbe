"""Reports: CDR export (CSV, streamed) and KPI reports in Excel from tenant templates."""

from analytics.reports.cdr_csv import CdrFilter, export_cdr_csv
from analytics.reports.xlsx import (
    DEFAULT_TEMPLATE,
    KpiReportRequest,
    ReportError,
    ReportProgress,
    TemplateError,
    build_kpi_report,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "CdrFilter",
    "KpiReportRequest",
    "ReportError",
    "ReportProgress",
    "TemplateError",
    "build_kpi_report",
    "export_cdr_csv",
]
