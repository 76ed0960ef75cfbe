"""The controller's SDP: the caller's audio codecs and the placeholder answer (DESIGN §5)."""

from __future__ import annotations

import pytest

from control_plane.calls.sdp import Codec, SdpError, parse_audio, placeholder_answer


def sdp(*lines: str, sep: str = "\r\n") -> str:
    head = ("v=0", "o=- 1 1 IN IP4 198.51.100.7", "s=-", "c=IN IP4 198.51.100.7", "t=0 0")
    return sep.join((*head, *lines)) + sep


def test_static_payload_types_need_no_rtpmap() -> None:
    offer = parse_audio(sdp("m=audio 4000 RTP/AVP 0 8 9 18"))
    assert (offer.port, offer.proto) == (4000, "RTP/AVP")
    assert offer.codecs == (Codec(0, "PCMU", 8000), Codec(8, "PCMA", 8000),
                            Codec(9, "G722", 8000), Codec(18, "G729", 8000))
    assert offer.telephone_event is None


def test_dynamic_payload_types_come_from_rtpmap_with_their_fmtp() -> None:
    offer = parse_audio(sdp(
        "m=audio 49170 RTP/SAVP 111 0 101",
        "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv"))
    assert offer.codecs == (Codec(111, "opus", 48000, "minptime=10;useinbandfec=1"),
                            Codec(0, "PCMU", 8000),
                            Codec(101, "telephone-event", 8000, "0-16"))
    assert offer.proto == "RTP/SAVP"
    assert offer.telephone_event == Codec(101, "telephone-event", 8000, "0-16")
    assert [c.payload for c in offer.playable] == [111, 0]


def test_dynamic_types_without_an_rtpmap_are_dropped() -> None:
    offer = parse_audio(sdp("m=audio 4000 RTP/AVP 96 0 97", "a=rtpmap:0 PCMU/8000",
                            "a=rtpmap:97 iLBC/8000"))
    assert [(c.payload, c.name) for c in offer.codecs] == [(0, "PCMU"), (97, "iLBC")]
    assert offer.playable == (Codec(0, "PCMU", 8000),)


def test_lf_line_ends_and_codec_name_case_are_accepted() -> None:
    offer = parse_audio(sdp("m=audio 4000 RTP/AVP 8 101", "a=rtpmap:8 pcma/8000",
                            "a=rtpmap:101 Telephone-Event/8000", sep="\n"))
    assert [c.name for c in offer.playable] == ["pcma"]
    assert offer.telephone_event is not None and offer.telephone_event.payload == 101


def test_only_the_first_audio_stream_counts() -> None:
    offer = parse_audio(sdp(
        "m=video 5000 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 profile-level-id=42",
        "m=audio 4000 RTP/AVP 8 96", "a=rtpmap:96 opus/48000/2",
        "m=audio 6000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000",
        "m=video 7000 RTP/AVP 97", "a=rtpmap:97 VP8/90000"))
    # the video section's rtpmap 96 (H264) does not leak into the audio stream's 96
    assert offer.port == 4000
    assert offer.codecs == (Codec(8, "PCMA", 8000), Codec(96, "opus", 48000))


def test_session_level_attributes_are_not_the_streams() -> None:
    offer = parse_audio(sdp("a=rtpmap:96 opus/48000/2", "m=audio 4000 RTP/AVP 0 96"))
    assert offer.codecs == (Codec(0, "PCMU", 8000),)


def test_a_port_count_is_accepted() -> None:
    assert parse_audio(sdp("m=audio 4000/2 RTP/AVP 0")).port == 4000


@pytest.mark.parametrize(("body", "why"), [
    ("", "no v= line"), ("hello", "no v= line"), ("INVITE sip:x SIP/2.0", "no v= line"),
    (sdp(), "no audio stream"), (sdp("m=video 5000 RTP/AVP 96", "a=rtpmap:96 H264/90000"),
                                 "no audio stream"),
    (sdp("m=audio 4000 RTP/AVP 0 x"), "no audio stream"),
    (sdp("m=audio four RTP/AVP 0"), "no audio stream"),
    (sdp("m=audio 4000 RTP/AVP"), "no audio stream"),
    (sdp("m=audio 4000 RTP/AVP 96 97"), "no codec we know"),
    ("\x00\xff v=0", "no v= line"),
])
def test_unusable_bodies_say_why(body: str, why: str) -> None:
    with pytest.raises(SdpError, match=why):
        parse_audio(body)


CALLER = sdp("m=audio 4000 RTP/AVP 97 8 111 0 18 101",
             "a=rtpmap:97 iLBC/8000", "a=rtpmap:111 opus/48000/2",
             "a=fmtp:111 useinbandfec=1", "a=rtpmap:101 telephone-event/8000",
             "a=fmtp:101 0-15", "a=ptime:20")


def test_placeholder_keeps_the_callers_playable_codecs_in_order_with_telephone_event() -> None:
    answer = placeholder_answer(parse_audio(CALLER), 1234, "192.0.2.10")
    lines = answer.split("\r\n")
    assert "m=audio 9 RTP/AVP 8 111 0 18 101" in lines
    assert [ln for ln in lines if ln.startswith(("a=rtpmap", "a=fmtp"))] == [
        "a=rtpmap:8 PCMA/8000", "a=rtpmap:111 opus/48000", "a=fmtp:111 useinbandfec=1",
        "a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000",
        "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
    assert "iLBC" not in answer and lines[-2] == "a=sendrecv" and answer.endswith("\r\n")


def test_placeholder_carries_the_address_and_session_id() -> None:
    answer = placeholder_answer(parse_audio(CALLER), 777, "192.0.2.10")
    assert "o=cc 777 777 IN IP4 192.0.2.10\r\n" in answer
    assert "c=IN IP4 192.0.2.10\r\n" in answer and "0.0.0.0" not in answer


def test_placeholder_round_trips_through_the_parser() -> None:
    offer = parse_audio(CALLER)
    again = parse_audio(placeholder_answer(offer, 1, "192.0.2.10"))
    assert again.port == 9 and again.proto == offer.proto
    assert [c.payload for c in again.codecs] == [8, 111, 0, 18, 101]


def test_placeholder_without_telephone_event_offers_none() -> None:
    answer = placeholder_answer(parse_audio(sdp("m=audio 4000 RTP/AVP 0")), 1, "192.0.2.10")
    assert "m=audio 9 RTP/AVP 0\r\n" in answer and "telephone-event" not in answer


@pytest.mark.parametrize("media", [
    ("m=audio 4000 RTP/AVP 97 101", "a=rtpmap:97 iLBC/8000",
     "a=rtpmap:101 telephone-event/8000"),
    ("m=audio 4000 RTP/AVP 3", "a=rtpmap:3 GSM/8000"),
    ("m=audio 4000 RTP/AVP 98", "a=rtpmap:98 speex/16000"),
])
def test_placeholder_refuses_a_caller_with_no_playable_codec(media: tuple[str, ...]) -> None:
    with pytest.raises(SdpError, match="no codec we can play prompts in"):
        placeholder_answer(parse_audio(sdp(*media)), 1, "192.0.2.10")
