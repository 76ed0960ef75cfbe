"""Server transactions (RFC 3261 §17.2, RFC 6026) and CANCEL, driven by a manual clock."""

from __future__ import annotations

import pytest

from control_plane.sipstack.message import SipResponse, make_response
from control_plane.sipstack.timers import ManualClock
from control_plane.sipstack.transaction import TransactionLayer
from control_plane.sipstack.transaction_base import State

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


def test_invite_gets_100_at_once_and_retransmissions_are_absorbed(rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    layer.receive(invite, ALICE)
    assert len(rec.requests) == 1
    assert rec.sent_statuses() == [100, 100]
    trying = rec.sent[0][0]
    assert isinstance(trying, SipResponse) and trying.to.tag is None


def test_provisional_is_resent_to_retransmitted_invite(rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 180))
    layer.receive(invite, ALICE)
    assert rec.sent_statuses() == [100, 180, 180]


def test_error_answer_retransmitted_by_g_until_ack(clock, rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 486))
    clock.advance(12)
    assert rec.sent_at == [0, 0, 0.5, 1.5, 3.5, 7.5, 11.5]  # G doubles up to T2
    ack = request("ACK", to_tag="bob-tag")  # same branch: hop-by-hop ACK
    layer.receive(ack, ALICE)
    assert txn.state is State.CONFIRMED
    assert rec.acks == []  # absorbed by the transaction
    sent = len(rec.sent)
    layer.receive(ack, ALICE)
    clock.advance(4.9)
    assert len(rec.sent) == sent and len(layer) == 1
    clock.advance(0.2)  # timer I = T4
    assert len(layer) == 0 and rec.no_ack == []


def test_error_answer_without_ack_ends_at_timer_h(clock, rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 603))
    clock.advance(31.9)
    assert rec.no_ack == []
    clock.advance(0.2)
    assert rec.no_ack == [txn] and len(layer) == 0


def test_error_answer_over_tcp_is_not_retransmitted(clock, rec, layer) -> None:
    invite = request(transport="TCP")
    layer.receive(invite, ALICE_TCP)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 404))
    clock.advance(20)
    assert rec.sent_statuses() == [100, 404]
    layer.receive(request("ACK", to_tag="bob-tag", transport="TCP"), ALICE_TCP)
    clock.advance(0)
    assert len(layer) == 0


def test_2xx_retransmitted_until_the_end_to_end_ack(clock, rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 200))
    assert txn.state is State.ACCEPTED
    clock.advance(4)
    assert rec.sent_statuses() == [100, 200, 200, 200, 200]
    layer.receive(invite, ALICE)  # retransmitted INVITE: absorbed, no second call
    assert len(rec.requests) == 1
    ack = request("ACK", branch="z9hG4bKother", to_tag="bob-tag")
    layer.receive(ack, ALICE)
    assert rec.acks == [ack]
    sent = len(rec.sent)
    clock.advance(40)
    assert len(rec.sent) == sent  # no retransmission after the ACK
    assert rec.no_ack == [] and len(layer) == 0


def test_2xx_without_ack_is_reported(clock, rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 200))
    clock.advance(33)
    assert rec.no_ack == [txn] and len(layer) == 0
    assert rec.sent_statuses().count(200) == 1 + 10  # T1,2T1,4T1, then every T2 up to 64*T1


def test_only_one_final_answer(rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 486))
    txn.respond(answer(invite, 200))
    assert rec.sent_statuses() == [100, 486]


def test_cancel_of_pending_invite_gives_200_and_487(rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 180, to_tag="ring"))
    cancel = request("CANCEL")
    layer.receive(cancel, ALICE)
    layer.receive(cancel, ALICE)  # retransmitted CANCEL: same 200 again
    statuses = [(m.cseq.method, m.status, m.to.tag) for m, _ in rec.sent
                if isinstance(m, SipResponse)]  # fmt: skip
    assert statuses[2:] == [("CANCEL", 200, "ring"), ("INVITE", 487, "ring"),
                            ("CANCEL", 200, "ring")]  # fmt: skip
    assert rec.cancelled == [txn]
    layer.receive(request("ACK", to_tag="ring"), ALICE)
    assert txn.state is State.CONFIRMED and rec.acks == []


def test_cancel_without_invite_is_481(rec, layer) -> None:
    layer.receive(request("CANCEL"), ALICE)
    assert rec.sent_statuses() == [481]
    assert rec.requests == [] and rec.cancelled == []


def test_cancel_after_the_2xx_only_gets_its_200(rec, layer) -> None:
    invite = request()
    layer.receive(invite, ALICE)
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 200))
    layer.receive(request("CANCEL"), ALICE)
    assert rec.sent_statuses() == [100, 200, 200]
    assert rec.cancelled == [] and txn.state is State.ACCEPTED


def test_rfc2543_matching_without_magic_cookie(clock, rec, layer) -> None:
    invite = request(branch=None)
    layer.receive(invite, ALICE)
    layer.receive(invite, ALICE)
    assert len(rec.requests) == 1
    _, txn = rec.requests[0]
    txn.respond(answer(invite, 480))
    layer.receive(request("ACK", branch=None, to_tag="bob-tag"), ALICE)
    assert txn.state is State.CONFIRMED
    other = request(branch=None, seq=2)
    layer.receive(other, ALICE)
    assert len(rec.requests) == 2  # another CSeq is another transaction


def test_non_invite_absorbs_then_repeats_final_until_j(clock, rec, layer) -> None:
    options = request("OPTIONS")
    layer.receive(options, ALICE)
    layer.receive(options, ALICE)
    assert rec.sent == []  # nothing to repeat yet
    _, txn = rec.requests[0]
    txn.respond(make_response(options, 200))
    layer.receive(options, ALICE)
    assert rec.sent_statuses() == [200, 200] and len(rec.requests) == 1
    clock.advance(31.9)
    assert len(layer) == 1
    clock.advance(0.2)
    assert len(layer) == 0


def test_non_invite_over_tcp_ends_at_once(clock, rec, layer) -> None:
    options = request("OPTIONS", transport="TCP")
    layer.receive(options, ALICE_TCP)
    _, txn = rec.requests[0]
    txn.respond(make_response(options, 100))
    txn.respond(make_response(options, 200))
    clock.advance(0)
    assert rec.sent_statuses() == [100, 200] and len(layer) == 0


def test_stray_ack_goes_to_the_tu(rec, layer) -> None:
    ack = request("ACK", branch="z9hG4bKnobody", to_tag="x")
    layer.receive(ack, ALICE)
    assert rec.acks == [ack]


def test_many_transactions_stay_indexed(clock, rec, layer) -> None:
    for n in range(500):
        layer.receive(request("OPTIONS", branch=f"z9hG4bK{n}", seq=n), ALICE)
    for req, txn in rec.requests:
        txn.respond(make_response(req, 200))
    assert len(layer) == 500
    clock.advance(33)
    assert len(layer) == 0
