"""The mixing bridge alone on loopback: real UDP sockets, tone parties, its 20 ms clock.

No RTPengine here (test_supervision.py has it): this pins what the bridge itself sends —
one stream per participant with its own SSRC, seq and timestamps, 50 packets a second, the
"hears" matrix, silence for whoever hears nobody — and that bursty arrival (a jittery
network) still gives a continuous mix.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from control_plane.media.mixer import g711
from control_plane.media.mixer.bridge import MixingBridge
from control_plane.media.mixer.frames import parse_rtp
from control_plane.media.mixer.participant import Participant
from tests.callers import until
from tests.e2e.tones import ToneParty, tone_frames

HOST = "127.0.0.1"
TONES = {"caller": 450.0, "agent": 850.0, "supervisor": 1350.0}
WHISPER = {"caller": ["agent"], "agent": ["caller", "supervisor"],
           "supervisor": ["caller", "agent"]}


class Recorder(ToneParty):
    """A tone party that also keeps every RTP header it receives."""

    def __init__(self, freq: float) -> None:
        super().__init__(freq=freq)
        self.headers: list[tuple[int, int, int, bool]] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        super().datagram_received(data, addr)
        packet = parse_rtp(data)
        self.headers.append((packet.seq, packet.timestamp, packet.ssrc, packet.marker))


@pytest.fixture
async def mixed() -> AsyncIterator[tuple[MixingBridge, dict[str, Recorder]]]:
    bridge = MixingBridge(HOST)
    parties: dict[str, Recorder] = {}
    loop = asyncio.get_running_loop()
    try:
        for name, freq in TONES.items():
            port = await bridge.add(name, codec=g711.PCMU)
            _, party = await loop.create_datagram_endpoint(
                lambda f=freq: Recorder(f), local_addr=(HOST, 0))  # type: ignore[misc]
            parties[name] = party
            party.start((HOST, port))
        bridge.set_hears(WHISPER)
        bridge.start()
        yield bridge, parties
    finally:
        for party in parties.values():
            party.stop()
        await bridge.close()


async def test_whisper_matrix_streams_and_clock(
    mixed: tuple[MixingBridge, dict[str, Recorder]],
) -> None:
    bridge, p = mixed
    await until(lambda: all(len(x.window) == x.window.maxlen for x in p.values()), within=5)
    await asyncio.sleep(0.5)
    assert p["agent"].hears(TONES["caller"]) and p["agent"].hears(TONES["supervisor"])
    assert p["supervisor"].hears(TONES["caller"]) and p["supervisor"].hears(TONES["agent"])
    assert p["caller"].hears(TONES["agent"]) and not p["caller"].hears(TONES["supervisor"])
    assert not any(party.hears(TONES[name]) for name, party in p.items())  # no own echo

    started, first = time.monotonic(), {n: len(x.headers) for n, x in p.items()}
    await asyncio.sleep(2.0)
    elapsed = time.monotonic() - started
    for name, party in p.items():
        rate = (len(party.headers) - first[name]) / elapsed
        assert 45 <= rate <= 55, f"{name}: {rate:.1f} packets/s"
        seqs, stamps, ssrcs, marks = zip(*party.headers, strict=True)
        assert len(set(ssrcs)) == 1 and marks[0] and not any(marks[1:])
        assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
        assert all((b - a) % 2**32 % 160 == 0 and (b - a) % 2**32 >= 160
                   for a, b in itertools.pairwise(stamps))
    assert len({x.headers[0][2] for x in p.values()}) == 3  # one SSRC per stream

    bridge.set_hears({"caller": ["agent"], "agent": ["caller"]})  # the supervisor leaves
    p["supervisor"].clear()
    await until(lambda: len(p["supervisor"].window) == p["supervisor"].window.maxlen)
    silence = g711.decode(g711.PCMU, b"".join(p["supervisor"].window))
    assert np.abs(silence).max() == 0  # it hears nobody: silence, still 50 packets/s
    with pytest.raises(ValueError, match="not in the mix"):
        bridge.set_hears({"caller": ["nobody"]})


async def test_bursty_arrival_is_smoothed_by_the_jitter_buffer() -> None:
    bridge = MixingBridge(HOST)
    loop = asyncio.get_running_loop()
    in_port = await bridge.add("bursty", codec=g711.PCMA)
    await bridge.add("listener", codec=g711.PCMU)
    _, listener = await loop.create_datagram_endpoint(lambda: Recorder(0.0),
                                                      local_addr=(HOST, 0))
    assert listener.transport is not None
    bridge.connect("listener", listener.transport.get_extra_info("sockname")[:2])
    bridge.set_hears({"listener": ["bursty"]})
    sender, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                    local_addr=(HOST, 0))
    bridge.start()
    try:
        source = Participant("source", g711.PCMA)  # only to build well-formed RTP
        sample, due = 0, loop.time()
        for _ in range(50):  # 3 s of audio, three packets at once every 60 ms
            for _ in range(3):
                pcm = g711.decode(g711.PCMU, tone_frames(850.0, sample))
                sender.sendto(source.packet(pcm), (HOST, in_port))
                sample += 160
            due += 0.06
            await asyncio.sleep(max(0.0, due - loop.time()))
        stats = bridge.participants["bursty"]
        assert stats.received == 150
        assert stats.underruns <= 2, stats  # the 2-frame prebuffer covers a 60 ms gap
        assert listener.hears(850.0)
    finally:
        sender.close()
        listener.stop()
        await bridge.close()
