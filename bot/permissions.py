"""The one table of who may use which command or button; menus are derived from it."""

from __future__ import annotations

from collections.abc import Mapping

from models import Role

ANYONE: frozenset[Role | None] = frozenset({None, Role.HEAD, Role.OFFICER, Role.ADMIN})
REGISTERED: frozenset[Role | None] = frozenset({Role.HEAD, Role.OFFICER, Role.ADMIN})
STAFF: frozenset[Role | None] = frozenset({Role.OFFICER, Role.ADMIN})
ADMINS: frozenset[Role | None] = frozenset({Role.ADMIN})
HEADS: frozenset[Role | None] = frozenset({Role.HEAD})

# Order matters: it is the order of each role's command menu.
COMMAND_ROLES: Mapping[str, frozenset[Role | None]] = {
    "start": ANYONE,
    "huongdan": ANYONE,
    "huy": ANYONE,
    "baocao": REGISTERED,
    "tiendo": REGISTERED,
    "thongbao": STAFF,
    "thongke": STAFF,
    "chuabaocao": STAFF,
    "xuatexcel": STAFF,
    "lich": STAFF,
    "donvi": ADMINS,
    "moi": ADMINS,
    "phanquyen": ADMINS,
}

# Inline buttons carry "prefix:payload"; the prefix decides who may press them.
CALLBACK_ROLES: Mapping[str, frozenset[Role | None]] = {
    "report": REGISTERED,
    "ack": REGISTERED,
    "dir": STAFF,
    "dirinfo": STAFF,
    "stats": STAFF,
    "sched": STAFF,
}


def command_allowed(command: str, role: Role | None) -> bool:
    """Tell whether `role` may use /command; unknown commands are left to the handlers."""
    allowed = COMMAND_ROLES.get(command)
    return allowed is None or role in allowed


def callback_allowed(data: str, role: Role | None) -> bool:
    """Tell whether `role` may press a button; unknown prefixes are refused."""
    allowed = CALLBACK_ROLES.get(data.split(":", 1)[0])
    return allowed is not None and role in allowed


def menu_for(role: Role | None) -> list[str]:
    """Return the commands shown in the menu of `role`, in table order."""
    return [command for command, roles in COMMAND_ROLES.items() if role in roles]
