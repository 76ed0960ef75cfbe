"""Edge security with real Kamailio nodes: scanners, floods, password guessing, enumeration."""

from __future__ import annotations

import itertools
import time

import pytest

from control_plane.db.credentials import SeatAccount
from control_plane.runtime import probes
from control_plane.topology.model import Role
from tests.conftest import RunningStack
from tests.rawsip import RawSipClient
from tests.support import seat_accounts

_next_host = itertools.count(180)


@pytest.fixture
def hosts(tiers: RunningStack) -> list[str]:
    """Fresh source addresses for one test: bans from other tests never interfere."""
    base = tiers.topo.nodes[0].address.rsplit(".", 1)[0]
    return [f"{base}.{next(_next_host)}" for _ in range(3)]


def _client(source: str, node_addr: str, timeout: float = 1.0) -> RawSipClient:
    return RawSipClient(source, (node_addr, 5060), timeout)


def _registers(source: str, node_addr: str, account: SeatAccount) -> bool:
    """True when ``account`` registers from ``source`` (that source is not banned)."""
    client = _client(source, node_addr)
    try:
        reply = client.register(account.username, account.domain, account.password)
    finally:
        client.close()
    return reply is not None and reply.status == 200


@pytest.mark.parametrize("role", [Role.PROVINCE, Role.CITY, Role.COUNTY])
def test_scanner_user_agent_gets_no_answer(tiers: RunningStack, hosts: list[str],
                                           role: Role) -> None:
    node = tiers.topo.by_role(role)[0]
    client = _client(hosts[0], node.address, timeout=0.5)
    try:
        assert client.request("OPTIONS", "100", "cc.local", user_agent="friendly-scanner") \
            is None
        assert client.request("OPTIONS", "100", "cc.local") is not None
    finally:
        client.close()


def test_flood_from_one_source_is_banned_while_others_still_register(
    tiers: RunningStack, hosts: list[str]
) -> None:
    attacker, seat = hosts[0], hosts[1]
    county = tiers.topo.node("county-1")
    (account,) = seat_accounts(["frank1"])
    tiers.stack.add_seats([account])
    flood = _client(attacker, county.address, timeout=0.5)
    try:
        for i in range(1500):
            flood.request("OPTIONS", f"u{i}", "cc.local", wait=False)
        time.sleep(0.5)
        assert flood.request("OPTIONS", "x", "cc.local") is None, "flooder still answered"
    finally:
        flood.close()
    assert _registers(seat, county.address, account)


def test_password_guessing_is_banned_after_a_bounded_number_of_tries(
    tiers: RunningStack, hosts: list[str]
) -> None:
    guesser, seat = hosts[0], hosts[1]
    (account,) = seat_accounts(["grace1"])
    tiers.stack.add_seats([account])
    county = tiers.topo.node("county-1")
    client = _client(guesser, county.address)
    tries = 0
    try:
        while tries < 20:
            reply = client.register("grace1", "cc.local", f"wrong-{tries}")
            if reply is None:
                break
            assert reply.status == 401
            tries += 1
        assert tries <= 5, f"still answering after {tries} wrong passwords"
        # Banned: even the right password from that address gets silence.
        assert client.register("grace1", "cc.local", account.password) is None
    finally:
        client.close()
    assert _registers(seat, county.address, account)


def test_existing_and_missing_users_get_the_same_answers(
    tiers: RunningStack, hosts: list[str]
) -> None:
    (account,) = seat_accounts(["henry1"])
    tiers.stack.add_seats([account])
    city = tiers.topo.node("city-1")
    answers = {}
    for user, source in (("henry1", hosts[0]), ("nobody-xyz", hosts[1])):
        client = _client(source, city.address)
        try:
            plain = client.request("REGISTER", user, "cc.local")
            wrong = client.register(user, "cc.local", "not-the-password")
        finally:
            client.close()
        assert plain is not None and wrong is not None
        answers[user] = [(r.status, r.reason, sorted(r.headers)) for r in (plain, wrong)]
    assert answers["henry1"] == answers["nobody-xyz"]


def test_a_ban_on_one_core_is_shared_with_the_other(tiers: RunningStack,
                                                    hosts: list[str]) -> None:
    a, b = tiers.topo.by_role(Role.PROVINCE)
    flood = _client(hosts[0], a.address, timeout=0.3)
    try:
        for i in range(1500):
            flood.request("OPTIONS", f"u{i}", "cc.local", wait=False)
    finally:
        flood.close()
    deadline = time.monotonic() + 5
    value = None
    while time.monotonic() < deadline and value is None:
        try:
            value = probes.kamailio_rpc(b.rpc_address, b.http_port, "htable.get",
                                        ["ipban", hosts[0]])
        except probes.RpcError:
            time.sleep(0.2)
    assert value is not None, f"{hosts[0]} banned on {a.name} but not on {b.name}"
