"""Metric names a PromQL expression reads, without a full parser.

Enough of PromQL's lexical rules to tell a metric name from a function, keyword, label or
duration: strings, label matchers ``{...}``, ranges ``[...]`` and grouping label lists
(``by``/``without``/``on``/``ignoring``/``group_left``/``group_right`` ``(...)``) are cut
out first; what remains that looks like an identifier and is not called like a function
or a keyword is a metric name. Grafana's ``$variables`` are removed before.
"""

from __future__ import annotations

import re

_KEYWORDS = frozenset({
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "atan2", "start", "end",
})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_GRAFANA_VAR = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENT = re.compile(r"(?<![\w.:])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_NUMBER_SUFFIX = re.compile(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", re.IGNORECASE)


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` selects (``__name__`` matchers are not resolved)."""
    text = _GRAFANA_VAR.sub("1", expr)
    text = _STRING.sub('""', text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])?\b", " ", text)
    names: set[str] = set()
    for match in _IDENT.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS or _NUMBER_SUFFIX.fullmatch(name):
            continue
        names.add(name)
    return names
