"""The seat registry: events and dumps in, the same seat list out, idempotently."""

from __future__ import annotations

import pytest

from control_plane.sip.evapi import NetstringDecoder, NetstringError, encode_netstring
from control_plane.sip.registry import (
    PresenceEventError,
    SeatRegistry,
    first_hop_edge,
    normalize_aor,
)

EDGES = {"127.0.20.1": "city-1", "127.0.30.1": "county-1"}
PATH = "<sip:127.0.20.1;lr>,<sip:127.0.30.1;lr;received=sip:10.1.1.5:5060>"


def _event(kind: str, aor: str = "sip:s1@cc.local", contact: str = "sip:s1@10.1.1.5:5060"):
    return {"event": kind, "aor": aor, "contact": contact, "path": PATH, "node": "prov-a",
            "user_agent": "phone"}


def test_register_refresh_unregister() -> None:
    reg = SeatRegistry(EDGES)
    assert reg.apply(_event("seat.registered"))
    assert not reg.apply(_event("seat.refreshed"))  # same contact: no change
    (seat,) = reg.seats()
    assert seat.aor == "s1@cc.local" and seat.edge == "county-1"
    assert reg.apply(_event("seat.unregistered"))
    assert reg.seats() == []
    assert not reg.apply(_event("seat.expired"))  # both cores report expiry: second is a no-op


def test_replayed_events_after_a_dump_converge() -> None:
    reg = SeatRegistry(EDGES)
    reg.replace_from_dump({"Domains": []}, "prov-a")  # dump taken after both events below
    reg.apply(_event("seat.registered"))
    reg.apply(_event("seat.unregistered"))
    assert reg.seats() == []


def test_dump_replaces_everything() -> None:
    reg = SeatRegistry(EDGES)
    reg.apply(_event("seat.registered", "sip:old@cc.local", "sip:old@1.2.3.4"))
    dump = {"Domains": [{"Domain": {"AoRs": [{"Info": {"AoR": "s2@cc.local", "Contacts": [
        {"Contact": {"Address": "sip:s2@10.0.0.9:5060", "Path": PATH, "User-Agent": "x"}}]}}]}}]}
    reg.replace_from_dump(dump, "prov-b")
    (seat,) = reg.seats()
    assert (seat.aor, seat.edge, seat.core) == ("s2@cc.local", "county-1", "prov-b")


def test_unregister_all_contacts_with_star() -> None:
    reg = SeatRegistry(EDGES)
    reg.apply(_event("seat.registered", contact="sip:s1@a"))
    reg.apply(_event("seat.registered", contact="sip:s1@b"))
    assert reg.apply(_event("seat.unregistered", contact="*"))
    assert len(reg) == 0


@pytest.mark.parametrize("bad", [{"event": "seat.registered", "contact": "x"},
                                 {"event": "seat.teleported", "aor": "a", "contact": "c"}])
def test_bad_events_are_refused_with_a_reason(bad: dict[str, str]) -> None:
    with pytest.raises(PresenceEventError):
        SeatRegistry().apply(bad)


def test_helpers() -> None:
    assert normalize_aor("<sip:a@b;transport=udp>") == "a@b"
    assert first_hop_edge(PATH, EDGES) == "county-1"
    assert first_hop_edge("", EDGES) == ""


def test_netstrings_across_chunk_boundaries() -> None:
    dec = NetstringDecoder()
    data = encode_netstring(b'{"a":1}') + encode_netstring(b"{}")
    assert dec.feed(data[:5]) == []
    assert dec.feed(data[5:]) == [b'{"a":1}', b"{}"]
    with pytest.raises(NetstringError):
        NetstringDecoder().feed(b"12x:abc")
    with pytest.raises(NetstringError):
        NetstringDecoder().feed(b"3:abc;")
