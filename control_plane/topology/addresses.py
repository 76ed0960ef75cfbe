"""Loopback ranges for stacks that must not collide with a running demo or each other."""

from __future__ import annotations

import random
import secrets

from control_plane.runtime.supervisor import PortClaim, check_port_free

_taken: set[str] = set()


def free_prefix(hosts: int = 8) -> str:
    """A ``127.a.b`` range of this process's own, away from the demo's ``127.0.x``.

    The first ``hosts`` addresses must have SIP port 5060 free, so a test never collides
    with a running demo, another test run, or a test of this run.
    """
    rng = random.Random(secrets.randbits(64))
    for _ in range(200):
        prefix = f"127.{rng.randint(100, 250)}.{rng.randint(0, 255)}"
        if prefix in _taken:
            continue
        claims = [PortClaim("udp", f"{prefix}.{i}", 5060) for i in range(1, hosts + 1)]
        if all(check_port_free(c) for c in claims):
            _taken.add(prefix)
            return prefix
    raise RuntimeError("no free loopback range found")
