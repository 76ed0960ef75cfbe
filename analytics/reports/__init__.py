"""Reports: CDR export (CSV, streamed). Excel KPI reports need openpyxl (not yet a dependency)."""

from analytics.reports.cdr_csv import CdrFilter, export_cdr_csv

__all__ = ["CdrFilter", "export_cdr_csv"]
