"""The one table of who may use which command or button; menus are derived from it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.telegram.ui.callbacks import Action, action_of
from models import Role

Roles = frozenset[Role | None]
ANYONE: Roles = frozenset({None, Role.HEAD, Role.OFFICER, Role.ADMIN})
REGISTERED: Roles = frozenset({Role.HEAD, Role.OFFICER, Role.ADMIN})
STAFF: Roles = frozenset({Role.OFFICER, Role.ADMIN})
ADMINS: Roles = frozenset({Role.ADMIN})

# Order matters: it is the order of each role's command menu.
COMMAND_ROLES: Mapping[str, Roles] = {
    "start": ANYONE,
    "huongdan": ANYONE,
    "baocao": REGISTERED,
    "tiendo": REGISTERED,
    "thongbao": STAFF,
    "thongke": STAFF,
    "chuabaocao": STAFF,
    "xuatexcel": STAFF,
    "lich": STAFF,
    "phanhoi": STAFF,
    "chiase": REGISTERED,
    "mohinh": REGISTERED,
    "bieuduong": STAFF,
    "donvi": ADMINS,
    "moi": ADMINS,
    "phanquyen": ADMINS,
    "nguoidung": ADMINS,
    "ngonngu": ANYONE,
    "huy": ANYONE,
}

_COMPOSER = (
    Action.COMPOSE_NEW,
    Action.COMPOSE_TEMPLATE,
    Action.COMPOSE_OFFICIAL,
    Action.COMPOSE_RECENT,
    Action.COMPOSE_FIELD,
    Action.COMPOSE_BODY,
    Action.COMPOSE_AUDIENCE,
    Action.COMPOSE_AUDIENCE_SET,
    Action.COMPOSE_PICK,
    Action.COMPOSE_PAGE,
    Action.COMPOSE_PICKED,
    Action.COMPOSE_SEND,
    Action.COMPOSE_CANCEL,
    Action.COMPOSE_RESEND,
    Action.DIRECTIVE_UNACKED,
)
_STATS = (
    Action.STATS_DETAIL,
    Action.STATS_LATE,
    Action.STATS_XLSX,
    Action.STATS_NUDGE,
    Action.LATE_INVITE,
    Action.PROVINCE_NUDGE,
)
_SCHEDULES = (
    Action.SCHEDULE_RUN,
    Action.SCHEDULE_TOGGLE,
    Action.SCHEDULE_DELETE,
    Action.SCHEDULE_EDIT,
    Action.SCHEDULE_ADD,
    Action.SCHEDULE_KIND,
    Action.SCHEDULE_DELETE_YES,
    Action.SCHEDULE_KEEP,
    Action.SCHEDULE_PICK_DAY,
    Action.SCHEDULE_PICK_HOUR,
)
_MODEL_SHARING = (
    Action.MODEL_START,
    Action.MODEL_PREVIEW,
    Action.MODEL_SEND,
    Action.MODEL_CANCEL,
    Action.MODEL_SHOW,
)
_MODEL_REVIEW = (
    Action.MODEL_APPROVE,
    Action.MODEL_REJECT,
    Action.MODEL_TITLE,
    Action.MODEL_AUDIENCE,
    Action.MODEL_AUDIENCE_SET,
    Action.MODEL_PICK,
    Action.MODEL_PAGE,
    Action.MODEL_PICKED,
    Action.MODEL_SPREAD,
    Action.MODEL_PROVINCE,
)
_COMMENDATION = (
    Action.COMMEND_PERIOD,
    Action.COMMEND_REMOVE,
    Action.COMMEND_REASON,
    Action.COMMEND_ADD,
    Action.COMMEND_PICK,
    Action.COMMEND_PAGE,
    Action.COMMEND_PICKED,
    Action.COMMEND_PDF,
    Action.COMMEND_SEND,
    Action.COMMEND_CANCEL,
    Action.PROVINCE_COMMEND,
)
_UNITS = (
    Action.UNIT_PAGE,
    Action.UNIT_SHOW,
    Action.UNIT_REMOVE,
    Action.UNIT_REMOVE_YES,
    Action.UNIT_ADULTS,
    Action.UNIT_RENAME,
    Action.UNIT_INVITE,
    Action.UNIT_ARCHIVE,
    Action.UNIT_ARCHIVE_YES,
    Action.UNIT_KEEP,
    Action.UNIT_IMPORT,
    Action.UNIT_IMPORT_CANCEL,
)

# Every button's action decides who may press it; a test checks that each one is here.
CALLBACK_ROLES: Mapping[Action, Roles] = {
    Action.REPORT_START: REGISTERED,
    Action.REPORT_SKIP: REGISTERED,
    Action.REPORT_CONFIRM: REGISTERED,
    Action.REPORT_EDIT: REGISTERED,
    Action.REPORT_NOTE: REGISTERED,
    Action.FREE_CONFIRM: REGISTERED,
    Action.FREE_EDIT: REGISTERED,
    Action.ASK_SEND: REGISTERED,
    Action.ASK_FLAG: REGISTERED,
    Action.PROGRESS: REGISTERED,
    Action.HELP: REGISTERED,
    Action.ACK: REGISTERED,
    Action.REGISTER_JOIN: REGISTERED,
    Action.REGISTER_KEEP: REGISTERED,
    Action.LANGUAGE: ANYONE,
    # Whoever is in the thread's unit answers the commune (the handler checks the unit).
    Action.THREAD_WRITE: REGISTERED,
    Action.THREAD_ANSWER: STAFF,
    Action.THREAD_RESOLVE: STAFF,
    Action.THREAD_LIST: STAFF,
    **dict.fromkeys(_COMPOSER, STAFF),
    **dict.fromkeys(_STATS, STAFF),
    **dict.fromkeys(_SCHEDULES, STAFF),
    **dict.fromkeys(_MODEL_SHARING, REGISTERED),
    **dict.fromkeys(_MODEL_REVIEW, STAFF),
    **dict.fromkeys(_COMMENDATION, STAFF),
    **dict.fromkeys(_UNITS, ADMINS),
}


# What someone who is not registered may still do; everything else gets how to register.
STRANGER_COMMANDS = frozenset({"start", "huongdan", "ngonngu", "huy"})
STRANGER_ACTIONS = frozenset({Action.LANGUAGE})


def command_allowed(command: str, role: Role | None) -> bool:
    """Tell whether `role` may use /command; unknown commands are left to the handlers."""
    allowed = COMMAND_ROLES.get(command)
    return allowed is None or role in allowed


def callback_allowed(data: str, role: Role | None) -> bool:
    """Tell whether `role` may press a button; data we never built is refused."""
    action = action_of(data)
    allowed = CALLBACK_ROLES.get(action) if action is not None else None
    return allowed is not None and role in allowed


def menu_for(role: Role | None) -> list[str]:
    """Return the commands shown in the menu of `role`, in table order."""
    return [command for command, roles in COMMAND_ROLES.items() if role in roles]
