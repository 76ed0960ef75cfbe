"""Client transactions (RFC 3261 §17.1) driven by a manual clock."""

from __future__ import annotations

import pytest

from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.timers import ManualClock
from control_plane.sipstack.transaction import TransactionLayer
from control_plane.sipstack.transaction_base import State
from control_plane.sipstack.transaction_client import InviteClientTransaction

from .factory import ALICE, ALICE_TCP, Recorder, answer, request


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def rec(clock: ManualClock) -> Recorder:
    recorder = Recorder()
    recorder.clock = clock
    return recorder


@pytest.fixture
def layer(clock: ManualClock, rec: Recorder) -> TransactionLayer:
    return TransactionLayer(rec.send, clock, rec)


def test_invite_timer_a_doubles_until_timer_b(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    layer.send_request(request(), ALICE, got.append)
    clock.advance(40)
    assert rec.sent_at == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # A: T1, 2T1, 4T1... no T2 cap
    assert [r.status for r in got] == [408]
    assert len(layer) == 0


def test_invite_over_tcp_is_not_retransmitted(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    layer.send_request(request(transport="TCP"), ALICE_TCP, got.append)
    clock.advance(31.9)
    assert len(rec.sent) == 1 and got == []
    clock.advance(0.2)
    assert [r.status for r in got] == [408]


def test_invite_non_2xx_is_acked_by_the_transaction(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    invite = request()
    txn = layer.send_request(invite, ALICE, got.append)
    layer.receive(answer(invite, 180), ALICE)
    assert txn.state is State.PROCEEDING
    clock.advance(10)
    assert len(rec.sent) == 1  # no retransmission once a provisional came
    busy = answer(invite, 486)
    layer.receive(busy, ALICE)
    layer.receive(busy, ALICE)  # retransmitted final: ACK again, TU not told twice
    acks = rec.sent_requests("ACK")
    assert len(acks) == 2
    assert acks[0].top_via.branch == invite.top_via.branch
    assert acks[0].to.tag == "bob-tag" and acks[0].cseq.method == "ACK"
    assert acks[0].cseq.seq == invite.cseq.seq and acks[0].uri == invite.uri
    assert [r.status for r in got] == [180, 486]
    clock.advance(31.9)
    assert len(layer) == 1  # timer D keeps absorbing
    clock.advance(0.2)
    assert len(layer) == 0


def test_invite_2xx_is_accepted_and_retransmissions_reach_the_tu(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    invite = request()
    txn = layer.send_request(invite, ALICE, got.append)
    ok = answer(invite, 200)
    layer.receive(ok, ALICE)
    assert txn.state is State.ACCEPTED
    layer.receive(ok, ALICE)
    assert [r.status for r in got] == [200, 200]
    assert rec.sent_requests("ACK") == []  # the ACK for a 2xx is the TU's (end to end)
    clock.advance(32.1)
    assert len(layer) == 0
    layer.receive(ok, ALICE)
    assert [r.status for r in rec.strays] == [200]


def test_cancel_waits_for_a_provisional(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    cancel_answers: list[SipResponse] = []
    invite = request()
    txn = layer.send_request(invite, ALICE, got.append)
    assert isinstance(txn, InviteClientTransaction)
    assert layer.cancel(txn, cancel_answers.append)
    assert not layer.cancel(txn, cancel_answers.append)  # once is enough
    assert rec.sent_requests("CANCEL") == []
    layer.receive(answer(invite, 180), ALICE)
    [cancel] = rec.sent_requests("CANCEL")
    assert cancel.top_via.branch == invite.top_via.branch
    assert cancel.cseq.seq == invite.cseq.seq and cancel.cseq.method == "CANCEL"
    assert cancel.to.tag is None and cancel.uri == invite.uri
    layer.receive(answer(cancel, 200), ALICE)
    layer.receive(answer(invite, 487), ALICE)
    assert [r.status for r in cancel_answers] == [200]
    assert [r.status for r in got] == [180, 487]
    assert len(rec.sent_requests("ACK")) == 1


def test_cancel_without_answer_gives_up_after_64_t1(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    invite = request()
    txn = layer.send_request(invite, ALICE, got.append)
    layer.receive(answer(invite, 180), ALICE)
    assert isinstance(txn, InviteClientTransaction)
    layer.cancel(txn, lambda _: None)
    clock.advance(33)
    assert [r.status for r in got] == [180, 408]
    assert len(layer) == 0


def test_cancel_is_refused_after_a_final_answer(clock, rec, layer) -> None:
    invite = request()
    txn = layer.send_request(invite, ALICE, lambda _: None)
    layer.receive(answer(invite, 200), ALICE)
    assert isinstance(txn, InviteClientTransaction)
    assert not layer.cancel(txn, lambda _: None)
    assert rec.sent_requests("CANCEL") == []


def test_pending_cancel_is_dropped_when_the_final_comes_first(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    invite = request()
    txn = layer.send_request(invite, ALICE, got.append)
    assert isinstance(txn, InviteClientTransaction)
    layer.cancel(txn, lambda _: None)
    layer.receive(answer(invite, 200), ALICE)  # the CANCEL/200 race: the 200 won
    assert rec.sent_requests("CANCEL") == []
    assert [r.status for r in got] == [200]


def test_transport_error_is_a_503(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    rec.fail_sends = True
    layer.send_request(request("OPTIONS"), ALICE, got.append)
    assert [r.status for r in got] == [503]
    assert len(layer) == 0


def test_non_invite_timer_e_caps_at_t2_then_f(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    layer.send_request(request("OPTIONS"), ALICE, got.append)
    clock.advance(40)
    assert rec.sent_at == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert [r.status for r in got] == [408]


def test_non_invite_proceeding_retransmits_at_t2_and_k_absorbs(clock, rec, layer) -> None:
    got: list[SipResponse] = []
    options = request("OPTIONS")
    layer.send_request(options, ALICE, got.append)
    layer.receive(answer(options, 100), ALICE)
    clock.advance(0.5)  # E fired once more (its interval was T1), then T2
    sends = len(rec.sent)
    clock.advance(3.9)
    assert len(rec.sent) == sends
    clock.advance(0.2)
    assert len(rec.sent) == sends + 1
    ok = answer(options, 200)
    layer.receive(ok, ALICE)
    layer.receive(ok, ALICE)
    assert [r.status for r in got] == [100, 200]
    clock.advance(4.9)
    assert len(layer) == 1
    clock.advance(0.2)
    assert len(layer) == 0


def test_duplicate_branch_and_ack_are_refused(layer) -> None:
    layer.send_request(request("OPTIONS"), ALICE, lambda _: None)
    with pytest.raises(ValueError, match="already in use"):
        layer.send_request(request("OPTIONS"), ALICE, lambda _: None)
    with pytest.raises(ValueError, match="send_stateless"):
        layer.send_request(request("ACK"), ALICE, lambda _: None)
