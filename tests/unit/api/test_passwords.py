"""argon2 password hashes, and a failed login costing the same whether or not the user exists."""

from __future__ import annotations

import statistics
import time

import pytest

from control_plane.auth.passwords import Passwords, WeakPasswordError


@pytest.fixture(scope="module")
def passwords() -> Passwords:
    return Passwords()


def test_hash_is_argon2id_and_verifies(passwords: Passwords) -> None:
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterY")
    assert passwords.hash("correct horse battery") != stored  # salted


def test_no_user_and_garbage_hash_never_verify(passwords: Passwords) -> None:
    assert not passwords.verify(None, "anything at all")
    assert not passwords.verify("not a hash", "anything at all")


def test_short_password_is_refused(passwords: Passwords) -> None:
    with pytest.raises(WeakPasswordError, match="10 characters"):
        passwords.hash("short")


def _median_seconds(passwords: Passwords, stored: str | None) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        passwords.verify(stored, "wrong password!")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_unknown_user_costs_as_much_as_a_wrong_password(passwords: Passwords) -> None:
    stored = passwords.hash("correct horse battery")
    known, unknown = _median_seconds(passwords, stored), _median_seconds(passwords, None)
    # Without the dummy verification the unknown case takes microseconds, not tens of ms.
    assert 1 / 3 < unknown / known < 3, (known, unknown)
