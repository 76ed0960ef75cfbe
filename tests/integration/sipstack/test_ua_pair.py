"""Two of our UserAgents talking over loopback: CANCEL, races, BYE both ways, re-INVITE,
the mechanical error answers, and TCP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import pytest

from control_plane.sipstack.dialog import Dialog
from control_plane.sipstack.exchange import Handler, IncomingRequest
from control_plane.sipstack.headers import CSeq
from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.ua import UserAgent
from control_plane.sipstack.uri import Params, SipUri

from .helpers import SDP, loopback_host


class Callee(Handler):
    """Answers by policy: 'ring' (180 only), 'answer' (180 + 200), 'race' (same)."""

    def __init__(self, policy: str = "answer") -> None:
        self.policy = policy
        self.pending: list[IncomingRequest] = []
        self.cancelled: list[SipRequest] = []
        self.acks: list[SipRequest] = []
        self.seen: list[str] = []
        self.dialogs: list[Dialog] = []
        self.ended: list[str] = []
        self.event = asyncio.Event()

    def on_request(self, incoming: IncomingRequest) -> None:
        self.seen.append(incoming.request.method)
        if incoming.request.method == "INVITE":
            incoming.respond(180)
            if self.policy == "ring":
                self.pending.append(incoming)
                return
            dialog = incoming.respond(200, headers=(("Content-Type", "application/sdp"),),
                                      body=SDP)  # fmt: skip
            if dialog is not None and dialog not in self.dialogs:
                self.dialogs.append(dialog)
        elif incoming.request.method != "BYE":
            incoming.respond(200)
        self.event.set()

    def on_ack(self, ack: SipRequest, dialog: Dialog | None) -> None:
        self.acks.append(ack)
        self.event.set()

    def on_cancel(self, invite: SipRequest) -> None:
        self.cancelled.append(invite)
        self.event.set()

    def on_dialog_ended(self, dialog: Dialog, reason: str) -> None:
        self.ended.append(reason)
        self.event.set()


async def wait_until(handler: Callee, condition: Callable[[], bool]) -> None:
    """Wait (at most 5 s) until `condition` holds, re-checking on each handler event."""
    async with asyncio.timeout(5):
        while not condition():
            handler.event.clear()
            if condition():
                return
            await handler.event.wait()


@pytest.fixture
async def pair() -> AsyncIterator[tuple[UserAgent, UserAgent, Callee, Callee]]:
    caller_handler, callee_handler = Callee(), Callee()
    caller = UserAgent(loopback_host(), 0, handler=caller_handler, user="alice", tcp=True)
    callee = UserAgent(loopback_host(), 0, handler=callee_handler, user="bob", tcp=True)
    await caller.start()
    await callee.start()
    try:
        yield caller, callee, caller_handler, callee_handler
    finally:
        await caller.close()
        await callee.close()


def target(ua: UserAgent, transport: str = "udp") -> SipUri:
    params = Params((("transport", transport),)) if transport != "udp" else Params()
    return SipUri(host=ua.transport.host, port=ua.transport.port, user="bob", params=params)


async def test_call_then_callee_hangs_up(pair) -> None:
    caller, callee, caller_h, callee_h = pair
    out = caller.invite(caller.new_request("INVITE", target(callee), body=SDP))
    assert (await asyncio.wait_for(out.final, 5)).status == 200
    await wait_until(callee_h, lambda: len(callee_h.acks) == 1)
    [dialog] = callee_h.dialogs
    answer = await asyncio.wait_for(callee.send_bye(dialog), 5)
    assert answer.status == 200
    assert caller_h.seen == ["BYE"] and caller_h.ended == ["bye"]
    assert caller.dialogs == {} and callee.dialogs == {}


async def test_cancel_of_a_ringing_call(pair) -> None:
    caller, callee, _, callee_h = pair
    callee_h.policy = "ring"
    ringing = asyncio.Event()
    out = caller.invite(caller.new_request("INVITE", target(callee)),
                        on_provisional=lambda _: ringing.set())  # fmt: skip
    await asyncio.wait_for(ringing.wait(), 5)
    assert out.cancel()
    assert (await asyncio.wait_for(out.final, 5)).status == 487
    await wait_until(callee_h, lambda: len(callee_h.cancelled) == 1)
    assert callee_h.pending[0].answered  # the layer sent 487 for the handler
    assert caller.dialogs == {} and callee.dialogs == {}


async def test_cancel_loses_the_race_to_200_and_the_call_is_hung_up(pair) -> None:
    caller, callee, caller_h, callee_h = pair
    out = caller.invite(caller.new_request("INVITE", target(callee)))
    out.on_provisional = lambda _: out.cancel()  # CANCEL leaves after the 200 did
    final = await asyncio.wait_for(out.final, 5)
    assert final.status == 200 and out.cancelled
    await wait_until(callee_h, lambda: callee_h.ended == ["bye"])
    assert callee_h.cancelled == [] and len(callee_h.acks) == 1
    assert caller_h.ended == ["cancelled"]
    assert caller.dialogs == {} and callee.dialogs == {}


async def test_reinvite_inside_the_dialog(pair) -> None:
    caller, callee, _, callee_h = pair
    out = caller.invite(caller.new_request("INVITE", target(callee)))
    await asyncio.wait_for(out.final, 5)
    assert out.dialog is not None
    again = caller.invite(caller.in_dialog(out.dialog, "INVITE", body=SDP))
    assert (await asyncio.wait_for(again.final, 5)).status == 200
    assert again.dialog is out.dialog
    await wait_until(callee_h, lambda: len(callee_h.acks) == 2)
    assert callee_h.seen == ["INVITE", "INVITE"] and len(callee_h.dialogs) == 1
    info = await caller.request(caller.in_dialog(out.dialog, "INFO"))
    assert info.status == 200


async def test_mechanical_answers(pair) -> None:
    caller, callee, _, callee_h = pair
    options = await caller.request(caller.new_request("OPTIONS", target(callee)))
    assert options.status == 200 and "INVITE" in (options.header("Allow") or "")
    register = await caller.request(caller.new_request("REGISTER", target(callee)))
    assert register.status == 405 and register.header("Allow")
    stray_bye = caller.new_request("BYE", target(callee))
    stray_bye = replace(stray_bye, to=stray_bye.to.with_tag("nobody"))
    assert (await caller.request(stray_bye)).status == 481
    needs = caller.new_request("OPTIONS", target(callee), headers=(("Require", "100rel"),))
    answer = await caller.request(needs)
    assert answer.status == 420 and answer.header("Unsupported") == "100rel"
    assert callee_h.seen == []  # none of these reached the application


async def test_out_of_order_cseq_is_500(pair) -> None:
    caller, callee, _, _ = pair
    out = caller.invite(caller.new_request("INVITE", target(callee)))
    await asyncio.wait_for(out.final, 5)
    assert out.dialog is not None
    first = caller.in_dialog(out.dialog, "INFO")
    assert (await caller.request(first)).status == 200
    late = caller.in_dialog(out.dialog, "INFO")
    late = replace(late, cseq=CSeq(first.cseq.seq - 1, "INFO"))
    answer: SipResponse = await caller.request(late)
    assert answer.status == 500


async def test_call_over_tcp(pair) -> None:
    caller, callee, _, callee_h = pair
    out = caller.invite(caller.new_request("INVITE", target(callee, "tcp"), body=SDP))
    assert (await asyncio.wait_for(out.final, 5)).status == 200
    await wait_until(callee_h, lambda: len(callee_h.acks) == 1)
    assert callee_h.acks[0].top_via.transport == "TCP"
    assert out.dialog is not None
    assert (await asyncio.wait_for(caller.send_bye(out.dialog), 5)).status == 200
    assert callee_h.ended == ["bye"]
    assert caller.transport.receiver.parse_errors == 0


async def test_late_offer_is_answered_in_the_ack(pair) -> None:
    caller, callee, _, callee_h = pair
    out = caller.invite(caller.new_request("INVITE", target(callee)), late_offer=True)
    final = await asyncio.wait_for(out.final, 5)
    assert final.status == 200 and final.body == SDP  # the offer came in the 2xx
    await asyncio.sleep(0.2)
    assert callee_h.acks == []  # nothing ACKed until the application answers
    caller.ack(out, body=SDP, headers=(("Content-Type", "application/sdp"),))
    await wait_until(callee_h, lambda: len(callee_h.acks) == 1)
    assert callee_h.acks[0].body == SDP
