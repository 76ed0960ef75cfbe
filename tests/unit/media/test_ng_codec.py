"""Pure tests of the ng wire format, the error mapping and the typed results."""

from __future__ import annotations

import json

import pytest

from control_plane.media.ng import _message
from control_plane.media.ng_errors import NgError, NgProtocolError, NgTimeout
from control_plane.media.ng_types import (
    MediaTotals,
    check_result,
    decode_reply,
    encode_request,
    play_result,
    query_result,
    sdp_result,
    split_datagram,
    subscribe_result,
)


def test_request_is_cookie_space_json() -> None:
    data = encode_request("ab12", {"command": "offer", "call-id": "x", "flags": ["a b"]})
    cookie, body = data.split(b" ", 1)
    assert cookie == b"ab12"
    assert json.loads(body) == {"command": "offer", "call-id": "x", "flags": ["a b"]}


@pytest.mark.parametrize("cookie", ["", "a b"])
def test_cookie_with_space_or_empty_is_refused(cookie: str) -> None:
    with pytest.raises(ValueError, match="cookie"):
        encode_request(cookie, {"command": "ping"})


def test_split_keeps_spaces_of_the_body() -> None:
    assert split_datagram(b'c1 {"sdp":"v=0 x"}') == ("c1", b'{"sdp":"v=0 x"}')
    with pytest.raises(ValueError):
        split_datagram(b"nocookie")


def test_reply_not_json_or_without_result_is_a_protocol_error() -> None:
    with pytest.raises(NgProtocolError, match="not JSON"):
        decode_reply("offer", b"d7:result2:oke")  # bencode, not JSON
    with pytest.raises(NgProtocolError, match="not an object"):
        decode_reply("offer", b"[1]")
    with pytest.raises(NgProtocolError, match="no 'result'") as info:
        decode_reply("query", b'{"sdp":"v=0"}')
    assert info.value.command == "query"


def test_error_reason_becomes_ng_error() -> None:
    reply = {"result": "error", "error-reason": "Unknown call-id"}
    with pytest.raises(NgError) as info:
        check_result("query", reply)
    assert info.value.reason == "Unknown call-id"
    assert info.value.command == "query"
    assert info.value.reply == reply


def test_other_refusals_use_the_result_as_reason() -> None:
    with pytest.raises(NgError, match="load limit"):
        check_result("offer", {"result": "load limit"})


def test_ok_and_pong_pass() -> None:
    assert check_result("ping", {"result": "pong"}) == {"result": "pong"}
    assert check_result("delete", {"result": "ok", "warning": "x"})["warning"] == "x"


def test_play_media_without_duration_is_an_error() -> None:
    assert play_result("play media", {"result": "ok", "duration": 1000}).duration_ms == 1000
    with pytest.raises(NgError, match="nothing was played"):
        play_result("play media", {"result": "ok"})


def test_offer_reply_without_sdp_is_a_protocol_error() -> None:
    assert sdp_result("offer", {"result": "ok", "sdp": "v=0\r\n"}).sdp == "v=0\r\n"
    with pytest.raises(NgProtocolError):
        sdp_result("offer", {"result": "ok"})


def test_query_totals_and_missing_counters() -> None:
    reply = {"result": "ok", "created": 7, "tags": {"C": {}, "B": {}},
             "totals": {"RTP": {"packets": 16, "bytes": 1504, "errors": 0},
                        "RTCP": {"packets": 1, "bytes": 80, "errors": 0}}}
    result = query_result(reply)
    assert result.totals == MediaTotals(16, 1504, 0, 1, 80, 0)
    assert result.tags == ("C", "B")
    assert result.created == 7
    assert query_result({"result": "ok"}).totals == MediaTotals()


def test_subscribe_result_needs_sdp_and_to_tag() -> None:
    result = subscribe_result("subscribe request", {
        "result": "ok", "sdp": "v=0", "to-tag": "t1", "from-tags": ["C", "B"]})
    assert (result.sdp, result.to_tag, result.from_tags) == ("v=0", "t1", ("C", "B"))
    with pytest.raises(NgProtocolError):
        subscribe_result("subscribe request", {"result": "ok", "sdp": "v=0"})


def test_message_drops_none_and_extra_wins() -> None:
    message = _message("delete", {"call-id": "x", "from-tag": None},
                       {"codec": {"transcode": ["PCMA"]}})
    assert message == {"command": "delete", "call-id": "x", "codec": {"transcode": ["PCMA"]}}


def test_timeout_names_command_address_and_attempts() -> None:
    exc = NgTimeout("offer", ("127.0.0.9", 2223), 3)
    assert (exc.command, exc.address, exc.attempts) == ("offer", ("127.0.0.9", 2223), 3)
    assert "offer" in str(exc) and "127.0.0.9:2223" in str(exc) and "3 attempt" in str(exc)
