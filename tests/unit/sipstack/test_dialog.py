"""Dialogs (RFC 3261 §12): route sets, targets, CSeq rules, in-dialog requests."""

from __future__ import annotations

import pytest

from control_plane.sipstack.dialog import Dialog, DialogId, DialogState, OutOfOrderRequest
from control_plane.sipstack.headers import Address, Via
from control_plane.sipstack.message import SipResponse
from control_plane.sipstack.parse import parse_message
from control_plane.sipstack.uri import Params, SipUri, parse_uri

from .factory import request

VIA = Via("UDP", "192.0.2.9", 5060, Params((("branch", "z9hG4bKnew"),)))
PROXY1 = Address(parse_uri("sip:p1.example.com;lr"))
PROXY2 = Address(parse_uri("sip:p2.example.com;lr"))
BOB = Address(parse_uri("sip:bob@192.0.2.50:5070"))


def ok_with_routes(record_route: tuple[Address, ...], contact: Address = BOB) -> SipResponse:
    invite = request().evolve(record_route=record_route)
    return SipResponse(status=200, reason="OK", via=invite.via, from_=invite.from_,
                       to=invite.to.with_tag("bob-tag"), call_id=invite.call_id,
                       cseq=invite.cseq, contact=(contact,), record_route=record_route)  # fmt: skip


def test_uac_dialog_reverses_record_route_and_targets_contact() -> None:
    invite = request()
    dialog = Dialog.as_uac(invite, ok_with_routes((PROXY1, PROXY2)))
    assert dialog.state is DialogState.CONFIRMED
    assert dialog.route_set == (PROXY2, PROXY1)
    assert dialog.remote_target == BOB.uri
    assert dialog.id == DialogId(invite.call_id, "alice-tag", "bob-tag")
    bye = dialog.create_request("BYE", VIA)
    assert bye.uri == BOB.uri  # loose routing: the target stays in the Request-URI
    assert bye.route == (PROXY2, PROXY1)
    assert bye.cseq.seq == invite.cseq.seq + 1
    assert (bye.from_.tag, bye.to.tag) == ("alice-tag", "bob-tag")
    assert dialog.next_hop() == PROXY2.uri
    assert parse_message(bye.encode()) == bye


def test_ack_for_2xx_reuses_the_invite_cseq_and_route_set() -> None:
    invite = request(seq=7)
    dialog = Dialog.as_uac(invite, ok_with_routes((PROXY1,)))
    ack = dialog.create_request("ACK", VIA, cseq=7)
    assert (ack.cseq.seq, ack.cseq.method) == (7, "ACK")
    assert ack.route == (PROXY1,) and ack.uri == BOB.uri
    assert dialog.local_seq == 7
    with pytest.raises(ValueError, match="CSeq"):
        dialog.create_request("ACK", VIA)


def test_uas_dialog_keeps_record_route_order() -> None:
    invite = request().evolve(record_route=(PROXY1, PROXY2))
    dialog = Dialog.as_uas(invite, "bob-tag")
    assert dialog.route_set == (PROXY1, PROXY2)
    assert dialog.remote_target == invite.contact[0].uri
    bye = dialog.create_request("BYE", VIA)
    assert (bye.from_.tag, bye.to.tag) == ("bob-tag", "alice-tag")
    assert bye.from_.uri == invite.to.uri and bye.to.uri == invite.from_.uri
    assert bye.route == (PROXY1, PROXY2)
    assert dialog.id == DialogId.of_incoming_request(request("BYE", to_tag="bob-tag"))


def test_strict_router_takes_the_request_uri() -> None:
    strict = Address(parse_uri("sip:strict.example.com"))
    dialog = Dialog.as_uac(request(), ok_with_routes((PROXY1, strict)))
    bye = dialog.create_request("BYE", VIA)
    assert bye.uri == strict.uri
    assert bye.route == (PROXY1, Address(BOB.uri))
    assert dialog.next_hop() == PROXY1.uri


def test_remote_cseq_must_not_go_back() -> None:
    dialog = Dialog.as_uas(request(seq=10), "bob-tag")
    dialog.check_request(request("INFO", seq=11, to_tag="bob-tag"))
    with pytest.raises(OutOfOrderRequest):
        dialog.check_request(request("INFO", seq=9, to_tag="bob-tag"))
    dialog.check_request(request("ACK", seq=10, to_tag="bob-tag"))  # ACK is not checked
    assert dialog.remote_seq == 11


def test_target_refresh_by_reinvite_and_its_answer() -> None:
    dialog = Dialog.as_uas(request(seq=1), "bob-tag")
    moved = Address(SipUri(host="192.0.2.77", user="alice", port=5090))
    dialog.check_request(request(seq=2, to_tag="bob-tag").evolve(contact=(moved,)))
    assert dialog.remote_target == moved.uri
    uac = Dialog.as_uac(request(), ok_with_routes(()))
    again = ok_with_routes((), contact=moved)
    uac.update_from_response(again)
    assert uac.remote_target == moved.uri


def test_early_dialog_confirms_on_2xx() -> None:
    invite = request()
    ringing = ok_with_routes(()).evolve(status=180, reason="Ringing")
    dialog = Dialog.as_uac(invite, ringing)
    assert dialog.state is DialogState.EARLY
    dialog.update_from_response(ok_with_routes(()))
    assert dialog.state.value == "confirmed"
