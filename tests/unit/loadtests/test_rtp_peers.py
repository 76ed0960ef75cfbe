"""The RTP plateau's pure parts: packets, the counting window, commands, RTPengine's view."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.bench_call import caller_scenario
from loadtests.bench_rtp import loss_pct, media_rows, port_shards, queue_overruns, stream_view
from loadtests.rtp_counts import (
    PeerError,
    Stream,
    Window,
    decode_tick,
    encode_tick,
    lost_by_second,
    packet_tick,
    parse_command,
    rtp_packet,
    totals,
)
from loadtests.rtp_peers import open_sockets


def test_a_packet_carries_its_tick_in_the_payload_past_the_16_bit_sequence() -> None:
    for tick in (0, 1, 65535, 65536, 1_000_000):
        packet = rtp_packet(tick)
        assert len(packet) == 12 + 160
        assert packet_tick(packet) == tick
    assert packet_tick(b"\x80\x00") == -1  # too short
    rewritten = bytearray(rtp_packet(7))
    rewritten[2:12] = bytes(10)  # RTPengine renumbered it (after music on hold): still ours
    assert packet_tick(bytes(rewritten)) == 7
    foreign = bytearray(rtp_packet(7))
    foreign[12:16] = b"\xff\xff\xff\xff"  # a payload without the marker: not ours
    assert packet_tick(bytes(foreign)) == -1


def ulaw_round_trip(data: bytes) -> bytes:
    """What RTPengine's PCMU decode + re-encode (in-band DTMF detection) does to a payload:
    u-law's negative zero 0x7F comes back as 0xFF, every other byte as it was."""
    return bytes(0xFF if b == 0x7F else b for b in data)


def test_a_tick_survives_pcmu_being_decoded_and_encoded_again() -> None:
    for tick in (0x7F, 0x17F, 383, 0x7F7F, 2**35 - 1):
        packet = rtp_packet(tick)
        assert 0x7F not in packet[12:]
        assert packet_tick(packet[:12] + ulaw_round_trip(packet[12:])) == tick
    assert decode_tick(bytes(5)) == -1  # top bits clear: not a tick of ours
    assert decode_tick(encode_tick(5)[:4]) == -1


def test_the_window_holds_ticks_from_mark_to_stop_only() -> None:
    window = Window()
    assert not window.holds(0)  # not opened yet
    window.start = 10
    assert window.holds(10) and window.holds(10_000) and not window.holds(9)
    window.end = 20
    assert window.holds(19) and not window.holds(20)


def test_totals_count_loss_end_to_end_and_name_the_worst_calls() -> None:
    streams = {20000: Stream(("10.0.0.1", 30000), sent=600, received=600,
                             window_sent=500, window_received=500),
               20002: Stream(("10.0.0.1", 30004), sent=600, received=580,
                             window_sent=500, window_received=480),
               20004: Stream(("10.0.0.1", 30008), sent=600, received=0,
                             window_sent=500, window_received=0)}
    report = totals(streams, window=Window(start=100, end=600), late=3,
                    skipped=0)
    assert report.streams == 3 and report.two_way == 2
    assert report.window_sent == 1500 and report.window_received == 980
    assert report.loss_pct == pytest.approx(34.667)
    assert report.streams_with_loss == 2
    assert report.worst[0] == (20004, 500, 0)  # the call that lost most comes first
    assert report.window_ticks == 500
    assert report.lost_by_second == {}  # no missing ticks recorded in these streams
    assert report.window_pps_per_stream == 50.0


def test_totals_of_nothing_sent_is_full_loss_not_a_division_by_zero() -> None:
    report = totals({}, window=Window(), late=0, skipped=0)
    assert report.loss_pct == 100.0 and report.two_way == 0 and report.window_ticks == 0


def test_commands_are_checked_with_stable_error_ids() -> None:
    assert parse_command("send 20000 10.0.0.1 30000\n") == ("send",
                                                            ["20000", "10.0.0.1", "30000"])
    assert parse_command("mark") == ("mark", [])
    assert parse_command("   ") == ("", [])
    with pytest.raises(PeerError) as unknown:
        parse_command("launch 1")
    assert unknown.value.error_id == "rtp_peers.unknown_command"
    with pytest.raises(PeerError) as arity:
        parse_command("send 20000 10.0.0.1")
    assert arity.value.error_id == "rtp_peers.bad_arguments"
    with pytest.raises(PeerError) as port:
        parse_command("send x 10.0.0.1 30000")
    assert port.value.error_id == "rtp_peers.bad_arguments"


