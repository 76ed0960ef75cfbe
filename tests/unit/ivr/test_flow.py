"""IVR flow documents: each node type's required fields, references, limits and error paths."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from control_plane.ivr.flow import MAX_NODES, NODE_TYPES, Flow, IvrFlowError, parse_flow
from control_plane.ivr.prompts import CATALOGUE

ROOT = Path(__file__).resolve().parents[3]
CENTER_FILES = (ROOT / "control_plane/calls/demo_center.toml",
                ROOT / "tests/e2e/center_fixture.toml")

# One valid node of every type; tests break one field at a time.
VALID: dict[str, Any] = {
    "start": "hello",
    "language": "en",
    "nodes": {
        "hello": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {"type": "menu", "prompt": "main_menu", "options": {"1": "account", "9": "vm"},
                 "retries": 2, "timeout_s": 5, "invalid_prompt": "invalid", "on_fail": "bye"},
        "account": {"type": "collect", "prompt": "enter_account", "variable": "account",
                    "max_digits": 8, "terminator": "#", "timeout_s": 5,
                    "inter_digit_timeout_s": 3, "next": "vip"},
        "vip": {"type": "set", "priority": "vip", "skill": "billing", "language": "zh",
                "variables": {"segment": "gold"}, "next": "ask"},
        "ask": {"type": "webhook", "url": "https://crm.example/route", "timeout_s": 2,
                "branches": {"sales": "sales", "away": "out"}, "default": "sales"},
        "sales": {"type": "queue", "queue": "sales"},
        "vm": {"type": "voicemail", "queue": "sales"},
        "out": {"type": "transfer", "number": "+8657100000"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}


def doc_with(node: str, **fields: Any) -> dict[str, Any]:
    """VALID with ``fields`` of ``node`` replaced (a value of ... removes the field)."""
    doc = copy.deepcopy(VALID)
    for key, value in fields.items():
        if value is ...:
            del doc["nodes"][node][key]
        else:
            doc["nodes"][node][key] = value
    return doc


def error_of(doc: Any, **kwargs: Any) -> IvrFlowError:
    with pytest.raises(IvrFlowError) as caught:
        parse_flow(doc, **kwargs)
    assert str(caught.value).startswith(f"{caught.value.path}: ")
    return caught.value


def test_the_valid_document_uses_every_node_type_and_parses() -> None:
    flow = parse_flow(VALID)
    assert {n.type for n in flow.nodes.values()} == NODE_TYPES
    assert flow.start == "hello" and flow.language == "en"
    assert flow.node("menu").get("options") == {"1": "account", "9": "vm"}
    assert flow.prompts() == {"welcome", "main_menu", "invalid", "enter_account", "goodbye"}
    assert flow.queues() == {"sales"}


def test_language_defaults_to_english() -> None:
    doc = copy.deepcopy(VALID)
    del doc["language"]
    assert parse_flow(doc).language == "en"


@pytest.mark.parametrize(("node", "missing"), [
    ("hello", "prompt"), ("hello", "next"),
    ("menu", "prompt"), ("menu", "options"), ("menu", "on_fail"),
    ("account", "prompt"), ("account", "variable"), ("account", "next"),
    ("vip", "next"),
    ("ask", "url"), ("ask", "default"),
    ("sales", "queue"), ("vm", "queue"), ("out", "number"),
    ("hello", "type"),
])
def test_every_required_field_is_named_when_missing(node: str, missing: str) -> None:
    err = error_of(doc_with(node, **{missing: ...}))
    assert err.path == f"nodes.{node}.{missing}" and err.message == "is required"


@pytest.mark.parametrize(("node", "field", "value"), [
    ("hello", "prompt", 7), ("hello", "next", ["menu"]), ("menu", "on_fail", None),
    ("menu", "options", ["1"]), ("account", "variable", True), ("ask", "url", {"u": 1}),
    ("sales", "queue", 3), ("out", "number", 8657100000), ("hello", "type", 1),
])
def test_a_required_field_of_the_wrong_kind_is_named(node: str, field: str, value: Any) -> None:
    err = error_of(doc_with(node, **{field: value}))
    assert err.path == f"nodes.{node}.{field}" and err.message.startswith("must be")


@pytest.mark.parametrize(("node", "field", "value"), [
    ("menu", "retries", -1), ("menu", "retries", 11), ("menu", "retries", "2"),
    ("menu", "retries", True), ("menu", "timeout_s", 0.1), ("menu", "timeout_s", 61),
    ("account", "timeout_s", 0), ("account", "max_digits", 0), ("account", "max_digits", 65),
    ("account", "inter_digit_timeout_s", 31), ("ask", "timeout_s", 0.05),
    ("ask", "timeout_s", 31),
])
def test_numbers_out_of_range_are_named(node: str, field: str, value: Any) -> None:
    err = error_of(doc_with(node, **{field: value}))
    assert err.path == f"nodes.{node}.{field}"
    assert err.message.startswith("must be a ") and " number from " in err.message


def test_the_bounds_themselves_are_accepted() -> None:
    doc = doc_with("menu", retries=0, timeout_s=0.5)
    doc["nodes"]["account"].update(max_digits=64, inter_digit_timeout_s=30, timeout_s=60)
    doc["nodes"]["ask"]["timeout_s"] = 0.1
    flow = parse_flow(doc)
    assert flow.node("menu").get("retries") == 0 and flow.node("account").get("max_digits") == 64


def test_an_unknown_node_type_is_named() -> None:
    err = error_of(doc_with("hello", type="speak"))
    assert err.path == "nodes.hello.type" and "unknown node type 'speak'" in err.message


def test_a_node_that_is_not_an_object() -> None:
    doc = copy.deepcopy(VALID)
    doc["nodes"]["hello"] = "play welcome"
    assert error_of(doc).path == "nodes.hello"


@pytest.mark.parametrize("digit", ["12", "a", "", "+", "١"])
def test_menu_options_must_be_single_dtmf_digits(digit: str) -> None:
    err = error_of(doc_with("menu", options={"1": "account", digit: "vm"}))
    assert err.path == f"nodes.menu.options.{digit}" and "0-9, * or #" in err.message


@pytest.mark.parametrize("digit", [*"0123456789", "*", "#"])
def test_every_dtmf_digit_is_a_menu_option(digit: str) -> None:
    assert digit in parse_flow(doc_with("menu", options={digit: "vm"})).node("menu").get(
        "options")


def test_a_menu_needs_an_option() -> None:
    err = error_of(doc_with("menu", options={}))
    assert (err.path, err.message) == ("nodes.menu.options", "needs at least one option")


@pytest.mark.parametrize("terminator", ["x", "##", 5, ""])
def test_collect_terminator_must_be_a_digit(terminator: Any) -> None:
    err = error_of(doc_with("account", terminator=terminator))
    assert (err.path, err.message) == ("nodes.account.terminator", "must be a DTMF digit")


def test_set_priority_must_be_known() -> None:
    err = error_of(doc_with("vip", priority="urgent"))
    assert err.path == "nodes.vip.priority" and "normal" in err.message


@pytest.mark.parametrize("url", ["ftp://crm/x", "file:///etc/passwd", "crm.example/route",
                                 "javascript:alert(1)"])
def test_webhook_url_must_be_http(url: str) -> None:
    err = error_of(doc_with("ask", url=url))
    assert (err.path, err.message) == ("nodes.ask.url", "must be an http(s) URL")


@pytest.mark.parametrize(("node", "field", "value", "path"), [
    ("hello", "next", "nowhere", "nodes.hello.next"),
    ("menu", "on_fail", "nowhere", "nodes.menu.on_fail"),
    ("menu", "options", {"1": "account", "2": "nowhere"}, "nodes.menu.options.2"),
    ("account", "next", "nowhere", "nodes.account.next"),
    ("vip", "next", "nowhere", "nodes.vip.next"),
    ("ask", "branches", {"sales": "sales", "x": "nowhere"}, "nodes.ask.branches.x"),
    ("ask", "default", "nowhere", "nodes.ask.default"),
])
def test_dangling_references_are_named(node: str, field: str, value: Any, path: str) -> None:
    err = error_of(doc_with(node, **{field: value}))
    assert (err.path, err.message) == (path, "names no node: 'nowhere'")


def test_start_must_exist_and_name_a_node() -> None:
    doc = copy.deepcopy(VALID)
    doc["start"] = "nowhere"
    assert (error_of(doc).path, error_of(doc).message) == ("$.start", "names no node: 'nowhere'")
    del doc["start"]
    assert (error_of(doc).path, error_of(doc).message) == ("$.start", "is required")


@pytest.mark.parametrize("doc", [None, [], "flow", 3])
def test_a_flow_must_be_an_object(doc: Any) -> None:
    assert error_of(doc).path == "$"


@pytest.mark.parametrize("nodes", [..., {}, [], "x"])
def test_nodes_must_be_a_non_empty_object(nodes: Any) -> None:
    doc = copy.deepcopy(VALID)
    if nodes is ...:
        del doc["nodes"]
    else:
        doc["nodes"] = nodes
    assert error_of(doc).path == "$.nodes"


def _chain(count: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {f"n{i}": {"type": "play", "prompt": "welcome", "next": f"n{i + 1}"}
                             for i in range(count - 1)}
    nodes[f"n{count - 1}"] = {"type": "hangup"}
    return {"start": "n0", "nodes": nodes}


def test_max_nodes_is_the_bound() -> None:
    assert len(parse_flow(_chain(MAX_NODES)).nodes) == MAX_NODES
    err = error_of(_chain(MAX_NODES + 1))
    assert err.path == "$.nodes" and str(MAX_NODES) in err.message


def test_known_queues_are_checked_for_queue_and_voicemail_nodes() -> None:
    assert parse_flow(VALID, known_queues=frozenset({"sales"})).queues() == {"sales"}
    err = error_of(VALID, known_queues=frozenset({"support"}))
    assert err.path in ("nodes.sales.queue", "nodes.vm.queue") and "'sales'" in err.message
    err = error_of(doc_with("vm", queue="gone"), known_queues=frozenset({"sales"}))
    assert (err.path, err.message) == ("nodes.vm.queue", "unknown queue 'gone'")


@pytest.mark.parametrize(("node", "field"), [
    ("hello", "prompt"), ("menu", "prompt"), ("menu", "invalid_prompt"),
    ("account", "prompt"), ("bye", "prompt"),
])
def test_known_prompts_are_checked_for_every_prompt_field(node: str, field: str) -> None:
    known = parse_flow(VALID).prompts()
    assert parse_flow(VALID, known_prompts=known)
    err = error_of(doc_with(node, **{field: "mystery"}), known_prompts=known)
    assert (err.path, err.message) == (f"nodes.{node}.{field}", "unknown prompt 'mystery'")


def test_without_known_sets_names_are_not_checked() -> None:
    doc = doc_with("sales", queue="anything")
    doc["nodes"]["hello"]["prompt"] = "anything"
    assert parse_flow(doc).node("sales").get("queue") == "anything"


@pytest.mark.parametrize("center", CENTER_FILES, ids=lambda p: p.name)
def test_the_shipped_flows_parse(center: Path) -> None:
    raw = tomllib.loads(center.read_text())
    for entry in raw["flow"]:
        tenant = next(t for t in raw["tenant"] if t["id"] == entry["tenant"])
        queues = frozenset(q["id"] for q in tenant["queue"])
        flow = parse_flow(entry["document"], known_queues=queues)
        assert isinstance(flow, Flow) and flow.start in flow.nodes
        assert flow.queues() <= queues


@pytest.mark.parametrize("center", CENTER_FILES, ids=lambda p: p.name)
def test_the_shipped_flows_play_only_catalogued_prompts(center: Path) -> None:
    raw = tomllib.loads(center.read_text())
    for entry in raw["flow"]:
        doc = entry["document"]
        known = frozenset(CATALOGUE[doc["language"]])
        assert parse_flow(doc, known_prompts=known).prompts() <= known


# Malformed documents from an editor or the API: every one is an IvrFlowError with a path,
# never an AttributeError/TypeError from inside the parser (nor one later, in a live call).
@pytest.mark.parametrize(("node", "field", "value", "path"), [
    ("ask", "branches", ["sales"], "nodes.ask.branches"),
    ("ask", "branches", "sales", "nodes.ask.branches"),
    ("hello", "options", [1], "nodes.hello.options"),
    ("vip", "variables", ["segment"], "nodes.vip.variables"),
    ("vip", "variables", {"segment": {"deep": 1}}, "nodes.vip.variables.segment"),
    ("account", "terminator", ["#"], "nodes.account.terminator"),
    ("vip", "priority", ["vip"], "nodes.vip.priority"),
    ("menu", "options", {"1": 5}, "nodes.menu.options.1"),
    ("menu", "options", {"1": ["account"]}, "nodes.menu.options.1"),
    ("ask", "branches", {"sales": None}, "nodes.ask.branches.sales"),
    ("menu", "next", 3, "nodes.menu.next"),
    ("vip", "skill", 5, "nodes.vip.skill"),
    ("vip", "language", {"zh": 1}, "nodes.vip.language"),
    ("menu", "invalid_prompt", 5, "nodes.menu.invalid_prompt"),
    ("bye", "prompt", ["goodbye"], "nodes.bye.prompt"),
])
def test_malformed_fields_are_flow_errors(node: str, field: str, value: Any, path: str) -> None:
    assert error_of(doc_with(node, **{field: value})).path == path


@pytest.mark.parametrize(("field", "value"), [("retries", 1.5), ("max_digits", 2.5)])
def test_counts_must_be_whole_numbers(field: str, value: float) -> None:
    node = "menu" if field == "retries" else "account"
    assert error_of(doc_with(node, **{field: value})).path == f"nodes.{node}.{field}"


def test_a_non_string_language_is_refused() -> None:
    doc = copy.deepcopy(VALID)
    doc["language"] = ["en"]
    assert error_of(doc).path == "$.language"


@pytest.mark.parametrize("name", ["../../voicemail/globex/msg", "zh/welcome", "a.b", "",
                                  "welcome ", "x" * 101, "/etc/passwd", "..", "欢迎"])
@pytest.mark.parametrize(("node", "field"), [("hello", "prompt"), ("menu", "invalid_prompt"),
                                             ("bye", "prompt")])
def test_prompt_names_cannot_reach_outside_the_library(node: str, field: str,
                                                       name: str) -> None:
    err = error_of(doc_with(node, **{field: name}), known_prompts=frozenset({name}))
    assert err.path == f"nodes.{node}.{field}" and err.message.startswith("must match")


@pytest.mark.parametrize("language", ["../en", "en/..", "e", "zh-Hans-CN/x", ""])
def test_languages_cannot_reach_outside_the_library(language: str) -> None:
    assert error_of(doc_with("vip", language=language)).path == "nodes.vip.language"
    doc = copy.deepcopy(VALID)
    doc["language"] = language
    assert error_of(doc).path == "$.language"


@pytest.mark.parametrize("language", ["en", "zh", "yue", "zh-Hans", "en_US", "cmn-Hans-CN"])
def test_language_tags_are_accepted(language: str) -> None:
    assert parse_flow(doc_with("vip", language=language)).node("vip").get("language") == language
