"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from models.audit import AuditEvent
from models.base import Base
from models.contacts import Contact, ContactStatus, Role
from models.invites import Invite
from models.reports import Report
from models.units import Unit, UnitKind

__all__ = [
    "AuditEvent",
    "Base",
    "Contact",
    "ContactStatus",
    "Invite",
    "Report",
    "Role",
    "Unit",
    "UnitKind",
]
