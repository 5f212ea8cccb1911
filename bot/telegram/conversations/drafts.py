"""What a person is in the middle of: typed conversation drafts kept in PTB's user_data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.services.broadcasts.audience import ALL, Audience
from bot.services.broadcasts.content import DirectiveContent
from bot.services.reports.evidence import IncomingFile
from bot.services.reports.reports import Target
from models import ScheduleKind


@dataclass(frozen=True)
class ReportDraft:
    """A report being put together by questions, or the report a note is attached to."""

    target: Target
    enrolled: int | None = None
    completed: int | None = None
    note_report_id: int | None = None
    # The update the figures came in (a chat message read as a report): stored under its id,
    # so confirming twice stores once.
    source_update_id: int | None = None


@dataclass(frozen=True)
class FreeReading:
    """Figures read from a chat message, waiting for "✅ Đúng" or "✏️ Sửa"."""

    target: Target
    update_id: int
    enrolled: int
    completed: int | None
    message_id: int | None = None


@dataclass(frozen=True)
class DirectiveDraft:
    """A directive being composed."""

    content: DirectiveContent
    audience: Audience = field(default_factory=lambda: Audience(ALL))
    picked: frozenset[str] = frozenset()
    page: int = 0
    # The message with the live "📤 Gửi": a new preview takes its buttons away.
    controls_message_id: int | None = None


@dataclass(frozen=True)
class ScheduleDraft:
    """What /lich is editing: an existing schedule's rule, or a new schedule."""

    schedule_id: int | None
    kind: ScheduleKind | None = None
    rule: str | None = None


@dataclass(frozen=True)
class ThreadReplyDraft:
    """A "↩️ Trả lời" waiting for its text or photo.

    `side` is who answers: "commune" (an officer, to the unit) or "unit" (to the officers).
    The question lapses after CONVERSATION_TIMEOUT_SECONDS from `asked_at` (POSIX seconds),
    or as soon as the person does something else (a command, a key, another button).
    """

    thread_id: int
    side: str
    unit_name: str
    asked_at: float
    # After the first photo of an album: only the album's other photos still belong here.
    album: str | None = None


@dataclass(frozen=True)
class ModelDraft:
    """A good model being shared through /chiase: the unit, the text and the photos."""

    target: Target
    author_name: str = ""
    text: str = ""
    photo_file_ids: tuple[str, ...] = ()
    # The preview with the live "📤 Gửi": a new preview takes its buttons away.
    controls_message_id: int | None = None
    # The album being received, so that its photos get one answer.
    media_group: str | None = None


@dataclass(frozen=True)
class AskDraft:
    """A head's message offered with "📨 Gửi cho cán bộ xã" (only the newest is kept)."""

    update_id: int
    text: str
    # A forwarded post: where it came from, and its picture.
    origin: str | None = None
    photo: IncomingFile | None = None


@dataclass(frozen=True)
class UnitEditDraft:
    """An admin typing a unit's new number of adults ("adults") or name ("name")."""

    code: str
    field: str


@dataclass(frozen=True)
class UnitFileDraft:
    """A unit file an admin sent, previewed and waiting for ✅ Nhập (read again then)."""

    file_id: str
    file_name: str
    digest: str


@dataclass(frozen=True)
class ModelReviewDraft:
    """An officer reviewing a good model: typing a reason or a title, or picking units."""

    model_id: int
    picked: frozenset[str] = frozenset()
    page: int = 0
    # The approved preview's controls ("📢 Lan tỏa"): a new preview takes their buttons away.
    controls_message_id: int | None = None


@dataclass(frozen=True)
class CommendationDraft:
    """The commendation list /bieuduong is editing, for the period beginning `period_first`."""

    period_first: date
    which: str
    unit_ids: tuple[int, ...]
    # The list message with the live buttons (edited in place) and the unit picker's page.
    controls_message_id: int | None = None
    page: int = 0
    # Why the officer added units by hand, as typed: (unit id, reason).
    reasons: tuple[tuple[int, str], ...] = ()
    # The unit whose reason is being typed.
    reason_unit_id: int | None = None


class UserData:
    """PTB's per-user storage, typed: one slot per conversation, None when idle.

    Stored in the database after every update (bot/telegram/conversations/shared_state.py), so
    any process can continue a conversation: every slot needs a class-level annotation (that is
    what is stored and how it is read back) and a frozen dataclass of plain values (read back
    by pydantic, bot/telegram/conversations/draft_codec.py).
    """

    report: ReportDraft | None
    directive: DirectiveDraft | None
    schedule: ScheduleDraft | None
    free_reading: FreeReading | None
    good_model: ModelDraft | None
    model_review: ModelReviewDraft | None
    commendation: CommendationDraft | None
    media_group: str | None
    thread_reply: ThreadReplyDraft | None
    unit_edit: UnitEditDraft | None
    unit_file: UnitFileDraft | None
    asked: AskDraft | None

    def __init__(self) -> None:
        """Start with nothing in progress (PTB creates one per user)."""
        self.report: ReportDraft | None = None
        self.directive: DirectiveDraft | None = None
        self.schedule: ScheduleDraft | None = None
        self.free_reading: FreeReading | None = None
        self.good_model: ModelDraft | None = None
        self.model_review: ModelReviewDraft | None = None
        self.commendation: CommendationDraft | None = None
        # The album being received, so that several photos get one answer.
        self.media_group: str | None = None
        self.thread_reply: ThreadReplyDraft | None = None
        self.unit_edit: UnitEditDraft | None = None
        self.unit_file: UnitFileDraft | None = None
        self.asked: AskDraft | None = None
