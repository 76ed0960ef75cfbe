"""Runs one caller through a validated IVR flow, against the call's media (an `IvrIo`).

The runner decides; the I/O port plays and listens. Barge-in: a digit pressed while a
prompt plays stops it and counts as the answer. A menu replays on no input and on an
invalid digit up to its retries, then goes to ``on_fail``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from control_plane.ivr.flow import Flow, Node

MAX_STEPS = 200  # a loop in a flow (menu → play → menu…) ends instead of running forever


class IvrIo(Protocol):
    """What the runner needs from the call: prompts, digits, web hooks, a trace."""

    async def play(self, prompt: str, *, language: str, barge_in: bool) -> str | None:
        """Play a prompt; the digit that interrupted it, or None when it finished."""

    async def digit(self, timeout_s: float) -> str | None:
        """The next digit within ``timeout_s``, or None."""

    async def webhook(self, url: str, payload: dict[str, str], timeout_s: float) -> str | None:
        """POST the call's variables; the answer's ``branch`` (None on any failure)."""

    def trace(self, node: Node, event: str, value: str = "") -> None:
        """Record an IVR event (for `ivr_events` in analytics)."""


@dataclass
class IvrOutcome:
    """Where the caller goes after the IVR, and what it learnt about them."""

    action: str  # queue | voicemail | transfer | hangup
    target: str = ""
    language: str = "en"
    priority: str | None = None
    skill: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)


async def _menu(io: IvrIo, node: Node, out: IvrOutcome) -> str:
    retries = int(node.get("retries", 2))
    timeout = float(node.get("timeout_s", 5))
    options: dict[str, str] = dict(node.get("options"))
    barged: str | None = None  # a digit that interrupted the no-input/invalid prompt
    for attempt in range(retries + 1):
        # a barged-in digit is the caller's next answer: replaying the menu would drop it
        digit = barged
        if digit is None:
            digit = await io.play(str(node.get("prompt")), language=out.language,
                                  barge_in=True)
        if digit is None:
            digit = await io.digit(timeout)
        barged = None
        if digit is None:
            io.trace(node, "no_input", str(attempt))
            if attempt < retries:
                barged = await io.play("no_input", language=out.language, barge_in=True)
            continue
        if digit in options:
            io.trace(node, "choice", digit)
            return options[digit]
        io.trace(node, "invalid", digit)
        if attempt < retries:
            barged = await io.play(str(node.get("invalid_prompt", "invalid")),
                                   language=out.language, barge_in=True)
    return str(node.get("on_fail"))


async def _collect_once(io: IvrIo, node: Node, out: IvrOutcome) -> str:
    terminator = str(node.get("terminator", "#"))
    max_digits = int(node.get("max_digits", 20))
    got = ""
    first = await io.play(str(node.get("prompt")), language=out.language, barge_in=True)
    timeout = float(node.get("timeout_s", 5))
    digit = first if first is not None else await io.digit(timeout)
    while digit is not None and digit != terminator:
        got += digit
        if len(got) >= max_digits:
            break
        digit = await io.digit(float(node.get("inter_digit_timeout_s", 3)))
    return got


async def _collect(io: IvrIo, node: Node, out: IvrOutcome) -> str:
    # Nothing entered: the prompt is replayed up to ``retries`` times (default none).
    got = await _collect_once(io, node, out)
    for attempt in range(int(node.get("retries", 0))):
        if got:
            break
        io.trace(node, "no_input", str(attempt))
        await io.play("no_input", language=out.language, barge_in=True)
        got = await _collect_once(io, node, out)
    out.variables[str(node.get("variable"))] = got
    io.trace(node, "collected", str(len(got)))  # the value may be a card number: not logged
    return str(node.get("next"))


def _set(node: Node, out: IvrOutcome) -> str:
    if node.get("priority"):
        out.priority = str(node.get("priority"))
    if node.get("skill"):
        out.skill = str(node.get("skill"))
    if node.get("language"):
        out.language = str(node.get("language"))
    for key, value in (node.get("variables") or {}).items():
        out.variables[str(key)] = str(value)
    return str(node.get("next"))


async def run_flow(flow: Flow, io: IvrIo, *, caller: str = "") -> IvrOutcome:
    """Walk the flow from its start until a terminal node; returns where the call goes."""
    out = IvrOutcome(action="hangup", language=flow.language)
    node_id = flow.start
    for _ in range(MAX_STEPS):
        node = flow.node(node_id)
        out.path.append(node.id)
        io.trace(node, "enter")
        if node.type == "play":
            await io.play(str(node.get("prompt")), language=out.language,
                          barge_in=bool(node.get("barge_in", False)))
            node_id = str(node.get("next"))
        elif node.type == "menu":
            node_id = await _menu(io, node, out)
        elif node.type == "collect":
            node_id = await _collect(io, node, out)
        elif node.type == "set":
            node_id = _set(node, out)
        elif node.type == "webhook":
            # the network's caller number last: a variable (digits the caller typed) named
            # "caller" must not let them pose as another customer to the web program
            payload = {**out.variables, "caller": caller, "node": node.id}
            branch = await io.webhook(str(node.get("url")), payload,
                                      float(node.get("timeout_s", 3)))
            io.trace(node, "webhook", branch or "")
            branches: dict[str, str] = dict(node.get("branches") or {})
            node_id = branches.get(branch or "", str(node.get("default")))
        else:
            if node.type == "hangup" and node.get("prompt"):
                await io.play(str(node.get("prompt")), language=out.language, barge_in=False)
            out.action = node.type
            out.target = str(node.get("queue") or node.get("number") or "")
            return out
    io.trace(flow.node(node_id), "loop_limit")
    return out
