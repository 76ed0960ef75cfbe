"""JSON text of spooled rows and blocks: orjson, with the standard library as the fallback.

orjson is several times faster on the column lists the sink moves, but refuses what the
standard encoder accepts (a lone surrogate in a string, an integer beyond 64 bits), so
those rare values take the slow path instead of failing the block.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# ASCII escapes in the fallback: a lone surrogate kept raw could not be written as UTF-8.
_std_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode


def dumps(value: object) -> str:
    """Compact JSON text of ``value`` (no newline, non-ASCII kept as is)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return _std_dumps(value)


def loads(text: str) -> Any:
    """The value of JSON text written by ``dumps``."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
