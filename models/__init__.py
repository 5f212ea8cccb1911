"""SQLAlchemy models; importing this package registers every table on `Base.metadata`."""

from models import scope as scope  # registers the commune officers' query narrowing
from models.audit import AuditEvent
from models.base import Base
from models.communes import Commune, CommuneKind, split_commune_name
from models.contacts import Contact, ContactStatus, Role
from models.coordination import ChatClaim, ConversationState, SyncMark, UserDrafts
from models.directives import (
    COMPOSED_KINDS,
    Acknowledgement,
    Delivery,
    DeliveryStatus,
    Directive,
    MessageKind,
)
from models.evidence import Evidence, EvidenceKind, EvidenceStatus
from models.invites import Invite, InviteRedemption
from models.languages import LanguageChoice
from models.progress import UnitProgress
from models.recognition import (
    Commendation,
    CommendationUnit,
    GoodModel,
    GoodModelStatus,
    Milestone,
    MilestoneKind,
)
from models.reports import Report
from models.schedules import RunStatus, Schedule, ScheduleKind, ScheduleRun
from models.threads import Thread, ThreadMessage, ThreadMessageKind, ThreadSide, ThreadStatus
from models.units import Unit, UnitKind
from models.updates import ReceivedUpdate, UpdateStatus

__all__ = [
    "COMPOSED_KINDS",
    "Acknowledgement",
    "AuditEvent",
    "Base",
    "ChatClaim",
    "Commendation",
    "CommendationUnit",
    "Commune",
    "CommuneKind",
    "Contact",
    "ContactStatus",
    "ConversationState",
    "Delivery",
    "DeliveryStatus",
    "Directive",
    "Evidence",
    "EvidenceKind",
    "EvidenceStatus",
    "GoodModel",
    "GoodModelStatus",
    "Invite",
    "InviteRedemption",
    "LanguageChoice",
    "MessageKind",
    "Milestone",
    "MilestoneKind",
    "ReceivedUpdate",
    "Report",
    "Role",
    "RunStatus",
    "Schedule",
    "ScheduleKind",
    "ScheduleRun",
    "SyncMark",
    "Thread",
    "ThreadMessage",
    "ThreadMessageKind",
    "ThreadSide",
    "ThreadStatus",
    "Unit",
    "UnitKind",
    "UnitProgress",
    "UpdateStatus",
    "UserDrafts",
    "split_commune_name",
]
