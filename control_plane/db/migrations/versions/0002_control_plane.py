# ruff: noqa: E501
"""Control plane schema: tenancy, ACD configuration, routing and IVR, CRM, media index.

Revision ID: 0002_control_plane
Revises: 0001_sip_credentials
Create Date: 2026-11-22

Written by autogenerate against the models, then frozen: it must not import them (the
models move on; this file describes the schema of revision 0002 for good). One line per
column or constraint, as autogenerate writes them, hence the long lines.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_control_plane"
down_revision: str | None = "0001_sip_credentials"
branch_labels: str | None = None
depends_on: str | None = None

ACTIVE_VERSION_FK = "fk_ivr_flows_active_version_id_ivr_flow_versions"
# Creation order (parents first); downgrade drops them in reverse.
TABLES = (
    'tenants',
    'customers',
    'dids',
    'ivr_flows',
    'pause_reasons',
    'prompts',
    'queues',
    'seats',
    'skills',
    'teams',
    'agents',
    'callbacks',
    'contacts',
    'customer_phones',
    'orders',
    'queue_skills',
    'tickets',
    'voicemails',
    'agent_skills',
    'inbound_routes',
    'queue_members',
    'recordings',
    'users',
    'ivr_flow_versions',
    'notes',
)


def _sqlite_active_version_fk() -> list[sa.ForeignKeyConstraint]:
    """The ivr_flows -> ivr_flow_versions key closes a cycle. SQLite accepts a foreign key
    to a table that does not exist yet (and cannot add one later without rebuilding the
    table), so there it is declared inline."""
    if op.get_bind().dialect.name != "sqlite":
        return []
    return [
        sa.ForeignKeyConstraint(
            ["active_version_id"], ["ivr_flow_versions.id"], name=ACTIVE_VERSION_FK
        )
    ]


def _postgresql_active_version_fk() -> None:
    """Elsewhere the cycle is closed once both tables exist."""
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            ACTIVE_VERSION_FK, "ivr_flows", "ivr_flow_versions", ["active_version_id"], ["id"]
        )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('tenants',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('time_zone', sa.String(length=64), server_default='UTC', nullable=False),
    sa.Column('recording_notice', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenants'))
    )
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('external_ref', sa.String(length=64), nullable=True),
    sa.Column('vip', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('blocked', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_customers_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('tenant', 'external_ref', name=op.f('uq_customers_tenant_external_ref'))
    )
    op.create_index(op.f('ix_customers_tenant'), 'customers', ['tenant'], unique=False)

    op.create_table('dids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_dids_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dids')),
    sa.UniqueConstraint('number', name=op.f('uq_dids_number'))
    )
    op.create_index(op.f('ix_dids_tenant'), 'dids', ['tenant'], unique=False)

    op.create_table('ivr_flows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    *_sqlite_active_version_fk(),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_ivr_flows_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_flows')),
    sa.UniqueConstraint('tenant', 'name', name=op.f('uq_ivr_flows_tenant_name'))
    )
    op.create_index(op.f('ix_ivr_flows_tenant'), 'ivr_flows', ['tenant'], unique=False)

    op.create_table('pause_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('paid', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_pause_reasons_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pause_reasons')),
    sa.UniqueConstraint('tenant', 'code', name=op.f('uq_pause_reasons_tenant_code'))
    )
    op.create_index(op.f('ix_pause_reasons_tenant'), 'pause_reasons', ['tenant'], unique=False)

    op.create_table('prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('file_path', sa.String(length=1024), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_prompts_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prompts')),
    sa.UniqueConstraint('tenant', 'name', 'language', name=op.f('uq_prompts_tenant_name_language'))
    )
    op.create_index(op.f('ix_prompts_tenant'), 'prompts', ['tenant'], unique=False)

    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('sla_target_seconds', sa.Integer(), nullable=False),
    sa.Column('sla_target_percent', sa.Integer(), nullable=False),
    sa.Column('max_wait_seconds', sa.Integer(), nullable=True),
    sa.Column('max_length', sa.Integer(), nullable=True),
    sa.Column('overflow_action', sa.String(length=16), nullable=True),
    sa.Column('overflow_target', sa.String(length=64), nullable=True),
    sa.Column('ring_timeout_seconds', sa.Integer(), nullable=False),
    sa.Column('wrap_up_seconds', sa.Integer(), nullable=False),
    sa.Column('announce_period_seconds', sa.Integer(), nullable=True),
    sa.Column('callback_offer_seconds', sa.Integer(), nullable=True),
    sa.Column('music_class', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint("overflow_action IS NULL OR overflow_action IN ('queue', 'ivr', 'voicemail', 'agent', 'number', 'hangup')", name=op.f('ck_queues_overflow_action')),
    sa.CheckConstraint("overflow_target IS NOT NULL OR overflow_action IS NULL OR NOT overflow_action IN ('queue', 'ivr', 'agent', 'number')", name=op.f('ck_queues_overflow_target')),
    sa.CheckConstraint("strategy IN ('ring_all', 'longest_idle', 'round_robin', 'top_down', 'fewest_calls', 'least_talk_time', 'random', 'weighted_random', 'ring_progressively', 'best_match')", name=op.f('ck_queues_strategy')),
    sa.CheckConstraint('(max_wait_seconds IS NULL OR max_wait_seconds > 0) AND (max_length IS NULL OR max_length > 0) AND ring_timeout_seconds > 0 AND wrap_up_seconds >= 0 AND (announce_period_seconds IS NULL OR announce_period_seconds > 0) AND (callback_offer_seconds IS NULL OR callback_offer_seconds > 0)', name=op.f('ck_queues_durations')),
    sa.CheckConstraint('sla_target_seconds > 0 AND sla_target_percent BETWEEN 0 AND 100', name=op.f('ck_queues_sla')),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_queues_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('tenant', 'name', name=op.f('uq_queues_tenant_name'))
    )
    op.create_index(op.f('ix_queues_tenant'), 'queues', ['tenant'], unique=False)

    op.create_table('seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sip_username', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=128), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['sip_credentials.id'], name=op.f('fk_seats_credential_id_sip_credentials'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_seats_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seats')),
    sa.UniqueConstraint('sip_username', 'domain', name=op.f('uq_seats_sip_username_domain'))
    )
    op.create_index(op.f('ix_seats_credential_id'), 'seats', ['credential_id'], unique=False)
    op.create_index(op.f('ix_seats_tenant'), 'seats', ['tenant'], unique=False)

    op.create_table('skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_skills_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skills')),
    sa.UniqueConstraint('tenant', 'name', name=op.f('uq_skills_tenant_name'))
    )
    op.create_index(op.f('ix_skills_tenant'), 'skills', ['tenant'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_teams_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('tenant', 'name', name=op.f('uq_teams_tenant_name'))
    )
    op.create_index(op.f('ix_teams_tenant'), 'teams', ['tenant'], unique=False)

    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('extension', sa.String(length=32), nullable=True),
    sa.Column('seat_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('wrap_up_seconds', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('max_concurrent_offers', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('max_concurrent_offers >= 1', name=op.f('ck_agents_max_offers')),
    sa.CheckConstraint('wrap_up_seconds >= 0', name=op.f('ck_agents_wrap_up')),
    sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], name=op.f('fk_agents_seat_id_seats'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_agents_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_agents_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('tenant', 'extension', name=op.f('uq_agents_tenant_extension'))
    )
    op.create_index(op.f('ix_agents_seat_id'), 'agents', ['seat_id'], unique=False)
    op.create_index(op.f('ix_agents_team_id'), 'agents', ['team_id'], unique=False)
    op.create_index(op.f('ix_agents_tenant'), 'agents', ['tenant'], unique=False)

    op.create_table('callbacks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('origin_call_id', sa.String(length=255), nullable=True),
    sa.Column('last_call_id', sa.String(length=255), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'dialing', 'done', 'failed', 'cancelled')", name=op.f('ck_callbacks_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_callbacks_attempts')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_callbacks_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_callbacks_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks'))
    )
    op.create_index(op.f('ix_callbacks_queue_id'), 'callbacks', ['queue_id'], unique=False)
    op.create_index(op.f('ix_callbacks_status'), 'callbacks', ['status'], unique=False)
    op.create_index(op.f('ix_callbacks_tenant'), 'callbacks', ['tenant'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contacts_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_contacts_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_index(op.f('ix_contacts_customer_id'), 'contacts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_contacts_tenant'), 'contacts', ['tenant'], unique=False)

    op.create_table('customer_phones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_phones_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_customer_phones_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_phones')),
    sa.UniqueConstraint('customer_id', 'number', name=op.f('uq_customer_phones_customer_id_number'))
    )
    op.create_index('ix_customer_phones_lookup', 'customer_phones', ['tenant', 'number'], unique=False)
    op.create_index(op.f('ix_customer_phones_tenant'), 'customer_phones', ['tenant'], unique=False)

    op.create_table('orders',
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')", name=op.f('ck_orders_status')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_orders_amount')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_orders_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('tenant', 'reference', name=op.f('uq_orders_tenant_reference'))
    )
    op.create_index(op.f('ix_orders_call_id'), 'orders', ['call_id'], unique=False)
    op.create_index(op.f('ix_orders_customer_id'), 'orders', ['customer_id'], unique=False)
    op.create_index(op.f('ix_orders_status'), 'orders', ['status'], unique=False)
    op.create_index(op.f('ix_orders_tenant'), 'orders', ['tenant'], unique=False)

    op.create_table('queue_skills',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('min_proficiency', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('min_proficiency BETWEEN 1 AND 5', name=op.f('ck_queue_skills_min_proficiency_range')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_skills_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_queue_skills_skill_id_skills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_queue_skills_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'skill_id', name=op.f('pk_queue_skills'))
    )
    op.create_index(op.f('ix_queue_skills_skill_id'), 'queue_skills', ['skill_id'], unique=False)
    op.create_index(op.f('ix_queue_skills_tenant'), 'queue_skills', ['tenant'], unique=False)

    op.create_table('tickets',
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint("status IN ('open', 'pending', 'resolved', 'closed')", name=op.f('ck_tickets_status')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tickets_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_tickets_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    op.create_index(op.f('ix_tickets_call_id'), 'tickets', ['call_id'], unique=False)
    op.create_index(op.f('ix_tickets_customer_id'), 'tickets', ['customer_id'], unique=False)
    op.create_index(op.f('ix_tickets_status'), 'tickets', ['status'], unique=False)
    op.create_index(op.f('ix_tickets_tenant'), 'tickets', ['tenant'], unique=False)

    op.create_table('voicemails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_path', sa.String(length=1024), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('listened', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('duration_seconds >= 0', name=op.f('ck_voicemails_duration')),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_voicemails_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_voicemails_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voicemails')),
    sa.UniqueConstraint('file_path', name=op.f('uq_voicemails_file_path'))
    )
    op.create_index(op.f('ix_voicemails_queue_id'), 'voicemails', ['queue_id'], unique=False)
    op.create_index(op.f('ix_voicemails_received_at'), 'voicemails', ['received_at'], unique=False)
    op.create_index(op.f('ix_voicemails_tenant'), 'voicemails', ['tenant'], unique=False)

    op.create_table('agent_skills',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('proficiency', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('proficiency BETWEEN 1 AND 5', name=op.f('ck_agent_skills_proficiency_range')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_skills_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_agent_skills_skill_id_skills'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_agent_skills_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'skill_id', name=op.f('pk_agent_skills'))
    )
    op.create_index(op.f('ix_agent_skills_skill_id'), 'agent_skills', ['skill_id'], unique=False)
    op.create_index(op.f('ix_agent_skills_tenant'), 'agent_skills', ['tenant'], unique=False)

    op.create_table('inbound_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('did_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_queue_id', sa.Integer(), nullable=True),
    sa.Column('target_ivr_flow_id', sa.Integer(), nullable=True),
    sa.Column('target_agent_id', sa.Integer(), nullable=True),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint("(target_queue_id IS NOT NULL AND target_agent_id IS NULL AND target_ivr_flow_id IS NULL AND target_kind = 'queue') OR (target_queue_id IS NOT NULL AND target_agent_id IS NULL AND target_ivr_flow_id IS NULL AND target_kind = 'voicemail') OR (target_ivr_flow_id IS NOT NULL AND target_agent_id IS NULL AND target_queue_id IS NULL AND target_kind = 'ivr') OR (target_agent_id IS NOT NULL AND target_ivr_flow_id IS NULL AND target_queue_id IS NULL AND target_kind = 'agent')", name=op.f('ck_inbound_routes_target')),
    sa.ForeignKeyConstraint(['did_id'], ['dids.id'], name=op.f('fk_inbound_routes_did_id_dids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_agent_id'], ['agents.id'], name=op.f('fk_inbound_routes_target_agent_id_agents')),
    sa.ForeignKeyConstraint(['target_ivr_flow_id'], ['ivr_flows.id'], name=op.f('fk_inbound_routes_target_ivr_flow_id_ivr_flows')),
    sa.ForeignKeyConstraint(['target_queue_id'], ['queues.id'], name=op.f('fk_inbound_routes_target_queue_id_queues')),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_inbound_routes_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_routes')),
    sa.UniqueConstraint('did_id', name=op.f('uq_inbound_routes_did_id'))
    )
    op.create_index(op.f('ix_inbound_routes_target_agent_id'), 'inbound_routes', ['target_agent_id'], unique=False)
    op.create_index(op.f('ix_inbound_routes_target_ivr_flow_id'), 'inbound_routes', ['target_ivr_flow_id'], unique=False)
    op.create_index(op.f('ix_inbound_routes_target_queue_id'), 'inbound_routes', ['target_queue_id'], unique=False)
    op.create_index(op.f('ix_inbound_routes_tenant'), 'inbound_routes', ['tenant'], unique=False)

    op.create_table('queue_members',
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('penalty', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('penalty >= 0 AND position >= 0 AND weight >= 1', name=op.f('ck_queue_members_ranking')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_queue_members_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_members_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_queue_members_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'agent_id', name=op.f('pk_queue_members'))
    )
    op.create_index(op.f('ix_queue_members_agent_id'), 'queue_members', ['agent_id'], unique=False)
    op.create_index(op.f('ix_queue_members_tenant'), 'queue_members', ['tenant'], unique=False)

    op.create_table('recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_path', sa.String(length=1024), nullable=False),
    sa.Column('duration_seconds', sa.Float(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('duration_seconds >= 0 AND size_bytes >= 0 AND (ended_at IS NULL OR ended_at >= started_at)', name=op.f('ck_recordings_sizes')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_recordings_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_recordings_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_recordings_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
    sa.UniqueConstraint('file_path', name=op.f('uq_recordings_file_path'))
    )
    op.create_index(op.f('ix_recordings_agent_id'), 'recordings', ['agent_id'], unique=False)
    op.create_index(op.f('ix_recordings_call_id'), 'recordings', ['call_id'], unique=False)
    op.create_index(op.f('ix_recordings_queue_id'), 'recordings', ['queue_id'], unique=False)
    op.create_index(op.f('ix_recordings_started_at'), 'recordings', ['started_at'], unique=False)
    op.create_index(op.f('ix_recordings_tenant'), 'recordings', ['tenant'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('token_version', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.CheckConstraint("(tenant IS NULL) = (role = 'super_admin')", name=op.f('ck_users_operator_has_no_tenant')),
    sa.CheckConstraint("role IN ('agent', 'team_lead', 'supervisor', 'admin', 'analyst', 'super_admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint('token_version >= 0', name=op.f('ck_users_token_version')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_users_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_users_team_id_teams'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_users_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('tenant', 'username', name=op.f('uq_users_tenant_username'))
    )
    op.create_index(op.f('ix_users_agent_id'), 'users', ['agent_id'], unique=False)
    op.create_index(op.f('ix_users_team_id'), 'users', ['team_id'], unique=False)
    op.create_index(op.f('ix_users_tenant'), 'users', ['tenant'], unique=False)
    op.create_index('uq_users_operator_username', 'users', ['username'], unique=True, sqlite_where=sa.text('tenant IS NULL'), postgresql_where=sa.text('tenant IS NULL'))

    op.create_table('ivr_flow_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_ivr_flow_versions_version')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_ivr_flow_versions_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['flow_id'], ['ivr_flows.id'], name=op.f('fk_ivr_flow_versions_flow_id_ivr_flows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_ivr_flow_versions_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_flow_versions')),
    sa.UniqueConstraint('flow_id', 'version', name=op.f('uq_ivr_flow_versions_flow_id_version'))
    )
    op.create_index(op.f('ix_ivr_flow_versions_created_by'), 'ivr_flow_versions', ['created_by'], unique=False)
    op.create_index(op.f('ix_ivr_flow_versions_tenant'), 'ivr_flow_versions', ['tenant'], unique=False)
    _postgresql_active_version_fk()

    op.create_table('notes',
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('tenant', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_notes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant'], ['tenants.id'], name=op.f('fk_notes_tenant_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notes'))
    )
    op.create_index(op.f('ix_notes_author_id'), 'notes', ['author_id'], unique=False)
    op.create_index(op.f('ix_notes_call_id'), 'notes', ['call_id'], unique=False)
    op.create_index(op.f('ix_notes_customer_id'), 'notes', ['customer_id'], unique=False)
    op.create_index(op.f('ix_notes_tenant'), 'notes', ['tenant'], unique=False)


def downgrade() -> None:
    """Undo this revision: drop every table it created (their indexes go with them)."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(ACTIVE_VERSION_FK, "ivr_flows", type_="foreignkey")
    for table in reversed(TABLES):
        op.drop_table(table)
