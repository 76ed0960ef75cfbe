"""Calls between seats of different edges, through either core of the pair."""

from __future__ import annotations

import time
from pathlib import Path

from control_plane.runtime import probes
from control_plane.topology.model import Role
from tests.conftest import RunningStack
from tests.support import (
    answering_seat,
    place_calls,
    register_seat,
    seat_accounts,
    seat_ip,
)


def _sip(node_addr: str, port: int = 5060) -> str:
    return f"{node_addr}:{port}"


def test_seat_on_a_county_under_the_province_calls_a_seat_behind_the_city(
    tiers: RunningStack, tmp_path: Path
) -> None:
    alice, bob = seat_accounts(["alice1", "bob1"])
    tiers.stack.add_seats([alice, bob])
    city = tiers.topo.node("city-1")
    county2 = tiers.topo.node("county-2")
    assert set(county2.parents) == {n.name for n in tiers.topo.by_role(Role.PROVINCE)}
    bob_ip, alice_ip = seat_ip(tiers.topo, 131), seat_ip(tiers.topo, 132)
    reg = register_seat(_sip(city.address), bob, bob_ip, tmp_path)
    assert reg.successful == 1, reg.output
    answer = answering_seat(bob_ip, tmp_path, calls=3)
    try:
        calls = place_calls(_sip(county2.address), alice, "bob1", alice_ip, tmp_path, calls=3)
    finally:
        answer.wait(timeout=60)
    assert calls.successful == 3 and calls.failed == 0, calls.output
    assert answer.returncode == 0


def test_registration_on_one_core_is_reachable_through_the_other(
    tiers: RunningStack, tmp_path: Path
) -> None:
    carol, dave = seat_accounts(["carol1", "dave1"])
    tiers.stack.add_seats([carol, dave])
    county = tiers.topo.node("county-1")
    carol_ip, dave_ip = seat_ip(tiers.topo, 141), seat_ip(tiers.topo, 142)
    assert register_seat(_sip(county.address), carol, carol_ip, tmp_path).successful == 1
    # DMQ puts the contact on both cores, whichever one the edge chose.
    for core in tiers.topo.by_role(Role.PROVINCE):
        dump = probes.kamailio_rpc(core.rpc_address, core.http_port, "ul.dump")
        aors = [a["Info"]["AoR"] for a in dump["Domains"][0]["Domain"]["AoRs"]]
        assert "carol1@cc.local" in aors, (core.name, aors)
    # A call sent straight to each core in turn reaches the seat.
    for core in tiers.topo.by_role(Role.PROVINCE):
        answer = answering_seat(carol_ip, tmp_path / core.name, calls=1)
        try:
            result = place_calls(_sip(core.address), dave, "carol1", dave_ip,
                                 tmp_path / core.name)
        finally:
            answer.wait(timeout=60)
        assert result.successful == 1, (core.name, result.output)


def test_unknown_callee_is_a_clean_404(tiers: RunningStack, tmp_path: Path) -> None:
    (erin,) = seat_accounts(["erin1"])
    tiers.stack.add_seats([erin])
    county = tiers.topo.node("county-1")
    result = place_calls(_sip(county.address), erin, "nobody-here", seat_ip(tiers.topo, 151),
                         tmp_path)
    assert result.successful == 0 and "404" in result.output


def test_a_seat_cannot_hold_more_calls_than_its_limit(tiers: RunningStack,
                                                      tmp_path: Path) -> None:
    # The cfg's default SEAT_MAX_CALLS is 4: the fifth simultaneous call is refused with 486
    # by whichever core takes it (the dialog profiles are shared by the pair).
    callee, caller = seat_accounts(["busy-agent", "busy-caller"])
    tiers.stack.add_seats([callee, caller])
    city, county = tiers.topo.node("city-1"), tiers.topo.node("county-1")
    callee_ip, caller_ip = seat_ip(tiers.topo, 191), seat_ip(tiers.topo, 192)
    assert register_seat(_sip(city.address), callee, callee_ip, tmp_path).successful == 1
    answer = answering_seat(callee_ip, tmp_path, calls=4)
    try:
        result = place_calls(_sip(county.address), caller, "busy-agent", caller_ip, tmp_path,
                             calls=5, rate=10, talk_ms=4000)
    finally:
        answer.wait(timeout=60)
    assert result.successful == 4 and result.failed == 1, result.output
    assert "486 Seat Call Limit Reached" in result.output


