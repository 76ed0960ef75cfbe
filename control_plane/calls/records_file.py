"""Call records as JSON lines in a file: for a controller run without an analytics sink
(a standalone replica, `python -m control_plane.calls`). One line per row, flushed per
write, so a kill -9 keeps every record already written."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path


class JsonLinesRecords:
    """A `RecordSink` appending ``{"table": ..., "row": ...}`` lines to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    async def write(self, table: str, row: Mapping[str, object]) -> None:
        """Append one row."""
        line = json.dumps({"table": table, "row": dict(row)}, default=str, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def read_records(path: Path, table: str) -> list[dict[str, object]]:
    """Every row of ``table`` in a records file (empty when there is none)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["table"] == table:
            rows.append(item["row"])
    return rows
