"""The IVR runner against a scripted caller (tests/unit/ivr/fake_io.py) on a virtual clock."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.ivr.flow import DIGITS, Flow, parse_flow
from control_plane.ivr.runner import MAX_STEPS, IvrOutcome, run_flow
from tests.unit.ivr.fake_io import PROMPT_S, FakeIo

ROOT = Path(__file__).resolve().parents[3]
TERMINAL = {"queue", "voicemail", "transfer", "hangup"}


def menu_flow(**menu: Any) -> Flow:
    """welcome (no barge-in) → menu {1: sales queue, 2: support queue} → on_fail: bye."""
    return parse_flow({"start": "welcome", "language": "en", "nodes": {
        "welcome": {"type": "play", "prompt": "welcome", "next": "menu"},
        "menu": {"type": "menu", "prompt": "main_menu", "options": {"1": "sales", "2": "support"},
                 "timeout_s": 5, "retries": 2, "on_fail": "bye", **menu},
        "sales": {"type": "queue", "queue": "sales"},
        "support": {"type": "queue", "queue": "support"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    }})


def collect_flow(**collect: Any) -> Flow:
    return parse_flow({"start": "account", "nodes": {
        "account": {"type": "collect", "prompt": "enter_account", "variable": "account",
                    "timeout_s": 5, "inter_digit_timeout_s": 3, "next": "q", **collect},
        "q": {"type": "queue", "queue": "support"},
    }})


def run(flow: Flow, io: FakeIo, caller: str = "") -> IvrOutcome:
    return asyncio.run(run_flow(flow, io, caller=caller))


MENU_AT = PROMPT_S  # the menu prompt starts when the 2 s welcome ends


def test_a_choice_after_the_prompt_goes_to_its_node() -> None:
    io = FakeIo(presses=[(MENU_AT + PROMPT_S + 1.5, "2")])
    out = run(menu_flow(), io)
    assert (out.action, out.target, out.path) == ("queue", "support", ["welcome", "menu",
                                                                       "support"])
    assert io.prompts == ["welcome", "main_menu"]
    assert io.waits == [(MENU_AT + PROMPT_S, 5.0)]
    assert ("menu", "choice", "2") in io.traces
    assert [t for t in io.traces if t[1] == "enter"] == [
        ("welcome", "enter", ""), ("menu", "enter", ""), ("support", "enter", "")]


def test_barge_in_a_digit_during_the_prompt_is_the_answer() -> None:
    io = FakeIo(presses=[(MENU_AT + 0.5, "1")])
    out = run(menu_flow(), io)
    assert (out.action, out.target) == ("queue", "sales")
    assert io.played[1].barge_in and io.played[1].interrupted_by == "1"
    assert io.waits == [] and io.now == MENU_AT + 0.5


def test_the_welcome_without_barge_in_plays_to_its_end_and_keeps_the_digit() -> None:
    io = FakeIo(presses=[(0.5, "1")])  # pressed during the welcome: typed ahead
    out = run(menu_flow(), io)
    assert (out.action, out.target) == ("queue", "sales")
    assert not io.played[0].barge_in
    assert io.played[1].at == MENU_AT and io.played[1].interrupted_by == "1"
    assert io.now == MENU_AT  # the menu prompt did not have to be heard


def test_no_input_replays_up_to_retries_then_on_fail() -> None:
    io = FakeIo()
    out = run(menu_flow(retries=2), io)
    assert (out.action, out.path[-1]) == ("hangup", "bye")
    assert io.prompts == ["welcome", "main_menu", "no_input", "main_menu", "no_input",
                          "main_menu", "goodbye"]
    assert [t for t in io.traces if t[1] == "no_input"] == [
        ("menu", "no_input", "0"), ("menu", "no_input", "1"), ("menu", "no_input", "2")]
    assert [timeout for _, timeout in io.waits] == [5.0, 5.0, 5.0]
    assert not io.played[-1].barge_in  # the goodbye is not interruptible


def test_no_retries_means_one_attempt() -> None:
    io = FakeIo()
    out = run(menu_flow(retries=0), io)
    assert out.path[-1] == "bye" and io.prompts == ["welcome", "main_menu", "goodbye"]


def test_an_invalid_digit_plays_the_invalid_prompt_and_asks_again() -> None:
    first = MENU_AT + PROMPT_S + 1
    io = FakeIo(presses=[(first, "7"), (first + PROMPT_S + PROMPT_S + 1, "1")])
    out = run(menu_flow(invalid_prompt="invalid"), io)
    assert (out.action, out.target) == ("queue", "sales")
    assert io.prompts == ["welcome", "main_menu", "invalid", "main_menu"]
    assert [t for t in io.traces if t[0] == "menu" and t[1] != "enter"] == [
        ("menu", "invalid", "7"), ("menu", "choice", "1")]


def test_the_invalid_prompt_defaults_to_invalid() -> None:
    io = FakeIo(presses=[(MENU_AT + 0.1, "5"), (MENU_AT + 0.2, "2")])
    out = run(menu_flow(), io)
    assert out.target == "support" and io.prompts[2] == "invalid"


def test_invalid_digits_use_up_the_retries_then_on_fail() -> None:
    # each "8" during the menu prompt (2 s) that follows the previous 2 s invalid prompt
    io = FakeIo(presses=[(MENU_AT + 0.1 + 2.1 * n, "8") for n in range(3)])
    out = run(menu_flow(retries=2), io)
    assert out.path[-1] == "bye"
    assert io.prompts.count("invalid") == 2  # not after the last attempt: on_fail follows
    assert [t[2] for t in io.traces if t[1] == "invalid"] == ["8", "8", "8"]


def test_a_digit_pressed_during_the_no_input_prompt_is_the_answer() -> None:
    no_input_at = MENU_AT + PROMPT_S + 5
    io = FakeIo(presses=[(no_input_at + 0.5, "2")])
    out = run(menu_flow(), io)
    assert (out.action, out.target) == ("queue", "support")
    assert io.prompts == ["welcome", "main_menu", "no_input"]
    assert io.played[-1].interrupted_by == "2" and io.left == []


def test_a_digit_pressed_during_the_invalid_prompt_is_the_answer() -> None:
    invalid_at = MENU_AT + 1
    io = FakeIo(presses=[(invalid_at, "6"), (invalid_at + 0.5, "1")])
    out = run(menu_flow(), io)
    assert (out.action, out.target) == ("queue", "sales")
    assert io.prompts == ["welcome", "main_menu", "invalid"]


def test_collect_until_the_terminator() -> None:
    io = FakeIo(presses=[(0.5, "4"), (1.0, "2"), (1.5, "7"), (2.0, "#"), (2.5, "9")])
    out = run(collect_flow(), io)
    assert out.variables == {"account": "427"} and (out.action, out.target) == ("queue",
                                                                                 "support")
    assert io.played[0].interrupted_by == "4"  # the first digit barges in
    assert io.left == ["9"]
    assert ("account", "collected", "3") in io.traces


def test_collect_with_another_terminator() -> None:
    io = FakeIo(presses=[(0.5, "1"), (1.0, "#"), (1.5, "*")])
    out = run(collect_flow(terminator="*"), io)
    assert out.variables["account"] == "1#"


def test_collect_stops_at_max_digits() -> None:
    io = FakeIo(presses=[(0.1 * n, d) for n, d in enumerate("123456", start=1)])
    out = run(collect_flow(max_digits=4), io)
    assert out.variables["account"] == "1234" and io.left == ["5", "6"]


def test_collect_ends_on_the_inter_digit_timeout() -> None:
    io = FakeIo(presses=[(PROMPT_S + 1, "5"), (PROMPT_S + 3.5, "6"), (PROMPT_S + 7, "7")])
    out = run(collect_flow(inter_digit_timeout_s=3), io)
    assert out.variables["account"] == "56" and io.left == ["7"]
    assert io.waits == [(PROMPT_S, 5.0), (PROMPT_S + 1, 3.0), (PROMPT_S + 3.5, 3.0)]


def test_collect_without_input_leaves_an_empty_value() -> None:
    io = FakeIo()
    out = run(collect_flow(), io)
    assert out.variables == {"account": ""} and out.target == "support"
    assert io.waits == [(PROMPT_S, 5.0)]


def test_collect_replays_its_prompt_on_no_input_up_to_its_retries() -> None:
    # Silence through the first prompt and its timeout, then the caller answers.
    second_prompt_at = PROMPT_S + 5.0 + PROMPT_S  # the "no input" notice, then the prompt
    io = FakeIo(presses=[(second_prompt_at + PROMPT_S + 0.5, "8"),
                         (second_prompt_at + PROMPT_S + 1.0, "#")])
    out = run(collect_flow(retries=1), io)
    assert out.variables["account"] == "8"
    assert io.prompts == ["enter_account", "no_input", "enter_account"]
    assert ("account", "no_input", "0") in io.traces


def test_collect_gives_up_after_its_retries() -> None:
    io = FakeIo()
    out = run(collect_flow(retries=2), io)
    assert out.variables["account"] == "" and out.target == "support"
    assert io.prompts == ["enter_account", "no_input", "enter_account", "no_input",
                          "enter_account"]


def test_the_collected_value_is_not_in_the_trace() -> None:
    card = "4111111111111111"
    io = FakeIo(presses=[(0.1 * n, d) for n, d in enumerate(card + "#", start=1)])
    out = run(collect_flow(), io)
    assert out.variables["account"] == card
    assert ("account", "collected", str(len(card))) in io.traces
    assert not any(card in value or (value in card and len(value) > 2)
                   for _, _, value in io.traces)
    assert all(card not in step for step in out.path)


def _set_flow(**fields: Any) -> Flow:
    return parse_flow({"start": "s", "language": "en", "nodes": {
        "s": {"type": "set", "next": "hello", **fields},
        "hello": {"type": "play", "prompt": "welcome", "next": "q"},
        "q": {"type": "queue", "queue": "sales"},
    }})


def test_set_records_priority_skill_language_and_variables() -> None:
    io = FakeIo()
    out = run(_set_flow(priority="vip", skill="billing", language="zh",
                        variables={"segment": "gold", "tier": 3}), io)
    assert (out.priority, out.skill, out.language) == ("vip", "billing", "zh")
    assert out.variables == {"segment": "gold", "tier": "3"}
    assert io.played[0].language == "zh"  # later prompts are in the new language


def test_set_without_fields_changes_nothing() -> None:
    out = run(_set_flow(), FakeIo())
    assert (out.priority, out.skill, out.language, out.variables) == (None, None, "en", {})


def _hook_flow() -> Flow:
    return parse_flow({"start": "acct", "nodes": {
        "acct": {"type": "collect", "prompt": "enter_account", "variable": "account",
                 "next": "ask"},
        "ask": {"type": "webhook", "url": "https://crm.example/route", "timeout_s": 2.5,
                "branches": {"vip": "vip", "away": "out"}, "default": "normal"},
        "vip": {"type": "set", "priority": "vip", "next": "normal"},
        "normal": {"type": "queue", "queue": "sales"},
        "out": {"type": "transfer", "number": "+8657100000"},
    }})


def test_webhook_branches_on_the_answer() -> None:
    url = "https://crm.example/route"
    io = FakeIo(presses=[(0.5, "9"), (0.6, "#")], webhook_answers={url: "away"})
    out = run(_hook_flow(), io, caller="+8613800000000")
    assert (out.action, out.target) == ("transfer", "+8657100000")
    assert io.hooks == [(url, {"caller": "+8613800000000", "node": "ask", "account": "9"},
                         2.5)]
    assert ("ask", "webhook", "away") in io.traces


def test_webhook_answer_selects_a_branch_that_continues() -> None:
    io = FakeIo(webhook_answers={"https://crm.example/route": "vip"})
    out = run(_hook_flow(), io)
    assert (out.action, out.priority, out.path) == ("queue", "vip",
                                                    ["acct", "ask", "vip", "normal"])


def test_webhook_failure_or_unknown_branch_takes_the_default() -> None:
    for answer in (None, "nonsense", ""):
        io = FakeIo(webhook_answers={"https://crm.example/route": answer})
        out = run(_hook_flow(), io)
        assert out.path == ["acct", "ask", "normal"] and out.priority is None
        assert ("ask", "webhook", answer or "") in io.traces


def test_webhook_payload_cannot_be_spoofed_by_a_variable() -> None:
    flow = parse_flow({"start": "who", "nodes": {
        "who": {"type": "collect", "prompt": "enter_account", "variable": "caller",
                "next": "tag"},
        "tag": {"type": "set", "variables": {"node": "elsewhere"}, "next": "ask"},
        "ask": {"type": "webhook", "url": "https://crm.example/route", "default": "q"},
        "q": {"type": "queue", "queue": "sales"},
    }})
    io = FakeIo(presses=[(0.1, "1"), (0.2, "1"), (0.3, "0"), (0.4, "#")])
    out = run(flow, io, caller="+8613800000000")
    payload = io.hooks[0][1]
    assert payload["caller"] == "+8613800000000" and payload["node"] == "ask"
    assert out.variables == {"caller": "110", "node": "elsewhere"}


def test_hangup_with_a_prompt_plays_it_without_barge_in() -> None:
    flow = parse_flow({"start": "bye", "nodes": {"bye": {"type": "hangup",
                                                         "prompt": "goodbye"}}})
    io = FakeIo(presses=[(0.1, "1")])
    out = run(flow, io)
    assert (out.action, out.target) == ("hangup", "")
    assert [(p.prompt, p.barge_in) for p in io.played] == [("goodbye", False)]
    assert io.now == PROMPT_S


def test_hangup_without_a_prompt_plays_nothing() -> None:
    io = FakeIo()
    out = run(parse_flow({"start": "x", "nodes": {"x": {"type": "hangup"}}}), io)
    assert out.action == "hangup" and io.played == []


def test_voicemail_and_transfer_outcomes() -> None:
    vm = run(parse_flow({"start": "v", "nodes": {"v": {"type": "voicemail",
                                                       "queue": "sales"}}}), FakeIo())
    assert (vm.action, vm.target) == ("voicemail", "sales")
    tr = run(parse_flow({"start": "t", "nodes": {"t": {"type": "transfer",
                                                       "number": "10086"}}}), FakeIo())
    assert (tr.action, tr.target) == ("transfer", "10086")


def test_a_play_node_may_allow_barge_in() -> None:
    flow = parse_flow({"start": "p", "nodes": {
        "p": {"type": "play", "prompt": "welcome", "barge_in": True, "next": "q"},
        "q": {"type": "queue", "queue": "sales"}}})
    io = FakeIo(presses=[(0.5, "3")])
    run(flow, io)
    # the digit stopped the prompt; a play node has no options, so it is not an answer
    assert io.played[0].interrupted_by == "3" and io.now == 0.5


def test_a_loop_ends_at_max_steps() -> None:
    flow = parse_flow({"start": "a", "nodes": {
        "a": {"type": "play", "prompt": "welcome", "next": "b"},
        "b": {"type": "set", "next": "a"},
    }})
    io = FakeIo()
    out = run(flow, io)
    assert out.action == "hangup" and len(out.path) == MAX_STEPS
    assert io.traces[-1][1] == "loop_limit"
    assert len(io.played) == MAX_STEPS // 2


def test_a_loop_of_set_nodes_alone_ends_too() -> None:
    flow = parse_flow({"start": "a", "nodes": {"a": {"type": "set", "next": "a"}}})
    io = FakeIo()
    out = run(flow, io)
    assert len(out.path) == MAX_STEPS and io.traces[-1] == ("a", "loop_limit", "")


def test_the_shipped_demo_flow_reaches_billing_through_two_menus() -> None:
    raw = tomllib.loads((ROOT / "control_plane/calls/demo_center.toml").read_text())
    doc = next(f for f in raw["flow"] if f["tenant"] == "acme")["document"]
    io = FakeIo(presses=[(PROMPT_S + 0.5, "2"), (PROMPT_S + 1.0, "1")])
    out = run(parse_flow(doc), io)
    assert (out.action, out.target, out.skill) == ("queue", "support", "billing")
    assert out.path == ["welcome", "menu", "support_menu", "billing", "support"]


# A flow with loops back to its menus, a collect, a webhook and every terminal kind.
LOOPY = parse_flow({"start": "menu", "language": "en", "nodes": {
    "menu": {"type": "menu", "prompt": "main_menu", "retries": 1, "on_fail": "again",
             "options": {"1": "sub", "2": "acct", "3": "vm", "4": "out", "5": "bye",
                         "0": "menu", "*": "again"}},
    "again": {"type": "play", "prompt": "no_input", "barge_in": True, "next": "menu"},
    "sub": {"type": "menu", "prompt": "support_menu", "retries": 0, "on_fail": "menu",
            "options": {"1": "q", "#": "menu", "9": "sub"}},
    "acct": {"type": "collect", "prompt": "enter_account", "variable": "a", "max_digits": 3,
             "next": "ask"},
    "ask": {"type": "webhook", "url": "http://crm/x", "branches": {"loop": "menu"},
            "default": "s"},
    "s": {"type": "set", "priority": "important", "next": "menu"},
    "q": {"type": "queue", "queue": "support"},
    "vm": {"type": "voicemail", "queue": "support"},
    "out": {"type": "transfer", "number": "10086"},
    "bye": {"type": "hangup"},
}})

presses = st.lists(st.tuples(st.floats(0, 600, allow_nan=False), st.sampled_from(sorted(DIGITS))),
                   max_size=60)


@settings(max_examples=300, deadline=None)
@given(presses=presses, answer=st.sampled_from([None, "loop", "other"]))
def test_any_digit_sequence_ends_in_a_terminal_outcome(
        presses: list[tuple[float, str]], answer: str | None) -> None:
    io = FakeIo(presses=presses, webhook_answers={"http://crm/x": answer})
    out = run(LOOPY, io)
    assert out.action in TERMINAL and 1 <= len(out.path) <= MAX_STEPS
    if len(out.path) < MAX_STEPS:
        assert LOOPY.node(out.path[-1]).type == out.action
    assert all(a in LOOPY.nodes for a in out.path)
    assert all(value == "" or value.isdigit() or value in DIGITS or value in ("loop", "other")
               for _, _, value in io.traces)
