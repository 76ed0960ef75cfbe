"""Where the token-signing secret comes from: the settings, or a file made once per site."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from control_plane.auth.tokens import MIN_SECRET_BYTES
from control_plane.runtime.settings import Settings

SECRET_FILE_NAME = "api_token_secret"


class SecretFileError(RuntimeError):
    """The secret file cannot be read or made, or is too short; the message names it."""


def secret_file(settings: Settings) -> Path:
    """The secret file this process uses when no secret is set in the settings."""
    return settings.auth.token_secret_file or settings.runtime.run_dir / SECRET_FILE_NAME


def token_secret(settings: Settings) -> bytes:
    """The signing secret: ``auth.token_secret``, else the secret file (created if missing)."""
    if settings.auth.token_secret is not None:
        return settings.auth.token_secret.get_secret_value().encode()
    path = secret_file(settings)
    if not path.exists():
        _create(path)
    try:
        value = path.read_text(encoding="ascii").strip().encode()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read token secret file {path}: {exc}") from exc
    if len(value) < MIN_SECRET_BYTES:
        raise SecretFileError(
            f"token secret file {path} holds fewer than {MIN_SECRET_BYTES} characters")
    return value


def _create(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(secrets.token_hex(MIN_SECRET_BYTES))
            # link() is atomic and refuses to replace: when two replicas start at once, the
            # first secret wins and nobody ever reads a half-written file.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    except OSError as exc:
        raise SecretFileError(f"cannot create token secret file {path}: {exc}") from exc
