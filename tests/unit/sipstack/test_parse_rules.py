"""Parser rules beyond the torture messages: IPv6, Via details, lengths, limits, building."""

from __future__ import annotations

import pytest

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.headers import Address, CSeq, Via, parse_address, parse_via
from control_plane.sipstack.message import SipRequest, SipResponse, make_response
from control_plane.sipstack.parse import error_reply, parse_message
from control_plane.sipstack.uri import Params, SipUri, parse_uri

BASE = (
    "OPTIONS sip:bob@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sip:alice@example.com>;tag=a1\r\n"
    "To: <sip:bob@example.com>\r\n"
    "Call-ID: c1@192.0.2.1\r\n"
    "CSeq: 1 OPTIONS\r\n"
)


def request(extra: str = "", body: str = "", length: int | None = None) -> bytes:
    size = len(body.encode()) if length is None else length
    return (BASE + extra + f"Content-Length: {size}\r\n\r\n" + body).encode()


def test_ipv6_references_in_uri_and_via() -> None:
    uri = parse_uri("sip:alice@[2001:db8::10]:5070;transport=tcp")
    assert isinstance(uri, SipUri)
    assert (uri.host, uri.port, uri.transport) == ("2001:db8::10", 5070, "TCP")
    assert str(uri) == "sip:alice@[2001:db8::10]:5070;transport=tcp"
    via = parse_via("SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1;received=[2001:db8::1]")
    assert (via.host, via.port, via.received) == ("2001:db8::9", 5060, "[2001:db8::1]")
    assert str(via).startswith("SIP/2.0/UDP [2001:db8::9]:5060")


@pytest.mark.parametrize(
    "text",
    ["sip:alice@[2001:db8::zz]", "sip:alice@[2001:db8::1", "sip:alice@exa mple.com",
     "sip:alice@host:99999", "sip:alice@300.1.1.1", "sip:@host", "sip:a@host;;x",
     "sip:a%zz@host", "sip:", "nocolon"],
)  # fmt: skip
def test_bad_uris(text: str) -> None:
    with pytest.raises(SipParseError):
        parse_uri(text)


def test_via_rport_received_and_sent_by() -> None:
    message = parse_message(request())
    via = message.top_via
    assert via.branch == "z9hG4bKabc"
    assert via.params.has("rport") and via.rport is None
    filled = Via("UDP", "192.0.2.1", 5060, via.params.set("rport", "4000"))
    assert filled.rport == 4000
    assert via.sent_by == "192.0.2.1:5060"


@pytest.mark.parametrize(
    "value",
    ["SIP/2.0/UDP", "SIP/2.0 UDP host", "SIP/2.0/UDP host;branch", "SIP/2.0/UDP host;rport=x",
     "SIP/2.0/UDP host;=x", "XIP/2.0/UDP host"],
)  # fmt: skip
def test_bad_via(value: str) -> None:
    with pytest.raises(SipParseError):
        parse_via(value)


def test_via_with_other_version_is_505() -> None:
    with pytest.raises(SipParseError) as caught:
        parse_via("SIP/3.0/UDP host")
    assert caught.value.status == 505


def test_content_length_rules() -> None:
    assert parse_message(request(body="hello")).body == b"hello"
    assert parse_message(request(body="hello", length=2)).body == b"he"  # rest discarded
    with pytest.raises(SipParseError, match="Content-Length larger"):
        parse_message(request(body="hi", length=3))
    with pytest.raises(SipParseError, match="Content-Length"):
        parse_message(request(body="hi", length=-1))
    no_length = (BASE + "\r\nraw body").encode()
    assert parse_message(no_length).body == b"raw body"


def test_compact_and_case_insensitive_names() -> None:
    data = (
        b"OPTIONS sip:bob@example.com SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK1\r\n"
        b"f: <sip:a@h>;tag=1\r\nt: sip:b@h\r\ni: x\r\nCSEQ: 2 OPTIONS\r\nl: 0\r\n\r\n"
    )
    message = parse_message(data)
    assert message.call_id == "x"
    assert message.cseq == CSeq(2, "OPTIONS")
    assert message.top_via.transport == "TCP"


