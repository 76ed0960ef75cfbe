"""Shared ACD state for several control-plane replicas (DESIGN §3, §4, §5 failover).

`ports` names what a replicated ACD needs from a store (partition leases with fencing, a
per-partition event log with checkpoints, atomic agent reservations); `memory` is the
embedded one-process adapter, `redis_store` the Redis one (the only module importing
redis). `replicated.ReplicatedAcd` wraps one engine per owned tenant and is what the call
controller uses in place of `AcdDriver`.
"""
