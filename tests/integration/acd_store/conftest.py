"""A real redis-server per test, on a free loopback port in the test's temp directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redis_server import RedisServer, redis_server


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A started server with fsynced append-only persistence (survives kill -9)."""
    with redis_server(tmp_path / "redis", appendonly=True) as server:
        yield server
