"""Call snapshots on Redis: one hash, `<ns>:calls`, field = the caller's Call-ID."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from control_plane.acd_store.errors import StoreUnavailable
from control_plane.acd_store.ports import check_id


class RedisSessionStore:
    """`SessionStore` on a Redis server."""

    def __init__(self, client: aioredis.Redis, *, namespace: str = "cc") -> None:
        self._r = client
        self._key = f"{check_id('namespace', namespace)}:calls"

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "cc",
                 timeout_s: float = 1.0) -> RedisSessionStore:
        """A store on `redis://host:port/db`."""
        client = aioredis.Redis.from_url(url, socket_timeout=timeout_s,
                                         socket_connect_timeout=timeout_s)
        return cls(client, namespace=namespace)

    async def put(self, call_id: str, blob: bytes) -> None:
        """See `SessionStore.put`."""
        try:
            await self._r.hset(self._key, call_id, blob)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"keep call {call_id}: {exc}") from exc

    async def drop(self, call_id: str) -> None:
        """See `SessionStore.drop`."""
        try:
            await self._r.hdel(self._key, call_id)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"forget call {call_id}: {exc}") from exc

    async def load_all(self) -> dict[str, bytes]:
        """See `SessionStore.load_all`."""
        try:
            raw = await self._r.hgetall(self._key)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"load calls: {exc}") from exc
        return {(k.decode() if isinstance(k, bytes) else str(k)):
                (v if isinstance(v, bytes) else str(v).encode()) for k, v in raw.items()}

    async def close(self) -> None:
        """Let go of the connection."""
        await self._r.aclose()
