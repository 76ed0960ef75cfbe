"""Typed errors of the persistence layer; the API maps each ``error_id`` to an HTTP status.

Every error carries a stable ``error_id`` (what clients and tests match on) and the detail
that makes it actionable: the entity and key, the constraint broken, or the field at fault.
"""

from __future__ import annotations


class DbError(Exception):
    """Base of the persistence layer's errors."""

    error_id = "db.error"


class NotFound(DbError):
    """No row of ``entity`` with ``key`` (in the caller's tenant). HTTP 404."""

    error_id = "db.not_found"

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class Conflict(DbError):
    """A write broke ``constraint`` (a unique key, or a row still referenced). HTTP 409."""

    error_id = "db.conflict"

    def __init__(self, constraint: str, message: str) -> None:
        super().__init__(f"{message} (constraint {constraint})")
        self.constraint = constraint


class ValidationFailed(DbError):
    """``field`` holds a value the schema refuses, and why. HTTP 422.

    ``constraint`` names the CHECK constraint when the database (not the repository's own
    validation) refused the value.
    """

    error_id = "db.validation_failed"

    def __init__(self, field: str, reason: str, *, constraint: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.constraint = constraint


class Unavailable(DbError):
    """The database cannot be reached or is locked; retry later. HTTP 503."""

    error_id = "db.unavailable"


class MigrationFailed(DbError):
    """The schema cannot be brought to the requested revision (and why)."""

    error_id = "db.migration_failed"
