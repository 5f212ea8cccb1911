"""How the bot's own words (roles, unit kinds, commune kinds) read to people."""

from __future__ import annotations

from bot.texts.catalog import N_, Translator
from models import CommuneKind, Role, UnitKind, split_commune_name

ROLE_LABELS = {
    Role.HEAD: N_("role.head"),
    Role.OFFICER: N_("role.officer"),
    Role.ADMIN: N_("role.admin"),
}
KIND_LABELS = {
    UnitKind.THON: N_("kind.thon"),
    UnitKind.BUON: N_("kind.buon"),
    UnitKind.TO_DAN_PHO: N_("kind.to_dan_pho"),
    UnitKind.CO_QUAN: N_("kind.co_quan"),
    UnitKind.TRUONG_HOC: N_("kind.truong_hoc"),
    UnitKind.KHAC: N_("kind.khac"),
}

# "xã Ea Knốp", "phường Tân An": a text naming the commune takes its kind word from here.
COMMUNE_TITLES = {
    CommuneKind.COMMUNE: N_("commune.title.xa"),
    CommuneKind.WARD: N_("commune.title.phuong"),
    CommuneKind.SPECIAL_ZONE: N_("commune.title.dac_khu"),
}


def role_label(t: Translator, role: Role) -> str:
    """How a role reads to people."""
    return t.plain(ROLE_LABELS[role])


def kind_label(t: Translator, kind: UnitKind) -> str:
    """How a unit kind reads to people."""
    return t.plain(KIND_LABELS[kind])


def commune_title(t: Translator, name: str) -> str:
    """A commune named with its own kind: "xã Ea Knốp", "phường Tân An" (never "xã Phường")."""
    kind, bare = split_commune_name(name)
    return t.plain(COMMUNE_TITLES[kind], name=bare)
