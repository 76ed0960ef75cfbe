"""The core imports nothing that does I/O, and the same seed gives the same decisions."""

from __future__ import annotations

import ast
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import control_plane.acd

PACKAGE = Path(control_plane.acd.__file__).parent
# Standard-library modules that could reach a clock, the network, the disk or processes.
IO_MODULES = {
    "asyncio", "socket", "ssl", "select", "selectors", "time", "datetime", "os", "io", "sys",
    "subprocess", "threading", "multiprocessing", "concurrent", "urllib", "http", "shutil",
    "pathlib", "tempfile", "logging", "sqlite3", "signal", "uuid", "secrets", "pickle",
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def core_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "sim" not in p.relative_to(PACKAGE).parts]


def test_package_imports_only_itself_and_the_standard_library() -> None:
    for path in PACKAGE.rglob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            inside = name == "control_plane.acd" or name.startswith("control_plane.acd.")
            assert inside or top in sys.stdlib_module_names or top == "__future__", (path, name)


def test_core_imports_no_io_module_and_not_the_simulator() -> None:
    assert core_files()
    for path in core_files():
        for name in imports_of(path):
            assert name.split(".")[0] not in IO_MODULES, (path, name)
            assert not name.startswith("control_plane.acd.sim"), (path, name)


def test_core_uses_randomness_only_through_a_passed_generator() -> None:
    for path in core_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "random"
            ):
                assert node.attr == "Random", (path, node.attr)


SCRIPT = """
import hashlib, random
from tests.unit.acd.scenario import run_scenario
print(hashlib.sha256(repr(run_scenario(11)).encode()).hexdigest())
"""


def test_same_seed_same_decisions_even_across_hash_seeds() -> None:
    from tests.unit.acd.scenario import run_scenario

    first, second = run_scenario(11), run_scenario(11)
    assert first == second
    assert run_scenario(12) != first
    digest = hashlib.sha256(repr(first).encode()).hexdigest()
    root = Path(__file__).parents[3]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True,
            check=True,
        )
        assert out.stdout.strip() == digest
