"""Names a Prometheus text exposition offers, samples or not.

A labelled family nobody has set yet (a queue gauge before the first call) shows only its
``# TYPE`` line; it still exists for Prometheus, so those names count too, with the sample
suffixes their type implies.
"""

from __future__ import annotations

import re

_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{|\s)")
_TYPE = re.compile(r"^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) (\w+)")
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("", "_count", "_sum"),
}


def exposition_names(text: str) -> set[str]:
    """Every series name ``text`` (Prometheus text format) exports."""
    names: set[str] = set()
    for line in text.splitlines():
        typed = _TYPE.match(line)
        if typed:
            name, kind = typed.groups()
            if kind == "counter":
                names.add(name if name.endswith("_total") else f"{name}_total")
            else:
                names.update(name + s for s in _SUFFIXES.get(kind, ("",)))
            continue
        sample = _SAMPLE.match(line)
        if sample and not line.startswith("#"):
            names.add(sample.group(1))
    return names
