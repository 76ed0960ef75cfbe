"""The PostgreSQL test helper says clearly what to install when the server is missing."""

from __future__ import annotations

import pytest

from tests import support_pg


def test_missing_binaries_name_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(support_pg, "PG_BIN_GLOB", str(tmp_path / "*" / "bin"))
    with pytest.raises(support_pg.PostgresMissing) as err:
        support_pg.pg_bin_dir()
    assert "postgresql" in str(err.value)
    assert ".ci/apt-packages.txt" in str(err.value)


def test_newest_installed_version_is_chosen(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for version in ("9", "15", "13"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()
    monkeypatch.setattr(support_pg, "PG_BIN_GLOB", str(tmp_path / "*" / "bin"))
    assert support_pg.pg_bin_dir() == tmp_path / "15" / "bin"
