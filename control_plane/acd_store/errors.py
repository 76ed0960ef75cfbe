"""Errors of the shared ACD state, each with a stable id the API and the logs can branch on."""

from __future__ import annotations

from typing import ClassVar


class AcdStoreError(Exception):
    """Base of every error of the replicated ACD state."""

    error_id: ClassVar[str] = "acd_store.error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(f"{self.error_id}: {message}")
        self.message = message


class StoreUnavailable(AcdStoreError):
    """The shared store (Redis) cannot be reached or answered too late; retry later.

    The API answers 503. The event that raised it may or may not have been recorded: the
    replica rebuilds the partition from the store before it applies anything else, so what
    the store acknowledged is never lost and nothing is applied twice by this replica.
    """

    error_id = "acd_store.unavailable"
    http_status = 503

    def __init__(self, reason: str, *, dependency: str = "redis") -> None:
        super().__init__(f"{dependency} unavailable: {reason}")
        self.dependency = dependency
        self.reason = reason


class LeaseLost(AcdStoreError):
    """This replica no longer holds the partition's lease (expired or taken over).

    Raised by every fenced write, so a replica that lost its lease can never append to the
    log, write a checkpoint or reserve an agent again with its old fencing token.
    """

    error_id = "acd_store.lease_lost"
    http_status = 503

    def __init__(self, partition: str, epoch: int) -> None:
        super().__init__(f"lease of partition {partition!r} (epoch {epoch}) is no longer held")
        self.partition = partition
        self.epoch = epoch
        # True when the event being applied was recorded before the lease went
        self.recorded = False


class NotOwner(AcdStoreError):
    """Another live replica owns the partition; the event must be sent to that replica."""

    error_id = "acd_store.not_owner"
    http_status = 503

    def __init__(self, partition: str, owner: str) -> None:
        super().__init__(f"partition {partition!r} is owned by replica {owner!r}")
        self.partition = partition
        self.owner = owner


class LogConflict(AcdStoreError):
    """The log does not end where the writer expected: an earlier append whose answer was
    lost did land. The writer must read the log before it appends again."""

    error_id = "acd_store.log_conflict"
    http_status = 503

    def __init__(self, partition: str, after: int) -> None:
        super().__init__(f"log of {partition!r} does not end at entry {after}")
        self.partition = partition
        self.after = after


class CorruptRecord(AcdStoreError):
    """A log entry or checkpoint in the store cannot be decoded (wrong shape or type)."""

    error_id = "acd_store.corrupt_record"


class BadInput(AcdStoreError):
    """A caller passed something the store cannot take (empty partition, bad replica id)."""

    error_id = "acd_store.bad_input"
    http_status = 400
