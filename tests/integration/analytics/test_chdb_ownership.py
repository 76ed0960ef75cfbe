"""A chDB data path belongs to one process: a second one gets a clear BackendError."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

_OPEN = textwrap.dedent("""
    import sys, time
    from analytics.sink.backend import BackendError
    from analytics.sink.backends.chdb_backend import ChdbBackend
    try:
        backend = ChdbBackend(sys.argv[1], database="owner")
        backend.execute("CREATE DATABASE IF NOT EXISTS owner")
    except BackendError as exc:
        print("REFUSED", exc, flush=True)
        sys.exit(3)
    print("OPEN", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def test_second_process_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = str(tmp_path / "chdb")
    owner = subprocess.Popen([sys.executable, "-c", _OPEN, path, "60"], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "OPEN"
        other = subprocess.run([sys.executable, "-c", _OPEN, path, "0"], cwd=REPO, check=False,
                               capture_output=True, text=True, timeout=60)
        assert other.returncode == 3, other.stderr[-2000:]
        assert "cannot open chDB data path" in other.stdout
        assert "one process owns a path" in other.stdout
    finally:
        owner.kill()
        owner.wait(timeout=30)
