"""Which control-plane replica each locust user of ``make bench-api`` talks to, and how an
agent's desk login answer is judged.

The bench passes every replica's base URL in ``BENCH_API_HOSTS`` (comma-separated);
locust's users take them in turn, so N users are spread evenly over the replicas. Kept
apart from ``locust_api.py`` so the bench can import it without importing locust (which
patches the standard library with gevent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

HOSTS_ENV = "BENCH_API_HOSTS"


class BadHosts(ValueError):
    """``BENCH_API_HOSTS`` holds something that is not a list of http(s) base URLs."""


def hosts_from(value: str | None, default: str | None) -> list[str]:
    """The base URLs in ``value`` (comma-separated, trailing slashes dropped), else
    ``[default]`` (locust's ``--host``); an error naming the entry at fault otherwise."""
    if value is None or not value.strip():
        if not default:
            raise BadHosts(f"[bench-api.hosts] neither {HOSTS_ENV} nor --host is set")
        return [default.rstrip("/")]
    hosts = [h.strip().rstrip("/") for h in value.split(",")]
    for h in hosts:
        if not h.startswith(("http://", "https://")) or h in ("http:/", "https:/"):
            raise BadHosts(f"[bench-api.hosts] {HOSTS_ENV} entry {h!r} is not an http(s) "
                           "base URL")
    return hosts


def host_for(index: int, hosts: Sequence[str]) -> str:
    """The replica of the ``index``-th user (from 1): the replicas in turn."""
    if not hosts:
        raise BadHosts("[bench-api.hosts] no replica to spread users over")
    if index < 1:
        raise ValueError(f"[bench-api.hosts] user numbers start at 1, got {index}")
    return hosts[(index - 1) % len(hosts)]


def desk_login_ok(status: int, body: Mapping[str, Any] | None) -> bool:
    """True when ``POST /api/v1/agent/login`` left the agent logged in: 200, or the ACD's
    409 ``agent.action_refused`` with refusal ``already_logged_in`` (a replica holding the
    center logs the center file's agents in when it takes the center)."""
    if status == 200:
        return True
    error = (body or {}).get("error")
    return (status == 409 and isinstance(error, Mapping)
            and error.get("id") == "agent.action_refused"
            and isinstance(error.get("details"), Mapping)
            and error["details"].get("refusal") == "already_logged_in")
