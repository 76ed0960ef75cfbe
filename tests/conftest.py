"""Test layers: every test is marked after the folder it lives in.

`pytest -m unit` (or `make test-unit`) runs one layer; `make test` runs them all.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from analytics.sink.backends.chdb_backend import ChdbBackend
from control_plane.runtime.stack import Endpoint, Stack
from control_plane.topology.model import Topology
from tests.support import free_prefix, relocated_demo

_LAYERS = ("unit", "integration", "e2e", "security")
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        rel = Path(str(item.fspath)).resolve().relative_to(_TESTS.resolve())
        layer = rel.parts[0] if rel.parts else ""
        if layer in _LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@pytest.fixture(autouse=True)
def collector_defaults() -> Iterator[None]:
    """An application started in this process applies the engine's GC policy (it freezes
    what is alive, pytest's own objects included): give the next test CPython's defaults."""
    yield
    if gc.get_freeze_count() or gc.get_threshold()[0] != 700:
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)


@pytest.fixture(scope="session")
def short_tmp() -> Iterator[Path]:
    """A short temporary directory: Unix socket paths of nodes must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="cc-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def chdb_path() -> Iterator[Path]:
    """The one chDB data path this test process may open (analytics and call-path tests
    share it and isolate themselves by database)."""
    root = Path(tempfile.mkdtemp(prefix="cc-chdb-", dir="/tmp"))
    yield root / "db"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def chdb_session_backend(chdb_path: Path) -> Iterator[ChdbBackend]:
    """The session's chDB engine (set its ``database`` per test)."""
    backend = ChdbBackend(chdb_path, database="unused")
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def tiers(short_tmp: Path) -> Iterator[RunningStack]:
    """The demo's three tiers, RTPengine and the control plane, on a range of their own.

    Started once per session (a few seconds) and shared by the tests that only send
    traffic through it; tests that kill or restart nodes start their own stack.
    """
    with running_stack(relocated_demo(free_prefix()), short_tmp / "tiers") as running:
        yield running


@contextmanager
def running_stack(topo: Topology, run_dir: Path) -> Iterator[RunningStack]:
    """Start the whole stack for ``topo`` in ``run_dir``; stop it on leaving."""
    stack = Stack(topo, run_dir)
    endpoints = stack.start()
    try:
        yield RunningStack(topo, stack, endpoints)
    finally:
        stack.stop()


@dataclass
class RunningStack:
    """A stack started by a fixture: its topology, the stack and what it started."""

    topo: Topology
    stack: Stack
    endpoints: list[Endpoint]
