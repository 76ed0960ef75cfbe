"""The shared ACD state on Redis (`redis.asyncio`), for two or more control-plane replicas.

Every operation that must be atomic is one Lua script (Redis runs a script without
interleaving any other command): acquiring a lease bumps the partition's epoch and sets the
lease in one step; every owner write first compares the stored lease with the writer's
`owner|epoch` token (fencing) and only then appends, checkpoints or reserves; a
reservation checks and sets every agent of a step at once, so two replicas can never hold
one agent. Appends also name the entry they follow, so a write retried after a lost answer
can never land twice.

Keys (`ns` is the namespace, default `acd`): `ns:lease:<p>` (`owner|epoch`, with TTL),
`ns:epoch:<p>` (counter), `ns:partitions` (set), `ns:log:<p>` (list of entries after the
checkpoint), `ns:base:<p>` (sequence number of the checkpoint), `ns:ckpt:<p>` (blob),
`ns:resv:<agent>` (holder, with TTL). Acknowledged means acknowledged by Redis: run it with
`appendonly yes` and `appendfsync always` for acknowledged events to survive a Redis crash.

Any connection failure or timeout becomes `StoreUnavailable`; commands are not retried
blindly here (a retried append could land twice), callers retry.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from control_plane.acd_store.errors import BadInput, LeaseLost, LogConflict, StoreUnavailable
from control_plane.acd_store.ports import Lease, LogSnapshot, Reservation, check_id

T = TypeVar("T")
_TRANSIENT = frozenset({"LOADING", "MISCONF", "READONLY", "BUSY", "MASTERDOWN", "TRYAGAIN"})

_ACQUIRE = """
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if string.sub(cur, 1, sep - 1) ~= ARGV[1] then return 0 end
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return epoch
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
_APPEND = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local base = tonumber(redis.call('GET', KEYS[3]) or '0')
local last = base + redis.call('LLEN', KEYS[2])
if last ~= tonumber(ARGV[2]) then return -2 end
for i = 3, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
return last + #ARGV - 2
"""
_LOAD = """
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
return {base, redis.call('GET', KEYS[3]), redis.call('LRANGE', KEYS[1], 0, -1)}
"""
_TAIL = """
local base = tonumber(redis.call('GET', KEYS[2]) or '0')
local after = tonumber(ARGV[1])
if after < base then return {0, {}} end
return {1, redis.call('LRANGE', KEYS[1], after - base, -1)}
"""
_CHECKPOINT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local base = tonumber(redis.call('GET', KEYS[3]) or '0')
local seq = tonumber(ARGV[2])
if seq < base or seq > base + redis.call('LLEN', KEYS[2]) then return -2 end
redis.call('SET', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[2], seq - base, -1)
redis.call('SET', KEYS[3], seq)
return 1
"""
_SYNC = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local nrel = tonumber(ARGV[3])
local out = {}
for i = 2, nrel + 1 do
  if redis.call('GET', KEYS[i]) == ARGV[i + 2] then redis.call('DEL', KEYS[i]) end
