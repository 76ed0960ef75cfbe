"""The one typed settings object of the control plane.

Precedence is defaults < TOML file < environment. Environment variables are named
``CC_<SECTION>__<KEY>`` (for example ``CC_API__PORT=8081``); a value that does not fit its
type stops the process at start with an error naming the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

ENV_PREFIX = "CC_"
ENV_NESTING = "__"


class SettingsError(ValueError):
    """A setting is missing, unknown or of the wrong type; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiSettings(_Section):
    """Where the control plane's HTTP API (and /healthz, /metrics) listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class LogSettings(_Section):
    """Structured logging: JSON lines on stderr at this level."""

    level: str = Field(default="info", pattern="^(debug|info|warning|error)$")
    json_output: bool = True


class DatabaseSettings(_Section):
    """The configuration and CRM database (SQLite by default, PostgreSQL at scale)."""

    url: str = "sqlite:///var/demo/callcenter.sqlite"


class PresenceSettings(_Section):
    """Seat presence from the province cores (evapi events, periodic ul.dump resync)."""

    resync_seconds: float = Field(default=30.0, gt=0)


class AuthSettings(_Section):
    """API authentication: bearer-token signing, token lifetime and login rate limits.

    The signing secret is ``token_secret`` when set (every replica of one center must share
    it), else the contents of ``token_secret_file``, created with a random value (mode 0600)
    when missing; by default that file is ``<run_dir>/api_token_secret``.
    """

    token_secret: SecretStr | None = Field(default=None, min_length=32)
    token_secret_file: Path | None = None
    token_ttl_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600)
    login_window_seconds: float = Field(default=300.0, gt=0)
    login_failures_per_user: int = Field(default=5, ge=1)
    login_attempts_per_ip: int = Field(default=50, ge=1)


class CallsSettings(_Section):
    """The call controller of this replica: the center it serves and its prompts.

    ``center`` is the center file (numbers, IVR flows, queues, agents); prompts are
    synthesised into ``prompts_dir`` at start when missing. Call records go to this
    process's analytics sink (chDB under the run dir, spooled first).
    """

    enabled: bool = True
    center: Path = Path("control_plane/calls/demo_center.toml")
    prompts_dir: Path = Path("var/prompts")
    max_calls: int = Field(default=2000, ge=1)
    # Where RTPengine writes its pcap recordings (its recording-dir); unset: calls are not
    # recorded. WAVs and voicemails go under the run dir.
    recordings_spool: Path | None = None
    record_calls: bool = True
    # Which control-plane replica of the topology this process is (None: the first) and,
    # with several, the Redis they share: one serves the center, the others stand by and
    # take over when it dies (control_plane/calls/failover).
    replica: str | None = None
    failover_redis_url: str | None = None
    lease_ttl_seconds: float = Field(default=3.0, gt=0.3, le=60)


class RuntimeSettings(_Section):
    """Where generated configuration, logs and pid files of a running stack go."""

    run_dir: Path = Path("var/demo")
    topology: Path = Path("control_plane/topology/demo.toml")
    stop_grace_seconds: float = Field(default=5.0, gt=0)
    ready_timeout_seconds: float = Field(default=30.0, gt=0)


class Settings(_Section):
    """All settings of one control-plane process."""

    api: ApiSettings = ApiSettings()
    log: LogSettings = LogSettings()
    database: DatabaseSettings = DatabaseSettings()
    presence: PresenceSettings = PresenceSettings()
    auth: AuthSettings = AuthSettings()
    calls: CallsSettings = CallsSettings()
    runtime: RuntimeSettings = RuntimeSettings()


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split(ENV_NESTING)
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"environment variable {name} conflicts with another one")
        node[path[-1]] = value
    return tree


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(err: ValidationError, source: str) -> str:
    lines = []
    for item in err.errors():
        key = ".".join(str(p) for p in item["loc"])
        env = ENV_PREFIX + ENV_NESTING.join(str(p).upper() for p in item["loc"])
        lines.append(f"setting '{key}' (file key or {env}): {item['msg']}")
    return f"invalid settings from {source}: " + "; ".join(lines)


def load_settings(
    file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build the settings from defaults, then ``file`` (TOML) if given, then the environment."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    sources = ["defaults"]
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SettingsError(f"settings file {file} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {file} is not valid TOML: {exc}") from exc
        sources.append(str(file))
    env = _env_overrides(environ)
    if env:
        sources.append("environment")
    try:
        return Settings.model_validate(_merge(data, env))
    except ValidationError as exc:
        raise SettingsError(_describe(exc, " < ".join(sources))) from exc
