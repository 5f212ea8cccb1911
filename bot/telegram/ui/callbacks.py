"""Every inline button's callback data: one enum of actions, with build and parse helpers.

Data is "action" or "action:arg:arg" (Telegram allows 64 bytes). Keyboards build it, handlers
register `pattern(action)`, and the access gate finds the action to check the sender's role,
all from this one table. The values of buttons already sitting in people's chats ("ack:12",
"report:start") never change, so old messages keep working after an upgrade.
"""

from __future__ import annotations

import enum
import re

MAX_DATA_BYTES = 64


class Action(enum.StrEnum):
    """What a button does; the value is the prefix of its callback data."""

    # Heads (and anyone reporting for a unit).
    REPORT_START = "report:start"
    REPORT_SKIP = "report:skip"
    REPORT_CONFIRM = "report:confirm"
    REPORT_EDIT = "report:edit"
    REPORT_NOTE = "report:note"
    # A figure read from a chat message: "✅ Đúng" / "✏️ Sửa" (argument: the message's update).
    FREE_CONFIRM = "free:yes"
    FREE_EDIT = "free:edit"
    # "📨 Gửi cho cán bộ xã" under a head's message the bot cannot answer (argument: its update).
    ASK_SEND = "ask:send"
    # "🚩 Báo tin xấu, độc" under a forwarded post or a link a head sent (argument: its update).
    ASK_FLAG = "ask:flag"
    PROGRESS = "progress"
    HELP = "help"
    ACK = "ack"
    # Registration that would move someone: "Chuyển sang B" (argument: the code) / "Giữ A".
    REGISTER_JOIN = "reg:join"
    REGISTER_KEEP = "reg:keep"
    # Officers and admins: the directive composer.
    COMPOSE_NEW = "dir:new"
    COMPOSE_TEMPLATE = "dir:template"
    COMPOSE_OFFICIAL = "dir:official"
    MODEL_PROVINCE = "model:province"
    COMPOSE_RECENT = "dir:recent"
    COMPOSE_FIELD = "dir:field"
    COMPOSE_BODY = "dir:body"
    COMPOSE_AUDIENCE = "dir:audience"
    COMPOSE_AUDIENCE_SET = "dir:aud"
    COMPOSE_PICK = "dir:pick"
    COMPOSE_PAGE = "dir:page"
    COMPOSE_PICKED = "dir:picked"
    COMPOSE_SEND = "dir:send"
    COMPOSE_CANCEL = "dir:cancel"
    COMPOSE_RESEND = "dir:resend"
    DIRECTIVE_UNACKED = "dirinfo:unacked"
    # Statistics.
    STATS_DETAIL = "stats:detail"
    STATS_LATE = "stats:late"
    STATS_XLSX = "stats:xlsx"
    STATS_NUDGE = "stats:nudge"
    LATE_INVITE = "late:invite"
    PROVINCE_NUDGE = "province:nudge"
    PROVINCE_COMMEND = "province:commend"
    # Schedules.
    SCHEDULE_RUN = "sched:run"
    SCHEDULE_TOGGLE = "sched:toggle"
    SCHEDULE_DELETE = "sched:del"
    SCHEDULE_EDIT = "sched:edit"
    SCHEDULE_ADD = "sched:add"
    SCHEDULE_KIND = "sched:kind"
    SCHEDULE_DELETE_YES = "sched:delyes"
    SCHEDULE_KEEP = "sched:keep"
    SCHEDULE_PICK_DAY = "sched:pday"
    SCHEDULE_PICK_HOUR = "sched:phour"
    # Threads: "↩️ Trả lời" under a unit's message (officers) and under an officer's answer
    # (the unit), "✅ Đã xử lý" (argument: the thread; "list" when pressed in /phanhoi), and
    # /thongke's button to /phanhoi.
    THREAD_ANSWER = "thread:answer"
    THREAD_WRITE = "thread:write"
    THREAD_RESOLVE = "thread:done"
    THREAD_LIST = "thread:list"
    # Anyone: choosing the language.
    LANGUAGE = "lang"
    # Good models: units share ("🌟 Chia sẻ cách làm hay", "📤 Gửi"), anyone registered opens
    # one from /mohinh, officers review (argument: the model's id) and spread.
    MODEL_START = "model:start"
    MODEL_PREVIEW = "model:preview"
    MODEL_SEND = "model:send"
    MODEL_CANCEL = "model:cancel"
    MODEL_SHOW = "model:show"
    MODEL_APPROVE = "model:ok"
    MODEL_REJECT = "model:no"
    MODEL_TITLE = "model:title"
    MODEL_AUDIENCE = "model:aud"
    MODEL_AUDIENCE_SET = "model:audset"
    MODEL_PICK = "model:pick"
    MODEL_PAGE = "model:page"
    MODEL_PICKED = "model:picked"
    MODEL_SPREAD = "model:spread"
    # Commendation lists (/bieuduong): the period, removing (argument: unit id) and adding
    # units, the printable PDF, and sending.
    COMMEND_PERIOD = "commend:period"
    COMMEND_REMOVE = "commend:rm"
    COMMEND_REASON = "commend:why"
    COMMEND_ADD = "commend:add"
    COMMEND_PICK = "commend:pick"
    COMMEND_PAGE = "commend:page"
    COMMEND_PICKED = "commend:picked"
    COMMEND_PDF = "commend:pdf"
    COMMEND_SEND = "commend:send"
    COMMEND_CANCEL = "commend:cancel"
    # Admins: /donvi's pages and a unit's card (argument: the code; 🚫 Gỡ takes the unit's
    # id and the person's user id), with a confirmation before removing or archiving.
    UNIT_PAGE = "unit:page"
    UNIT_SHOW = "unit:show"
    UNIT_REMOVE = "unit:rm"
    UNIT_REMOVE_YES = "unit:rmyes"
    UNIT_ADULTS = "unit:adults"
    UNIT_RENAME = "unit:name"
    UNIT_INVITE = "unit:invite"
    UNIT_ARCHIVE = "unit:arch"
    UNIT_ARCHIVE_YES = "unit:archyes"
    UNIT_KEEP = "unit:keep"
    # A unit file sent as a document: import it (argument: the file's digest), or not.
    UNIT_IMPORT = "unit:import"
    UNIT_IMPORT_CANCEL = "unit:importno"