end
for i = nrel + 2, #KEYS do
  local cur = redis.call('GET', KEYS[i])
  if (not cur) or cur == ARGV[i + 2] then
    redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ARGV[2])
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
"""


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _ms(ttl_s: float) -> int:
    if not 0.001 <= ttl_s <= 86400:
        raise BadInput(f"ttl {ttl_s} s must be within 1 ms .. 1 day")
    return int(ttl_s * 1000)


class RedisAcdStore:
    """`AcdStore` on a Redis server (see the module docstring)."""

    def __init__(self, client: aioredis.Redis, *, namespace: str = "acd") -> None:
        self._r = client
        self._ns = check_id("namespace", namespace)
        self._acquire = client.register_script(_ACQUIRE)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self._append = client.register_script(_APPEND)
        self._load = client.register_script(_LOAD)
        self._tail = client.register_script(_TAIL)
        self._checkpoint = client.register_script(_CHECKPOINT)
        self._sync = client.register_script(_SYNC)

    @classmethod
    def from_url(cls, url: str, *, namespace: str = "acd",
                 timeout_s: float = 1.0) -> RedisAcdStore:
        """A store on `redis://host:port/db`; every command gives up after `timeout_s`."""
        client = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0), retry_on_timeout=False, decode_responses=False)
        return cls(client, namespace=namespace)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._ns}:{kind}:{name}"

    async def _call(self, what: str, op: Awaitable[T]) -> T:
        try:
            return await op
        except (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OSError,
                TimeoutError) as exc:
            raise StoreUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        except ResponseError as exc:
            # a server that is starting, cannot persist or is a replica: try again later;
            # anything else (a script error) is a bug and stays loud
            if str(exc).split(" ", 1)[0] in _TRANSIENT:
                raise StoreUnavailable(f"{what}: {exc}") from exc
            raise

    # -- leases

    async def acquire(self, partition: str, owner: str, ttl_s: float) -> Lease | None:
        """See `LeaseStore.acquire`."""
        check_id("partition", partition)
        check_id("replica", owner)
        keys = [self._key("lease", partition), self._key("epoch", partition),
                f"{self._ns}:partitions"]
        epoch = await self._call("acquire", self._acquire(keys, [owner, _ms(ttl_s), partition]))
        return Lease(partition, owner, int(epoch)) if int(epoch) > 0 else None

    async def renew(self, lease: Lease, ttl_s: float) -> bool:
        """See `LeaseStore.renew`."""
        done = await self._call("renew", self._renew([self._key("lease", lease.partition)],
                                                     [lease.token, _ms(ttl_s)]))
        return int(done) == 1

    async def release(self, lease: Lease) -> None:
        """See `LeaseStore.release`."""
        await self._call("release", self._release([self._key("lease", lease.partition)],
                                                  [lease.token]))

    async def holder(self, partition: str) -> Lease | None:
        """See `LeaseStore.holder`."""
        raw = await self._call("holder", self._r.get(self._key("lease", partition)))
        if raw is None:
            return None
        owner, _, epoch = _text(raw).rpartition("|")
        return Lease(partition, owner, int(epoch))

    async def partitions(self) -> tuple[str, ...]:
        """See `LeaseStore.partitions`."""
        found = await self._call("partitions", self._r.smembers(f"{self._ns}:partitions"))
        return tuple(sorted(_text(p) for p in found))

    # -- event log

    def _log_keys(self, partition: str) -> list[str]:
        return [self._key("log", partition), self._key("base", partition),
                self._key("ckpt", partition)]

    async def append(self, lease: Lease, entries: Sequence[bytes], *, after: int) -> int:
        """See `EventLog.append`."""
        log_key, base_key, _ = self._log_keys(lease.partition)
        keys = [self._key("lease", lease.partition), log_key, base_key]
        last = int(await self._call("append", self._append(keys,
                                                           [lease.token, after, *entries])))
        if last == -1:
            raise LeaseLost(lease.partition, lease.epoch)
        if last == -2:
            raise LogConflict(lease.partition, after)
        return last

    async def load(self, partition: str) -> LogSnapshot:
        """See `EventLog.load`."""
        base, blob, entries = await self._call("load", self._load(self._log_keys(partition)))
        return LogSnapshot(None if blob is None else bytes(blob), int(base),
                           tuple(bytes(e) for e in entries))

    async def tail(self, partition: str, after: int) -> tuple[bytes, ...] | None:
        """See `EventLog.tail`."""
        found, entries = await self._call(
            "tail", self._tail(self._log_keys(partition)[:2], [after]))
        return tuple(bytes(e) for e in entries) if int(found) else None

    async def checkpoint(self, lease: Lease, seq: int, blob: bytes) -> None:
        """See `EventLog.checkpoint`."""
        log_key, base_key, ckpt_key = self._log_keys(lease.partition)
        keys = [self._key("lease", lease.partition), log_key, base_key, ckpt_key]
        done = int(await self._call("checkpoint", self._checkpoint(keys,
                                                                   [lease.token, seq, blob])))
        if done == -1:
            raise LeaseLost(lease.partition, lease.epoch)
        if done == -2:
            raise BadInput(f"checkpoint at {seq} outside the log of {lease.partition!r}")

    # -- agent reservations

    async def sync(self, lease: Lease, *, release: Sequence[Reservation],
                   reserve: Sequence[Reservation], ttl_s: float) -> tuple[bool, ...]:
        """See `AgentReservations.sync`."""
        ttl = _ms(ttl_s)
        items = [*release, *reserve]
        for item in items:
            check_id("agent", item.agent)
            check_id("holder", item.holder)
        keys = [self._key("lease", lease.partition),
                *(self._key("resv", i.agent) for i in items)]
        args: list[Any] = [lease.token, ttl, len(release), *(i.holder for i in items)]
        out = await self._call("reserve", self._sync(keys, args))
        if isinstance(out, int):
            raise LeaseLost(lease.partition, lease.epoch)
        return tuple(int(flag) == 1 for flag in out)

    async def reserved_by(self, agent: str) -> str | None:
        """See `AgentReservations.reserved_by`."""
        raw = await self._call("reserved_by", self._r.get(self._key("resv", agent)))
        return None if raw is None else _text(raw)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._r.aclose()
