"""Role words as admins type them, in Vietnamese (with or without diacritics) or English."""

from __future__ import annotations

from bot.services.common.folding import fold
from bot.services.registry.contacts import PROVINCE
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


# "/phanquyen <id> cán bộ tỉnh": a province officer, over every commune.
PROVINCE_WORDS = frozenset({"tinh", "province"})
COMMUNE_CODE_DIGITS = 5


def split_scope(text: str) -> tuple[str, str | None]:
    """The role words and the scope after them: a commune code, PROVINCE, or None.

    "cán bộ 24001" → ("cán bộ", "24001"); "cán bộ tỉnh" → ("cán bộ", PROVINCE). A number of
    another length is returned as it is, for the caller to refuse.
    """
    words = text.split()
    if len(words) < 2:
        return text, None
    last = words[-1]
    if fold(last) in PROVINCE_WORDS:
        return " ".join(words[:-1]), PROVINCE
    if last.isascii() and last.isdigit():
        return " ".join(words[:-1]), last
    return text, None


def is_commune_code(scope: str) -> bool:
    """Whether a typed scope is a commune code's shape (5 digits) or the province."""
    return scope == PROVINCE or (len(scope) == COMMUNE_CODE_DIGITS and scope.isdigit())


def role_from_text(text: str) -> Role | None:
    """The role a word names ("cán bộ", "quản trị", "trưởng thôn", "officer"…), or None."""
    return ROLE_WORDS.get(" ".join(fold(text).split()))
