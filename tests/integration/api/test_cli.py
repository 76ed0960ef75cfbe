"""The first super-admin is created from the command line, then logs in to the API."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from control_plane.app import create_app
from control_plane.runtime.settings import load_settings
from tests.integration.api.conftest import SECRET

PASSWORD = "operator password 1"


def _create(db_url: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "control_plane.auth", "create-user", "--database-url", db_url,
         "--password-stdin", *args],
        input=password + "\n", capture_output=True, text=True, timeout=60, check=False)


async def test_create_first_super_admin_then_log_in(
        template_db: Path, tmp_path: Path, aiohttp_client: Any) -> None:
    db = tmp_path / "cli.sqlite"
    shutil.copy(template_db, db)
    url = f"sqlite:///{db}"
    done = _create(url, "--username", "root", "--role", "super_admin")
    assert done.returncode == 0, done.stderr
    assert "created user root" in done.stdout and PASSWORD not in done.stdout

    again = _create(url, "--username", "root", "--role", "super_admin")
    assert again.returncode == 1 and "exists" in again.stderr
    no_tenant = _create(url, "--username", "ann", "--role", "agent")
    assert no_tenant.returncode == 1 and "--tenant" in no_tenant.stderr
    unknown = _create(url, "--username", "ann", "--role", "agent", "--tenant", "nope")
    assert unknown.returncode == 1 and "tenant 'nope' does not exist" in unknown.stderr
    weak = _create(url, "--username", "root3", "--role", "super_admin", password="short")
    assert weak.returncode == 1 and "10 characters" in weak.stderr
    bad_role = _create(url, "--username", "x", "--role", "king")
    assert bad_role.returncode == 2

    settings = load_settings(environ={
        "CC_RUNTIME__TOPOLOGY": "/nonexistent/topology.toml", "CC_DATABASE__URL": url,
        "CC_AUTH__TOKEN_SECRET": SECRET})
    client = await aiohttp_client(create_app(settings))
    resp = await client.post("/api/v1/auth/login",
                             json={"username": "root", "password": PASSWORD})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["user"]["role"] == "super_admin"


def test_unmigrated_database_is_explained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    done = _create(url, "--username", "root", "--role", "super_admin")
    assert done.returncode == 1
    assert "python -m control_plane.db upgrade" in done.stderr
    assert "Traceback" not in done.stderr