@pytest.mark.parametrize(("base", "count"), [(20001, 1), (80, 1), (65000, 400), (20000, 0)])
def test_bad_port_ranges_are_refused_before_any_socket_opens(base: int, count: int) -> None:
    with pytest.raises(PeerError) as err:
        open_sockets("127.0.0.1", base, count)
    assert err.value.error_id == "rtp_peers.bad_ports"


QUERY = {"tags": {
    "caller": {"medias": [{"streams": [
        {"local port": 31000, "endpoint": {"port": 20002}, "flags": ["RTP", "filled"],
         "stats": {"packets": 700}},
        {"local port": 31001, "endpoint": {"port": 20003}, "flags": ["RTCP", "filled"],
         "stats": {"packets": 0}}]}]},
    "seat": {"medias": [{"streams": [
        {"local port": 31002, "endpoint": {"port": 40000}, "flags": ["RTP"],
         "stats": {"packets": 690}}]}]}}}


def test_rtpengines_query_gives_each_partys_rtp_stream() -> None:
    caller = stream_view(QUERY, "caller")
    assert caller is not None
    assert (caller.local_port, caller.peer_port, caller.packets) == (31000, 20002, 700)
    seat = stream_view(QUERY, "seat")
    assert seat is not None and seat.packets == 690
    assert stream_view(QUERY, "nobody") is None


def test_loss_pct() -> None:
    assert loss_pct(1000, 990) == 1.0
    assert loss_pct(0, 0) == 100.0


def test_media_rows_give_every_call_an_even_port(tmp_path: Path) -> None:
    rows = media_rows(tmp_path / "m.csv", base=20000, count=3).read_text().splitlines()
    assert rows == ["SEQUENTIAL", "20000", "20002", "20004"]


def test_the_plateaus_caller_offers_its_own_port_the_ramps_sipps(tmp_path: Path) -> None:
    own = caller_scenario(tmp_path, hold_ms=5000, own_port=True).read_text()
    assert "m=audio [field0] RTP/AVP" in own
    assert "@MEDIA_PORT@" not in own and "@RTP_ACTION@" not in own and "@HOLD_MS@" not in own
    ramp = caller_scenario(tmp_path, hold_ms=1000).read_text()
    assert "m=audio [media_port] RTP/AVP" in ramp and "play_pcap_audio" not in ramp


def test_port_shards_cover_every_port_once_in_at_most_n_runs() -> None:
    shards = port_shards(20000, 301, 2)
    assert [(r.start, len(r)) for r in shards] == [(20000, 151), (20302, 150)]
    assert sorted(p for r in shards for p in r) == list(range(20000, 20602, 2))
    assert port_shards(20000, 1, 4) == [range(20000, 20002, 2)]


def test_lost_packets_are_placed_in_the_second_of_the_window_they_were_sent() -> None:
    streams = {20000: Stream(("10.0.0.1", 30000), missing={100, 149, 150}),
               20002: Stream(("10.0.0.1", 30004), missing={299})}
    window = Window(start=100, end=300)
    assert lost_by_second(streams.values(), window) == {0: 2, 1: 1, 3: 1}


def test_rtpengine_queue_overruns_are_counted_from_its_log(tmp_path: Path) -> None:
    log = tmp_path / "rtpengine.log"
    assert queue_overruns(log) == (0, 0)  # no log yet
    log.write_text(
        "[1.0] ERR: [c1 port 31000]: [core] Too many packets in UDP receive queue (more than"
        " 50), aborting loop. Dropped packets possible\n"
        "[1.1] ERR: [c1 port 31000]: [core] UDP receive queue exceeded 5 times: discarding"
        " packet\n[1.2] NOTICE: [c2]: [core] Turning on call recording.\n")
    assert queue_overruns(log) == (1, 1)
