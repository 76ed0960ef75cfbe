"""Errors of the Excel reports, each with a stable id the CLI and the API show."""

from __future__ import annotations


class ReportError(Exception):
    """A report that cannot be built; ``error_id`` is stable, the message says why."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id

    def __str__(self) -> str:
        return f"{self.error_id}: {self.args[0]}"


class TemplateError(ReportError):
    """The template workbook cannot be used; the message names the sheet and cell."""