@pytest.mark.parametrize(
    ("extra", "word"),
    [("Max-Forwards: 256\r\n", "More than one"), ("X: 1\r\n y\r\nbroken\r\n", "header line"),
     ("Contact: <sip:a@h>,,<sip:b@h>\r\n", "empty"), ("Date: yesterday\r\n", "Date")],
)  # fmt: skip
def test_header_errors(extra: str, word: str) -> None:
    with pytest.raises(SipParseError, match=word):
        parse_message(request(extra))


def test_max_forwards_limit() -> None:
    data = request().replace(b"Max-Forwards: 70", b"Max-Forwards: 256")
    with pytest.raises(SipParseError, match="Max-Forwards"):
        parse_message(data)


def test_non_utf8_header_and_bare_lf_are_refused() -> None:
    with pytest.raises(SipParseError, match="UTF-8"):
        parse_message(request("Subject: \xff\r\n").replace(b"\xc3\xbf", b"\xff"))
    with pytest.raises(SipParseError, match="Bare"):
        parse_message(request("Subject: a\nb\r\n"))


def test_multiple_contacts_in_one_header_respect_quotes_and_brackets() -> None:
    message = parse_message(request('Contact: "a, b" <sip:a,b@h;x=1>, <sip:c@h>;q=0.5\r\n'))
    assert [c.display_name for c in message.contact] == ["a, b", None]
    assert message.contact[1].params.get("q") == "0.5"


def test_name_addr_forms() -> None:
    assert parse_address("Bob <sip:b@h>", "To").display_name == "Bob"
    assert parse_address("sip:b@h;tag=1", "To").tag == "1"
    with pytest.raises(SipParseError):
        parse_address('"Bob" sip:b@h', "To")
    with pytest.raises(SipParseError):
        parse_address("<sip:b@h", "To")
    with pytest.raises(SipParseError):
        parse_address("<sip:b@h>;tag=", "To")


def test_build_request_and_response_round_trip() -> None:
    req = SipRequest(
        method="INVITE",
        uri=SipUri(host="example.com", user="bob"),
        via=(Via("UDP", "127.0.0.1", 5060, Params((("branch", "z9hG4bKx"),))),),
        from_=Address(SipUri(host="example.com", user="alice"), "Alice Q", Params((("tag", "t"),))),
        to=Address(SipUri(host="example.com", user="bob")),
        call_id="abc@host",
        cseq=CSeq(1, "INVITE"),
        contact=(Address(SipUri(host="127.0.0.1", port=5060)),),
        headers=(("Content-Type", "application/sdp"),),
        body=b"v=0\r\n",
    )
    assert parse_message(req.encode()) == req
    answer = make_response(req, 180, to_tag="xyz")
    assert isinstance(answer, SipResponse)
    assert answer.to.tag == "xyz" and answer.reason == "Ringing"
    assert parse_message(answer.encode()) == answer
    trying = make_response(req, 100, to_tag="xyz")
    assert trying.to.tag is None


def test_error_reply_copies_matching_headers() -> None:
    broken = request().replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 INVITE")
    with pytest.raises(SipParseError) as caught:
        parse_message(broken)
    reply = error_reply(broken, caught.value)
    assert reply is not None
    answer = parse_message(reply)
    assert isinstance(answer, SipResponse)
    assert answer.status == 400 and "CSeq" in answer.reason
    assert answer.top_via.branch == "z9hG4bKabc"
    assert answer.call_id == "c1@192.0.2.1"


def test_error_reply_is_none_for_responses_acks_and_no_via() -> None:
    error = SipParseError("x")
    assert error_reply(b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n\r\n", error) is None
    assert error_reply(b"ACK sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n", error) is None
    assert error_reply(b"OPTIONS sip:a@h SIP/2.0\r\nTo: x\r\n\r\n", error) is None
    assert error_reply(b"garbage", error) is None
