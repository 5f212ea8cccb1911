"""Role words as admins type them, in Vietnamese (with or without diacritics) or English."""

from __future__ import annotations

from bot.services.common.folding import fold
from models import Role

ROLE_WORDS = {
    "admin": Role.ADMIN,
    "quan tri": Role.ADMIN,
    "quan tri vien": Role.ADMIN,
    "qtv": Role.ADMIN,
    "officer": Role.OFFICER,
    "can bo": Role.OFFICER,
    "can bo xa": Role.OFFICER,
    "canbo": Role.OFFICER,
    "head": Role.HEAD,
    "truong thon": Role.HEAD,
    "truong buon": Role.HEAD,
    "truong thon/buon": Role.HEAD,
    "truongthon": Role.HEAD,
}


# "Take every role away": `/phanquyen <id> bỏ` (or "thu hồi").
REVOKE_WORDS = frozenset({"bo", "thu hoi", "go", "revoke", "remove"})


def is_revoke_word(text: str) -> bool:
    """Whether the text asks to take the roles away rather than to grant one."""
    return " ".join(fold(text).split()) in REVOKE_WORDS


def role_from_text(text: str) -> Role | None:
    """The role a word names ("cán bộ", "quản trị", "trưởng thôn", "officer"…), or None."""
    return ROLE_WORDS.get(" ".join(fold(text).split()))
