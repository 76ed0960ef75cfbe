"""The in-memory user directory keeps the rules every directory keeps."""

from __future__ import annotations

import pytest

from control_plane.auth.permissions import Role
from control_plane.auth.users import MemoryUserDirectory, NewUser, UserExistsError


async def test_create_lookup_list_and_bump() -> None:
    users = MemoryUserDirectory()
    ann = await users.create(NewUser("acme", "ann", "h", Role.AGENT, team_id=1, agent_id=3))
    op = await users.create(NewUser(None, "ann", "h", Role.SUPER_ADMIN))
    bob = await users.create(NewUser("globex", "bob", "h", Role.ADMIN))
    assert await users.by_login("acme", "ann") == ann
    assert await users.by_login(None, "ann") == op
    assert await users.by_login("acme", "bob") is None
    assert await users.by_id(bob.id) == bob
    assert [u.id for u in await users.list("acme", offset=0, limit=10)] == [ann.id]
    assert [u.id for u in await users.list(None, offset=1, limit=1)] == [op.id]
    assert await users.list("acme", team_id=2, offset=0, limit=10) == []
    assert await users.bump_token_version(ann.id) == 1
    assert (await users.by_id(ann.id)).token_version == 1  # type: ignore[union-attr]


async def test_login_unique_per_tenant_and_tenant_fits_role() -> None:
    users = MemoryUserDirectory()
    await users.create(NewUser("acme", "ann", "h", Role.AGENT))
    await users.create(NewUser("globex", "ann", "h", Role.AGENT))
    with pytest.raises(UserExistsError):
        await users.create(NewUser("acme", "ann", "h2", Role.ADMIN))
    with pytest.raises(ValueError, match="super_admin"):
        await users.create(NewUser("acme", "root", "h", Role.SUPER_ADMIN))
    with pytest.raises(ValueError, match="super_admin"):
        await users.create(NewUser(None, "root", "h", Role.ADMIN))
