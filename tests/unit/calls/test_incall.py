"""Hold and resume read and write the SDP direction attribute (control_plane/calls/incall.py)."""

from __future__ import annotations

import pytest

from control_plane.calls.incall import sdp_direction, with_direction

HEAD = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
AUDIO = "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"


@pytest.mark.parametrize("direction", ["sendrecv", "sendonly", "recvonly", "inactive"])
def test_the_direction_attribute_is_read(direction: str) -> None:
    assert sdp_direction(f"{HEAD}{AUDIO}a={direction}\r\na=ptime:20\r\n") == direction
    assert sdp_direction(f"{HEAD}{AUDIO}a={direction}\n".replace("\r\n", "\n")) == direction


def test_no_direction_attribute_means_sendrecv() -> None:
    assert sdp_direction(HEAD + AUDIO) == "sendrecv"
    assert sdp_direction("") == "sendrecv"


def test_lookalike_attributes_are_not_directions() -> None:
    assert sdp_direction(f"{HEAD}{AUDIO}a=sendonlyx\r\nx=a=inactive\r\n") == "sendrecv"


def test_the_first_direction_wins() -> None:
    sdp = f"{HEAD}{AUDIO}a=sendonly\r\nm=video 5000 RTP/AVP 96\r\na=inactive\r\n"
    assert sdp_direction(sdp) == "sendonly"


def test_with_direction_replaces_every_direction_and_keeps_crlf() -> None:
    sdp = f"{HEAD}{AUDIO}a=sendrecv\r\na=ptime:20\r\nm=video 0 RTP/AVP 96\r\na=sendrecv\r\n" \
          "a=rtcp-mux\r\n"
    held = with_direction(sdp, "inactive")
    assert held == sdp.replace("a=sendrecv", "a=inactive")
    assert sdp_direction(held) == "inactive" and "\n" not in held.replace("\r\n", "")


def test_with_direction_adds_the_attribute_when_there_is_none() -> None:
    held = with_direction(HEAD + AUDIO, "sendonly")
    assert held == f"{HEAD}{AUDIO}a=sendonly\r\n" and sdp_direction(held) == "sendonly"


def test_with_direction_turns_lf_into_crlf() -> None:
    lf = f"{HEAD}{AUDIO}a=recvonly\r\na=ptime:20\r\n".replace("\r\n", "\n")
    assert with_direction(lf, "sendonly") == f"{HEAD}{AUDIO}a=sendonly\r\na=ptime:20\r\n"


def test_with_direction_keeps_the_final_crlf_of_a_last_direction_line() -> None:
    held = with_direction(HEAD + AUDIO, "sendonly")  # as agent_reinvite answers a hold
    assert with_direction(held, "sendrecv") == f"{HEAD}{AUDIO}a=sendrecv\r\n"
