"""Memory of the soak's daemons: one sample = resident and proportional set size of every
daemon, a Kamailio node's processes summed (its main process and every child it forked).

RSS counts a page shared by several processes once in each of them: Kamailio's shared
memory pool, mapped by every child, weighs N times in the node's RSS sum. PSS splits each
shared page between the processes mapping it, so the node's PSS sum is its real footprint.
Both are kept; growth is reported on both.
"""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = defaultdict(list)
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        # The command name (field 2) may hold spaces and parentheses: split after its end.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids[ppid].append(int(entry.name))
    return kids


def tree(pid: int, kids: dict[int, list[int]]) -> list[int]:
    """``pid`` and every process below it."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(kids.get(current, []))
    return out


def _kb(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def process_kb(pids: Iterable[int]) -> tuple[int, int]:
    """(RSS, PSS) in kB summed over ``pids``."""
    rss = pss = 0
    for pid in pids:
        rss += _kb(PROC / str(pid) / "status", "VmRSS:")
        pss += _kb(PROC / str(pid) / "smaps_rollup", "Pss:")
    return rss, pss


def sample(daemons: dict[str, int]) -> dict[str, dict[str, float]]:
    """``{name: {"rss_mb", "pss_mb", "processes"}}`` for each ``{name: main pid}``; the name
    ``control-plane`` with this process's pid is measured after a garbage collection (what
    the calls hold, not garbage awaiting a collection)."""
    kids = _children()
    out: dict[str, dict[str, float]] = {}
    for name, pid in daemons.items():
        if pid == os.getpid():
            gc.collect()
            pids = [pid]  # SIPp and the daemons are children of this process too
        else:
            pids = tree(pid, kids)
        rss, pss = process_kb(pids)
        out[name] = {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1),
                     "processes": len(pids)}
    return out


def growth_pct(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]],
               key: str) -> dict[str, float]:
    """Per daemon, how much ``key`` (``rss_mb`` or ``pss_mb``) grew from ``before`` to
    ``after``, in percent (negative: it shrank)."""
    return {name: round(100 * (after[name][key] - b[key]) / b[key], 2)
            for name, b in before.items() if name in after and b[key] > 0}
