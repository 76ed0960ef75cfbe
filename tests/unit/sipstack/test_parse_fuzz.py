"""Fuzzing: whatever the bytes, the parser returns a message or raises SipParseError."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from control_plane.sipstack.errors import SipParseError
from control_plane.sipstack.parse import error_reply, parse_message

from .conftest import RFC4475

CORPUS = sorted(path.read_bytes() for path in RFC4475.glob("*.dat"))


def parse_or_typed_error(data: bytes) -> None:
    try:
        message = parse_message(data)
    except SipParseError as error:
        assert error.reason
        assert 400 <= error.status <= 599
        error_reply(data, error)  # must not raise either
    else:
        # Whatever parses must survive its own encoding.
        assert parse_message(message.encode()) == message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    parse_or_typed_error(data)


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.lists(
        st.tuples(st.integers(0, 4000), st.integers(0, 255), st.sampled_from("rid")), max_size=6
    ),
)
def test_mutated_torture_messages(seed: bytes, edits: list[tuple[int, int, str]]) -> None:
    data = bytearray(seed)
    for position, value, kind in edits:
        at = position % (len(data) + 1)
        if kind == "r" and at < len(data):
            data[at] = value
        elif kind == "i":
            data.insert(at, value)
        elif kind == "d" and at < len(data):
            del data[at]
    parse_or_typed_error(bytes(data))


SIP_ALPHABET = st.sampled_from(
    [b"\r\n", b" ", b":", b";", b",", b"<", b">", b'"', b"\\", b"@", b"=", b"%", b"[", b"]",
     b"sip:", b"SIP/2.0", b"Via", b"CSeq", b"To", b"From", b"Call-ID", b"l", b"0", b"9",
     b"INVITE", b"z9hG4bK", b"\t", b"a", b"\r\n\r\n", b"/", b"?"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(SIP_ALPHABET, max_size=80))
def test_sip_shaped_noise(chunks: list[bytes]) -> None:
    parse_or_typed_error(b"".join(chunks))
