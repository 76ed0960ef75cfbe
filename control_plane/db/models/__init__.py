"""SQLAlchemy models of the control plane's configuration and CRM database.

Importing this package registers every table on ``Base.metadata`` (what Alembic compares
migrations against).
"""

from control_plane.db.models.acd_config import (
    Agent,
    AgentSkill,
    Queue,
    QueueMember,
    QueueSkill,
    Skill,
)
from control_plane.db.models.base import Base
from control_plane.db.models.crm import Contact, Customer, CustomerPhone, Note, Order, Ticket
from control_plane.db.models.media import Callback, Prompt, Recording, Voicemail
from control_plane.db.models.routing import Did, InboundRoute, IvrFlow, IvrFlowVersion
from control_plane.db.models.sip import Seat, SipCredential
from control_plane.db.models.tenancy import PauseReason, Team, Tenant, User

__all__ = [
    "Agent",
    "AgentSkill",
    "Base",
    "Callback",
    "Contact",
    "Customer",
    "CustomerPhone",
    "Did",
    "InboundRoute",
    "IvrFlow",
    "IvrFlowVersion",
    "Note",
    "Order",
    "PauseReason",
    "Prompt",
    "Queue",
    "QueueMember",
    "QueueSkill",
    "Recording",
    "Seat",
    "SipCredential",
    "Skill",
    "Team",
    "Tenant",
    "Ticket",
    "User",
    "Voicemail",
]
