"""Test layers: every test is marked after the folder it lives in.

`pytest -m unit` (or `make test-unit`) runs one layer; `make test` runs them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_LAYERS = ("unit", "integration", "e2e", "security")
_TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        rel = Path(str(item.fspath)).resolve().relative_to(_TESTS.resolve())
        layer = rel.parts[0] if rel.parts else ""
        if layer in _LAYERS:
            item.add_marker(getattr(pytest.mark, layer))