def test_a_seat_behind_nat_gets_its_media_anchored_at_its_edge(tiers: RunningStack,
                                                                tmp_path: Path) -> None:
    callee, caller = seat_accounts(["nat-agent", "nat-caller"])
    tiers.stack.add_seats([callee, caller])
    city, county = tiers.topo.node("city-1"), tiers.topo.node("county-1")
    callee_ip, caller_ip = seat_ip(tiers.topo, 193), seat_ip(tiers.topo, 194)
    rtp = tiers.topo.rtpengine
    assert register_seat(_sip(city.address), callee, callee_ip, tmp_path).successful == 1

    def anchored() -> list[str]:
        reply = probes.rtpengine_ng(rtp.address, rtp.ng_port, {"command": "list"})
        return [str(c) for c in reply.get("calls", [])]

    before = set(anchored())
    answer = answering_seat(callee_ip, tmp_path, calls=2)
    try:
        # Not behind NAT: the media goes end to end, RTPengine sees nothing.
        plain = place_calls(_sip(county.address), caller, "nat-agent", caller_ip,
                            tmp_path / "plain", talk_ms=1500)
        assert plain.successful == 1, plain.output
        assert set(anchored()) == before
        # Contact names a private address the seat cannot be reached at: NAT. While that
        # call is up, RTPengine holds a session for it.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:
            call = pool.submit(place_calls, _sip(county.address), caller, "nat-agent",
                               caller_ip, tmp_path / "nat", talk_ms=4000,
                               contact_host="192.168.77.10")
            seen: set[str] = set()
            while not call.done() and not seen:
                seen = set(anchored()) - before
                time.sleep(0.1)
            natted = call.result()
    finally:
        answer.wait(timeout=60)
    assert natted.successful == 1, natted.output
    assert seen, "the NATed call's media was not anchored"


def test_a_seat_dials_out_through_a_carrier_that_sees_only_the_core(
    tiers: RunningStack, tmp_path: Path
) -> None:
    import json

    (caller,) = seat_accounts(["out-caller"])
    tiers.stack.add_seats([caller])
    county = tiers.topo.node("county-1")
    carrier = tiers.topo.carriers[0]
    invites = tiers.stack.run_dir / carrier.name / "invites.jsonl"
    result = place_calls(_sip(county.address), caller, "+8657188880000", seat_ip(tiers.topo, 195),
                         tmp_path)
    assert result.successful == 1, result.output
    (seen,) = [json.loads(line) for line in invites.read_text().splitlines()
               if "+8657188880000" in line]
    internal = {n.address for n in tiers.topo.nodes} - {
        n.address for n in tiers.topo.by_role(Role.PROVINCE)}
    # The Call-ID is the phone's own (SIPp writes its address in it); the call controllers
    # make their own toward carriers. Every other line must show the core only.
    shown = [h for h in seen["headers"] if not h.lower().startswith("call-id")] + seen["sdp"]
    text = "\n".join(shown)
    # One Via (the core's), no Record-Route, and no edge or seat address anywhere: the SDP
    # names RTPengine, which the core put in the media path.
    assert seen["vias"] == 1 and seen["record_routes"] == 0, seen
    assert not any(addr in text for addr in internal), text
    assert seat_ip(tiers.topo, 195) not in text, text
    assert f"c=IN IP4 {tiers.topo.rtpengine.address}" in seen["sdp"], seen["sdp"]
