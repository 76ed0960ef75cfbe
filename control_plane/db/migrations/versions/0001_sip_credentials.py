"""Seat SIP credentials, the table Kamailio's auth_db reads (existed before migrations).

Revision ID: 0001_sip_credentials
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_sip_credentials"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create sip_credentials exactly as create_all made it before migrations."""
    op.create_table(
        "sip_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=128), nullable=False),
        sa.Column("ha1", sa.String(length=64), nullable=False),
        sa.Column("ha1b", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip_credentials")),
        sa.UniqueConstraint("username", "domain", name="uq_sip_credentials_user"),
    )
    op.create_index(
        op.f("ix_sip_credentials_tenant"), "sip_credentials", ["tenant"], unique=False
    )


def downgrade() -> None:
    """Drop sip_credentials."""
    op.drop_index(op.f("ix_sip_credentials_tenant"), table_name="sip_credentials")
    op.drop_table("sip_credentials")
