"""Golden tests: the RFC 4475 torture messages through the strict parser."""

from __future__ import annotations

import pytest

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.headers import Address
from control_plane.sipstack.message import SipRequest, SipResponse
from control_plane.sipstack.parse import parse_message
from control_plane.sipstack.uri import AbsoluteUri, SipUri

from .conftest import RFC4475, torture

# §3.1.1 valid, §3.2 transaction layer, §3.3 syntactically valid ones, §3.4 RFC 2543.
VALID = [
    "wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq",
    "semiuri", "transports", "mpart01", "unreason", "noreason", "badbranch", "unkscm",
    "novelsc", "unksm2", "bext01", "invut", "regaut01", "bcast", "zeromf", "cparam01",
    "cparam02", "regescrt", "sdp01", "inv2543",
]  # fmt: skip

# §3.1.2 (all 19), the invalid ones of §3.3, and test.dat (no SIP version, a header
# line without a colon): name -> (status, a word the reason must contain).
INVALID = {
    "badinv01": (400, "Via"),
    "clerr": (400, "Content-Length"),
    "ncl": (400, "Content-Length"),
    "scalar02": (400, "CSeq"),
    "scalarlg": (400, "CSeq"),
    "quotbal": (400, "quoted"),
    "ltgtruri": (400, "Request-URI"),
    "lwsruri": (400, "Request-Line"),
    "lwsstart": (400, "Request-Line"),
    "trws": (400, "Request-Line"),
    "escruri": (400, "Request-URI"),
    "baddate": (400, "Date"),
    "regbadct": (400, "Contact"),
    "badaspec": (400, "To"),
    "baddn": (400, "display name"),
    "badvers": (505, "version"),
    "mismatch01": (400, "CSeq method"),
    "mismatch02": (400, "CSeq method"),
    "bigcode": (400, "status code"),
    "insuf": (400, "Missing"),
    "multi01": (400, "More than one"),
    "mcl01": (400, "More than one Content-Length"),
    "test": (400, "header line"),
}


def test_every_fixture_is_classified() -> None:
    names = {path.stem for path in RFC4475.glob("*.dat")}
    assert len(names) == 50
    assert names == set(VALID) | set(INVALID)


@pytest.mark.parametrize("name", VALID)
def test_valid_message_parses_and_round_trips(name: str) -> None:
    message = parse_message(torture(name))
    assert parse_message(message.encode()) == message


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_message_is_refused_with_a_reason(name: str) -> None:
    status, word = INVALID[name]
    with pytest.raises(SipParseError) as caught:
        parse_message(torture(name))
    assert caught.value.status == status
    assert word.lower() in caught.value.reason.lower()


def test_wsinv_whitespace_folding_and_compact_forms() -> None:
    message = parse_message(torture("wsinv"))
    assert isinstance(message, SipRequest)
    assert message.max_forwards == 68
    assert (message.cseq.seq, message.cseq.method) == (9, "INVITE")
    assert [v.host for v in message.via] == ["192.0.2.2", "spindle.example.com", "192.168.255.111"]
    assert [v.transport for v in message.via] == ["UDP", "TCP", "UDP"]
    assert message.via[1].branch == "z9hG4bK9ikj8"
    assert message.to.tag == "1918181833n"
    assert message.from_.display_name == 'J Rosenberg \\"'
    assert message.from_.tag == "98asjd8"
    assert message.contact[0].params.get("q") == "0.33"
    assert message.contact[0].display_name == 'Quoted string ""'
    assert message.header("NewFangledHeader") == "newfangled value continued newfangled value"
    assert message.header("Subject") == ""
    assert message.route[0].uri.params.has("lr")  # type: ignore[union-attr]
    assert len(message.body) == 150


def test_intmeth_odd_but_valid_characters() -> None:
    message = parse_message(torture("intmeth"))
    assert isinstance(message, SipRequest)
    assert message.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert isinstance(message.uri, SipUri)
    assert message.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert message.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert message.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert message.from_.tag == "_token~1'+`*%!-."
    assert message.call_id.endswith('word`~)(><:\\/"][?}{')


def test_dblreq_keeps_only_content_length_bytes() -> None:
    message = parse_message(torture("dblreq"))
    assert isinstance(message, SipRequest)
    assert message.method == "REGISTER"
    assert message.body == b""


def test_escapes_are_kept_as_sent() -> None:
    message = parse_message(torture("esc01"))
    assert isinstance(message, SipRequest) and isinstance(message.uri, SipUri)
    assert message.uri.user == "sips%3Auser%40example.com"
    assert message.uri.host == "example.net"
    esc02 = parse_message(torture("esc02"))
    assert isinstance(esc02, SipRequest)
    assert esc02.method == "RE%47IST%45R"  # % is a token character, not an escape here
    assert len(esc02.contact) == 2
    assert esc02.header("C%6Fntact") == "<sip:alias2@host2.example.com>"


def test_rfc2543_request_without_branch_or_max_forwards() -> None:
    message = parse_message(torture("inv2543"))
    assert isinstance(message, SipRequest)
    assert message.max_forwards is None
    assert message.top_via.branch is None
    assert message.from_.tag is None
    assert message.to.params.get("user") == "phone"  # addr-spec: ';user' is a header param


def test_other_schemes_parse_as_absolute_uris() -> None:
    message = parse_message(torture("unksm2"))
    assert message.to.uri == AbsoluteUri("isbn", "2983792873")
    assert message.contact == (Address(uri=AbsoluteUri("name", "John_Smith")),)
    unkscm = parse_message(torture("unkscm"))
    assert isinstance(unkscm, SipRequest)
    assert unkscm.uri == AbsoluteUri("nobodyknowsthisscheme", "totallyopaquecontent")


def test_contact_parameter_outside_brackets_belongs_to_the_header() -> None:
    outside = parse_message(torture("cparam01")).contact[0]
    inside = parse_message(torture("cparam02")).contact[0]
    assert outside.params.has("unknownparam")
    assert isinstance(outside.uri, SipUri) and not outside.uri.params.has("unknownparam")
    assert isinstance(inside.uri, SipUri) and inside.uri.params.has("unknownparam")


def test_responses_with_odd_reason_phrases() -> None:
    empty = parse_message(torture("noreason"))
    assert isinstance(empty, SipResponse)
    assert (empty.status, empty.reason) == (100, "")
    odd = parse_message(torture("unreason"))
    assert isinstance(odd, SipResponse)
    assert odd.status == 200
    assert odd.reason.startswith("= 2**3 * 5**2 ")


def test_semicolon_and_list_headers() -> None:
    message = parse_message(torture("semiuri"))
    assert isinstance(message, SipRequest) and isinstance(message.uri, SipUri)
    assert message.uri.user == "user;par=u%40example.net"
    assert message.header_values("Accept") == (
        "application/sdp", "application/pkcs7-mime", "multipart/mixed",
        "multipart/signed", "message/sip", "message/sipfrag",
    )  # fmt: skip
