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


def role_from_text(text: str) -> Role | None:
    """The role a word names ("cán bộ", "quản trị", "trưởng thôn", "officer"…), or None."""
    return ROLE_WORDS.get(" ".join(fold(text).split()))
