"""Media files the platform keeps: prompts, the recordings index, voicemails, callbacks.

Recordings and voicemails outlive the queue or agent they came from (SET NULL): they are
evidence, and retention, not configuration changes, decides when they go.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from control_plane.db.models.base import (
    CALL_ID_LEN,
    NAME_LEN,
    NUMBER_LEN,
    PATH_LEN,
    Base,
    TenantOwned,
    UTCDateTime,
    check_in,
    created_at_column,
)
from control_plane.db.vocab import CALLBACK_STATUSES


class Prompt(TenantOwned, Base):
    """An audio prompt IVR flows and queues play, per language."""

    __tablename__ = "prompts"
    __table_args__ = (UniqueConstraint("tenant", "name", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    language: Mapped[str] = mapped_column(String(16))
    file_path: Mapped[str] = mapped_column(String(PATH_LEN))


class Recording(TenantOwned, Base):
    """Index entry of one recorded call segment (the audio is a file)."""

    __tablename__ = "recordings"
    __table_args__ = (
        UniqueConstraint("file_path"),
        CheckConstraint(
            "duration_seconds >= 0 AND size_bytes >= 0"
            " AND (ended_at IS NULL OR ended_at >= started_at)",
            name="sizes",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LEN), index=True)
    queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("queues.id", ondelete="SET NULL"), index=True
    )
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    file_path: Mapped[str] = mapped_column(String(PATH_LEN))
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class Voicemail(TenantOwned, Base):
    """A message a caller left for a queue."""

    __tablename__ = "voicemails"
    __table_args__ = (
        UniqueConstraint("file_path"),
        CheckConstraint("duration_seconds >= 0", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int | None] = mapped_column(
        ForeignKey("queues.id", ondelete="SET NULL"), index=True
    )
    caller_number: Mapped[str] = mapped_column(String(NUMBER_LEN))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    file_path: Mapped[str] = mapped_column(String(PATH_LEN))
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    listened: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class Callback(TenantOwned, Base):
    """A caller who chose to be called back instead of waiting; dies with its queue."""

    __tablename__ = "callbacks"
    __table_args__ = (
        CheckConstraint(check_in("status", CALLBACK_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER_LEN))
    requested_at: Mapped[datetime] = created_at_column()
    # Earliest time to call (the caller may have asked for later); NULL: as soon as possible.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The Call-ID of the call that came with the request, and of the last attempt.
    origin_call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LEN))
    last_call_id: Mapped[str | None] = mapped_column(String(CALL_ID_LEN))
