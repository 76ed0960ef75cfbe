"""IVR flows: a tenant's versioned tree of nodes, parsed and validated before it is used.

A flow document is JSON::

    {"start": "main", "language": "en",
     "nodes": {"main": {"type": "menu", "prompt": "main_menu",
                        "options": {"1": "sales", "2": "support"}, "retries": 2,
                        "timeout_s": 5, "on_fail": "bye"},
               "sales": {"type": "queue", "queue": "sales"}, ...}}

Node types: ``play`` (prompt, next), ``menu`` (prompt, options, timeout_s, retries,
invalid_prompt, on_fail), ``collect`` (prompt, variable, max_digits, terminator,
timeout_s, inter_digit_timeout_s, next), ``set`` (priority / skill / language / variables,
next), ``queue`` (queue), ``voicemail`` (queue), ``transfer`` (number), ``webhook`` (url,
timeout_s, branches {answer: node}, default) and ``hangup`` (optional prompt). Every error
names the node and field at fault, so an editor can point at it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NODE_TYPES = frozenset(
    {"play", "menu", "collect", "set", "queue", "voicemail", "transfer", "webhook", "hangup"}
)
PRIORITIES = frozenset({"normal", "important", "vip"})
DIGITS = frozenset("0123456789*#")
MAX_NODES = 500
# Prompt names and languages become file paths (<prompts>/<language>/<name>.wav): no
# separators or dots, so a flow cannot play a file outside the prompt library (another
# tenant's voicemail, say).
PROMPT_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}")
LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")


class IvrFlowError(ValueError):
    """The flow is invalid; ``path`` is where (``nodes.main.options.1``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Node:
    """One validated node: its id, type and fields (as in the document)."""

    id: str
    type: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the node, or ``default``."""
        return self.fields.get(key, default)


@dataclass(frozen=True)
class Flow:
    """A validated flow: where it starts, its language and its nodes by id."""

    start: str
    language: str
    nodes: Mapping[str, Node]

    def node(self, node_id: str) -> Node:
        """The node ``node_id`` (validation guarantees every reference exists)."""
        return self.nodes[node_id]

    def prompts(self) -> frozenset[str]:
        """Every prompt the flow plays."""
        names = set()
        for node in self.nodes.values():
            for key in ("prompt", "invalid_prompt"):
                if node.get(key):
                    names.add(str(node.get(key)))
        return frozenset(names)

    def queues(self) -> frozenset[str]:
        """Every queue the flow can send a caller to."""
        return frozenset(
            str(n.get("queue")) for n in self.nodes.values()
            if n.type in ("queue", "voicemail") and n.get("queue")
        )


def _require(raw: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    if key not in raw:
        raise IvrFlowError(f"{path}.{key}", "is required")
    value = raw[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise IvrFlowError(f"{path}.{key}", f"must be {getattr(kind, '__name__', kind)}")
    return value


def _optional(raw: Mapping[str, Any], key: str, kind: type, path: str) -> Any:
    """Like `_require` for a field that may be absent (or null)."""
    if raw.get(key) is None:
        return None
    return _require(raw, key, kind, path)


def _number(raw: Mapping[str, Any], key: str, path: str, *, default: float,
            low: float, high: float, whole: bool = False) -> float:
    value = raw.get(key, default)
    kinds = int if whole else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        what = "a whole number" if whole else "a number"
        raise IvrFlowError(f"{path}.{key}", f"must be {what} from {low:g} to {high:g}")
    return float(value)


def _safe(raw: Mapping[str, Any], key: str, pattern: re.Pattern[str], path: str) -> None:
    value = raw.get(key)
    if value is not None and not pattern.fullmatch(value):
        raise IvrFlowError(f"{path}.{key}", f"must match {pattern.pattern}")


def _references(raw: Mapping[str, Any], path: str) -> None:
    """Reference fields hold node ids (strings) and tables of them, so the runner can follow
    them without a type check of its own."""
    for key in ("next", "on_fail", "default"):
        _optional(raw, key, str, path)
    for key in ("options", "branches"):
        for label, target in (_optional(raw, key, Mapping, path) or {}).items():
            if not isinstance(target, str):
                raise IvrFlowError(f"{path}.{key}.{label}", "must be a node id (a string)")


def _targets(node: Node, path: str) -> list[tuple[str, str]]:
    """(field path, target node id) for every reference the node makes."""
    refs: list[tuple[str, str]] = []
    for key in ("next", "on_fail", "default"):
        if node.get(key) is not None:
            refs.append((f"{path}.{key}", str(node.get(key))))
    for key in ("options", "branches"):
        for label, target in (node.get(key) or {}).items():
            refs.append((f"{path}.{key}.{label}", str(target)))
    return refs


def _check_node(node_id: str, raw: Any, path: str) -> Node:
    if not isinstance(raw, Mapping):
        raise IvrFlowError(path, "must be an object")
    kind = _require(raw, "type", str, path)
    if kind not in NODE_TYPES:
        raise IvrFlowError(f"{path}.type", f"unknown node type {kind!r}")
    _references(raw, path)
    for key in ("prompt", "invalid_prompt", "skill", "language"):
        _optional(raw, key, str, path)
    for key in ("prompt", "invalid_prompt"):
        _safe(raw, key, PROMPT_NAME, path)
    _safe(raw, "language", LANGUAGE, path)
    if kind in ("play", "menu", "collect"):
        _require(raw, "prompt", str, path)
    if kind in ("play", "collect", "set"):
        _require(raw, "next", str, path)
    if kind == "menu":
        options = _require(raw, "options", Mapping, path)
        if not options:
            raise IvrFlowError(f"{path}.options", "needs at least one option")
        for digit in options:
            if digit not in DIGITS:
                raise IvrFlowError(f"{path}.options.{digit}", "must be one of 0-9, * or #")
        _number(raw, "retries", path, default=2, low=0, high=10, whole=True)
        _require(raw, "on_fail", str, path)
    if kind in ("menu", "collect"):
        _number(raw, "timeout_s", path, default=5, low=0.5, high=60)
    if kind == "collect":
        _require(raw, "variable", str, path)
        _number(raw, "max_digits", path, default=20, low=1, high=64, whole=True)
        _number(raw, "inter_digit_timeout_s", path, default=3, low=0.5, high=30)
        _number(raw, "retries", path, default=0, low=0, high=10, whole=True)
        terminator = raw.get("terminator", "#")
        if not isinstance(terminator, str) or terminator not in DIGITS:
            raise IvrFlowError(f"{path}.terminator", "must be a DTMF digit")
    if kind == "set":
        priority = raw.get("priority")
        if priority is not None and (not isinstance(priority, str)
                                     or priority not in PRIORITIES):
            raise IvrFlowError(f"{path}.priority", f"must be one of {sorted(PRIORITIES)}")
        for name, value in (_optional(raw, "variables", Mapping, path) or {}).items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise IvrFlowError(f"{path}.variables.{name}", "must be a string or a number")
    if kind in ("queue", "voicemail"):
        _require(raw, "queue", str, path)
    if kind == "transfer":
        _require(raw, "number", str, path)
    if kind == "webhook":
        url = _require(raw, "url", str, path)
        if not url.startswith(("http://", "https://")):
            raise IvrFlowError(f"{path}.url", "must be an http(s) URL")
        _require(raw, "default", str, path)
        _number(raw, "timeout_s", path, default=3, low=0.1, high=30)
    return Node(node_id, kind, dict(raw))


def parse_flow(doc: Any, *, known_queues: frozenset[str] | None = None,
               known_prompts: frozenset[str] | None = None) -> Flow:
    """Validate a flow document; with the known queues/prompts, references are checked too."""
    if not isinstance(doc, Mapping):
        raise IvrFlowError("$", "a flow must be an object")
    raw_nodes = _require(doc, "nodes", Mapping, "$")
    if not raw_nodes or len(raw_nodes) > MAX_NODES:
        raise IvrFlowError("$.nodes", f"needs 1 to {MAX_NODES} nodes")
    nodes = {str(k): _check_node(str(k), v, f"nodes.{k}") for k, v in raw_nodes.items()}
    start = _require(doc, "start", str, "$")
    if start not in nodes:
        raise IvrFlowError("$.start", f"names no node: {start!r}")
    for node in nodes.values():
        for where, target in _targets(node, f"nodes.{node.id}"):
            if target not in nodes:
                raise IvrFlowError(where, f"names no node: {target!r}")
    _optional(doc, "language", str, "$")
    _safe(doc, "language", LANGUAGE, "$")
    language = doc.get("language") or "en"
    flow = Flow(start=start, language=language, nodes=nodes)
    if known_queues is not None:
        for node in nodes.values():
            if node.type in ("queue", "voicemail") and node.get("queue") not in known_queues:
                raise IvrFlowError(f"nodes.{node.id}.queue", f"unknown queue {node.get('queue')!r}")
    if known_prompts is not None:
        for node in nodes.values():
            for key in ("prompt", "invalid_prompt"):
                if node.get(key) and node.get(key) not in known_prompts:
                    raise IvrFlowError(f"nodes.{node.id}.{key}",
                                       f"unknown prompt {node.get(key)!r}")
    return flow
