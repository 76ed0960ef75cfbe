"""Settings: defaults < file < environment, and errors that name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from control_plane.runtime.settings import SettingsError, load_settings


def test_defaults_without_file_or_environment() -> None:
    settings = load_settings(environ={})
    assert settings.api.port == 8080
    assert settings.log.level == "info"


def test_file_overrides_defaults_and_environment_overrides_file(tmp_path: Path) -> None:
    file = tmp_path / "cc.toml"
    file.write_text('[api]\nport = 9000\nhost = "127.0.0.9"\n[log]\nlevel = "debug"\n')
    settings = load_settings(file, environ={"CC_API__PORT": "9100", "OTHER": "x"})
    assert settings.api.port == 9100
    assert settings.api.host == "127.0.0.9"
    assert settings.log.level == "debug"


def test_bad_value_names_the_key_and_its_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"CC_API__PORT": "not-a-port"})
    assert "api.port" in str(err.value)
    assert "CC_API__PORT" in str(err.value)


def test_out_of_range_port_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"api\.port"):
        load_settings(environ={"CC_API__PORT": "70000"})


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "cc.toml"
    file.write_text("[api]\nprot = 1\n")
    with pytest.raises(SettingsError, match=r"api\.prot"):
        load_settings(file, environ={})


def test_missing_and_malformed_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[api\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad, environ={})


def test_bad_log_level_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"log\.level"):
        load_settings(environ={"CC_LOG__LEVEL": "loud"})
