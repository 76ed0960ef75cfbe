"""SpreadsheetML pieces: cell references, escaped text, typed cells of a data row."""

from __future__ import annotations

import math
import re
from datetime import datetime
from xml.sax.saxutils import escape

from analytics.reports.xlsx.fields import Value

EXCEL_EPOCH = datetime(1899, 12, 30)
MAX_ROWS = 1_048_576
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
# XML 1.0 forbids most control characters; a stray one would make the file unreadable.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def col_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[str, int]:
    """``"B12"`` -> ``("B", 12)`` (``$`` anchors allowed)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return m.group(1), int(m.group(2))


def text(value: str) -> str:
    """Text made safe for an XML text node."""
    return escape(_ILLEGAL.sub("", value))


def excel_serial(moment: datetime) -> float:
    """An Excel date number for the wall time of ``moment`` (its own zone)."""
    delta = moment.replace(tzinfo=None) - EXCEL_EPOCH
    return delta.days + delta.seconds / 86400 + delta.microseconds / 86_400_000_000


def cell(ref: str, value: Value, style: str | None) -> str:
    """One ``<c>`` element; None (and NaN) gives an empty cell that keeps its style."""
    s = f' s="{style}"' if style else ""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}"{s}><v>{excel_serial(value)!r}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text(value)}</t></is></c>'
