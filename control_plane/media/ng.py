"""Asyncio client of RTPengine's ng control protocol (JSON flavour), one method per command.

Keyword arguments map to the documented ng keys (``call_id`` → ``call-id``, ``from_tag`` →
``from-tag``, ``repeat_times`` → ``repeat-times``…); ``extra`` passes any other key verbatim
(e.g. ``{"codec": {"transcode": ["PCMA"]}}``). The sequence these commands are used in, and
the RTPengine 10.5 behaviour behind the defaults, is DESIGN §5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from control_plane.media.ng_errors import NgProtocolError
from control_plane.media.ng_transport import NgTransport, RoundTripHook
from control_plane.media.ng_types import (
    PlayResult,
    QueryResult,
    Reply,
    SdpResult,
    SubscribeResult,
    play_result,
    query_result,
    sdp_result,
    subscribe_result,
)

# Every offer/answer: trust the SDP's address, but latch onto where media really comes from
# (NAT), and rewrite o=/c= so the far side sees RTPengine (DESIGN §5).
DEFAULT_FLAGS: tuple[str, ...] = ("trust-address", "port-latching")
DEFAULT_REPLACE: tuple[str, ...] = ("origin", "session-connection")


def _message(command: str, params: Mapping[str, Any], extra: Mapping[str, Any] | None) -> Reply:
    """The request dict: ``command``, the non-None params, then ``extra`` (which wins)."""
    message: Reply = {"command": command}
    message.update((key, value) for key, value in params.items() if value is not None)
    if extra:
        message.update(extra)
    return message


class NgClient:
    """One RTPengine's ng socket; use as ``async with NgClient((host, port)) as ng:``."""

    def __init__(
        self, address: tuple[str, int], *, timeout: float = 1.0, retries: int = 2,
        on_round_trip: RoundTripHook | None = None, local_address: tuple[str, int] | None = None,
    ) -> None:
        self.transport = NgTransport(
            address, timeout=timeout, retries=retries, on_round_trip=on_round_trip,
            local_address=local_address,
        )

    async def start(self) -> None:
        """Open the socket."""
        await self.transport.start()

    def close(self) -> None:
        """Close the socket; pending requests fail with ``NgClosed``."""
        self.transport.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def request(
        self, command: str, params: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Any ng command; ``params`` use ng key names, None values are left out."""
        return await self.transport.request(command, _message(command, params or {}, extra))

    async def ping(self) -> None:
        """``ping``: raises unless RTPengine answers ``pong``."""
        reply = await self.request("ping")
        if reply.get("result") != "pong":
            raise NgProtocolError("ping", f"result {reply.get('result')!r}, not 'pong'")

    async def offer(
        self, *, call_id: str, from_tag: str, sdp: str, to_tag: str | None = None,
        flags: Sequence[str] = DEFAULT_FLAGS, replace: Sequence[str] = DEFAULT_REPLACE,
        extra: Mapping[str, Any] | None = None,
    ) -> SdpResult:
        """``offer`` (``call-id``, ``from-tag``, ``to-tag``, ``sdp``, ``flags``, ``replace``).

        The returned SDP goes to the far side (tag B); with ``to_tag`` it re-offers to a
        known far side (an agent leg on the one fixed tag).
        """
        params = {"call-id": call_id, "from-tag": from_tag, "to-tag": to_tag, "sdp": sdp,
                  "flags": list(flags), "replace": list(replace)}
        return sdp_result("offer", await self.request("offer", params, extra))

    async def answer(
        self, *, call_id: str, from_tag: str, to_tag: str, sdp: str,
        flags: Sequence[str] = DEFAULT_FLAGS, replace: Sequence[str] = DEFAULT_REPLACE,
        extra: Mapping[str, Any] | None = None,
    ) -> SdpResult:
        """``answer`` with the far side's SDP; the returned SDP goes to the offerer (caller)."""
        params = {"call-id": call_id, "from-tag": from_tag, "to-tag": to_tag, "sdp": sdp,
                  "flags": list(flags), "replace": list(replace)}
        return sdp_result("answer", await self.request("answer", params, extra))

    async def delete(
        self, *, call_id: str, from_tag: str | None = None, to_tag: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> Reply:
        """``delete`` the call (or one leg with ``from-tag``/``to-tag``)."""
        params = {"call-id": call_id, "from-tag": from_tag, "to-tag": to_tag}
        return await self.request("delete", params, extra)

    async def query(self, *, call_id: str, from_tag: str | None = None) -> QueryResult:
        """``query``: the call's media totals (for the CDR) and its full state in ``raw``."""
        return query_result(
            await self.request("query", {"call-id": call_id, "from-tag": from_tag})
        )

    async def play_media(
        self, *, call_id: str, from_tag: str, file: str, repeat_times: int | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> PlayResult:
        """``play media`` of ``file`` to the party ``from-tag`` (replaces a current play).

        ``repeat-times`` repeats the file; the result's ``duration_ms`` is one repetition.
        A reply without ``duration`` (nothing played) raises ``NgError``.
        """
        params = {"call-id": call_id, "from-tag": from_tag, "file": file,
                  "repeat-times": repeat_times}
        return play_result("play media", await self.request("play media", params, extra))

    async def stop_media(self, *, call_id: str, from_tag: str) -> Reply:
        """``stop media``: end the playback to ``from-tag``."""
        return await self.request("stop media", {"call-id": call_id, "from-tag": from_tag})

    async def play_dtmf(
        self, *, call_id: str, from_tag: str, code: str, duration_ms: int | None = None,
        volume: int | None = None,
    ) -> Reply:
        """``play DTMF`` ``code`` (a digit, ``*``, ``#``, A–D) into the media of ``from-tag``.

        Needs media already flowing from that party (RTPengine: "No SSRC context").
        """
        params = {"call-id": call_id, "from-tag": from_tag, "code": code,
                  "duration": duration_ms, "volume": volume}
        return await self.request("play DTMF", params)

    async def start_recording(
        self, *, call_id: str, extra: Mapping[str, Any] | None = None,
    ) -> Reply:
        """``start recording`` (pcap method: what each side sent, not the prompts)."""
        return await self.request("start recording", {"call-id": call_id}, extra)

    async def stop_recording(self, *, call_id: str) -> Reply:
        """``stop recording``."""
        return await self.request("stop recording", {"call-id": call_id})

    async def block_dtmf(
        self, *, call_id: str, from_tag: str | None = None, dtmf_security: str | None = None,
    ) -> Reply:
        """``block DTMF``; ``DTMF-security`` (e.g. ``silence``) hides digits, still reported."""
        params = {"call-id": call_id, "from-tag": from_tag, "DTMF-security": dtmf_security}
        return await self.request("block DTMF", params)

    async def unblock_dtmf(
        self, *, call_id: str, from_tag: str | None = None, detect_dtmf: bool = True,
        delay_buffer: int | None = 0,
    ) -> Reply:
        """``unblock DTMF``; ``detect-DTMF`` turns on in-band detection (10.5 reads it here)."""
        params = {"call-id": call_id, "from-tag": from_tag, "delay-buffer": delay_buffer,
                  "flags": ["detect-DTMF"] if detect_dtmf else None}
        return await self.request("unblock DTMF", params)

    async def block_media(self, *, call_id: str, from_tag: str | None = None) -> Reply:
        """``block media``: drop what ``from-tag`` sends (or the whole call)."""
        return await self.request("block media", {"call-id": call_id, "from-tag": from_tag})

    async def unblock_media(self, *, call_id: str, from_tag: str | None = None) -> Reply:
        """``unblock media``."""
        return await self.request("unblock media", {"call-id": call_id, "from-tag": from_tag})

    async def silence_media(self, *, call_id: str, from_tag: str | None = None) -> Reply:
        """``silence media``: replace what ``from-tag`` sends with silence."""
        return await self.request("silence media", {"call-id": call_id, "from-tag": from_tag})

    async def subscribe_request(
        self, *, call_id: str, from_tags: Sequence[str], flags: Sequence[str] = (),
    ) -> SubscribeResult:
        """``subscribe request`` (``from-tags``): a send-only SDP of those parties' media."""
        params = {"call-id": call_id, "from-tags": list(from_tags),
                  "flags": list(flags) or None}
        return subscribe_result(
            "subscribe request", await self.request("subscribe request", params)
        )

    async def subscribe_answer(
        self, *, call_id: str, to_tag: str, sdp: str,
        flags: Sequence[str] = ("allow transcoding",),
    ) -> Reply:
        """``subscribe answer`` with the subscriber's SDP, on the request's ``to-tag``."""
        params = {"call-id": call_id, "to-tag": to_tag, "sdp": sdp, "flags": list(flags)}
        return await self.request("subscribe answer", params)

    async def unsubscribe(self, *, call_id: str, to_tag: str) -> Reply:
        """``unsubscribe`` the subscription ``to-tag``."""
        return await self.request("unsubscribe", {"call-id": call_id, "to-tag": to_tag})

    async def statistics(self) -> Reply:
        """``statistics``: RTPengine-wide counters (``statistics`` key of the reply)."""
        return await self.request("statistics")
