"""Locust users for ``make bench-api``: agents working the agent-state endpoints and
reading live figures, supervisors reading the wallboard figures.

Each user logs in once (``agentN`` / ``sup``, password ``bench``, tenant ``bench``; the
number comes from a shared counter, so N users need N agents seeded). Names group the
requests by endpoint in locust's statistics.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from locust import FastHttpUser, between, task

_NEXT = itertools.count(1)
_LOCK = threading.Lock()


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

    def on_start(self) -> None:
        """Log in and join the queues (ready)."""
        with _LOCK:
            number = next(_NEXT)
        self.headers = _login(self, f"agent{number}")
        self.agent_id = number  # seeded in order: agentN is agent id N
        self.client.post("/api/v1/agent/login", json={}, headers=self.headers,
                         name="/api/v1/agent/login")
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

    def on_start(self) -> None:
        """Log in."""
        self.headers = _login(self, "sup")

    @task
    def queues(self) -> None:
        """GET the live queue figures."""
        self.client.get("/api/v1/stats/queues", headers=self.headers,
                        name="/api/v1/stats/queues")