def build(action: Action, *args: object) -> str:
    """The callback data of a button; refuses what Telegram would refuse (over 64 bytes)."""
    data = ":".join([action.value, *(str(arg) for arg in args)])
    if len(data.encode()) > MAX_DATA_BYTES:
        raise ValueError(f"callback data over {MAX_DATA_BYTES} bytes: {data!r}")
    return data


# Longest values first, so "dir:picked" is not taken for "dir:pick" with an argument.
_BY_LENGTH = sorted(Action, key=lambda action: len(action.value), reverse=True)


def action_of(data: str) -> Action | None:
    """The action a button's data belongs to, or None for data we never built."""
    for action in _BY_LENGTH:
        if data == action.value or data.startswith(action.value + ":"):
            return action
    return None


# The first part of every action's data ("report", "dir", …): data shaped like ours.
FAMILIES = frozenset(action.value.split(":", 1)[0] for action in Action)


def is_ours(data: str) -> bool:
    """Whether data looks like a button we built, in this version or an older one.

    Such a button that no handler takes any more is stale (it gets "expired"); data from no
    family of ours was never built by this bot (it is refused).
    """
    return data.split(":", 1)[0] in FAMILIES


def args_of(data: str, action: Action) -> list[str]:
    """The arguments after the action's prefix."""
    rest = data.removeprefix(action.value)
    return rest[1:].split(":") if rest.startswith(":") else []


# Ids in button data are database keys (32-bit on PostgreSQL) or Telegram update ids.
MAX_ID = 2**31 - 1


def int_arg(data: str, action: Action, index: int = 0) -> int:
    """One whole-number argument (patterns guarantee digits); -1, naming nothing, past MAX_ID."""
    value = int(args_of(data, action)[index])
    return value if value <= MAX_ID else -1


def pattern(action: Action, args: str = "") -> str:
    """The handler pattern for an action; `args` is a regex for what follows the colon."""
    escaped = re.escape(action.value)
    # Numbers are ids (at most MAX_ID, 10 digits): a forged longer one matches nothing and is
    # answered as an expired button, and int_arg maps the rest past MAX_ID to no id at all.
    args = args.replace(r"\d+", r"\d{1,10}")
    return f"^{escaped}:{args}$" if args else f"^{escaped}$"
