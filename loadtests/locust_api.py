"""Locust users for ``make bench-api``: agents working the agent-state endpoints and
reading live figures, supervisors reading the wallboard figures.

Each user logs in once (``agentN`` / ``sup``, password ``bench``, tenant ``bench``; the
number comes from a shared counter, so N users need N agents seeded). Names group the
requests by endpoint in locust's statistics. With ``BENCH_API_HOSTS`` (several replicas'
base URLs, see ``bench_api_hosts.py``) agents and supervisors each take the replicas in
turn; without it every user talks to ``--host``.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any

from locust import FastHttpUser, between, task
from locust.env import Environment

from loadtests.bench_api_hosts import HOSTS_ENV, desk_login_ok, host_for, hosts_from

_NEXT = itertools.count(1)
_NEXT_SUPERVISOR = itertools.count(1)
_LOCK = threading.Lock()


def _numbered(counter: itertools.count[int], environment: Environment) -> tuple[int, str]:
    """The next user number of ``counter`` and the replica that user talks to."""
    with _LOCK:
        number = next(counter)
    return number, host_for(number, hosts_from(os.environ.get(HOSTS_ENV), environment.host))


def _login(user: FastHttpUser, username: str) -> dict[str, str]:
    with user.client.post("/api/v1/auth/login", json={
            "tenant": "bench", "username": username, "password": "bench"},
            name="/api/v1/auth/login", catch_response=True) as resp:
        if resp.status_code != 200:
            resp.failure(f"login {username}: {resp.status_code}")
            return {}
        body: Any = resp.json()
        return {"Authorization": f"Bearer {body['token']}"}


class Agent(FastHttpUser):
    """An agent: state now, pause and ready again, own figures, queue figures."""

    weight = 4
    wait_time = between(0.0, 0.01)

    def __init__(self, environment: Environment) -> None:
        # The client is bound to ``host`` when built: choose the replica before.
        self.number, self.host = _numbered(_NEXT, environment)
        super().__init__(environment)

    def on_start(self) -> None:
        """Log in and join the queues (ready)."""
        number = self.number
        self.headers = _login(self, f"agent{number}")
        self.agent_id = number  # seeded in order: agentN is agent id N
        with self.client.post("/api/v1/agent/login", json={}, headers=self.headers,
                              name="/api/v1/agent/login", catch_response=True) as resp:
            try:
                body = resp.json()
            except ValueError:
                body = None
            if desk_login_ok(resp.status_code, body):
                resp.success()
            else:
                resp.failure(f"agent login: {resp.status_code} {resp.text[:200]}")
        self.paused = False

    @task(4)
    def status(self) -> None:
        """GET the agent's own state."""
        self.client.get("/api/v1/agent/status", headers=self.headers,
                        name="/api/v1/agent/status")

    @task(2)
    def toggle(self) -> None:
        """Pause with a reason, or go ready again."""
        if self.paused:
            self.client.post("/api/v1/agent/ready", headers=self.headers,
                             name="/api/v1/agent/ready")
        else:
            self.client.post("/api/v1/agent/pause", json={"reason": "lunch"},
                             headers=self.headers, name="/api/v1/agent/pause")
        self.paused = not self.paused

    @task(1)
    def own_figures(self) -> None:
        """The agent's live figures."""
        self.client.get(f"/api/v1/stats/agents/{self.agent_id}", headers=self.headers,
                        name="/api/v1/stats/agents/{id}")


class Supervisor(FastHttpUser):
    """A wallboard poller: every queue's live figures."""

    weight = 1
    wait_time = between(0.0, 0.01)

    def __init__(self, environment: Environment) -> None:
        _, self.host = _numbered(_NEXT_SUPERVISOR, environment)
        super().__init__(environment)

    def on_start(self) -> None:
        """Log in."""
        self.headers = _login(self, "sup")

    @task
    def queues(self) -> None:
        """GET the live queue figures."""
        self.client.get("/api/v1/stats/queues", headers=self.headers,
                        name="/api/v1/stats/queues")
