"""Units in words: /donvi's pages, a unit's card, and a refused unit file's bad lines."""

from __future__ import annotations

from bot.services.registry.directory import UnitLine
from bot.services.registry.unit_admin import UnitCard
from bot.services.registry.unit_import import Problem, RowError, UnitFileError, UnitRow
from bot.services.registry.units import Preview
from bot.texts.catalog import N_, Html, Translator
from bot.texts.labels import kind_label, role_label

PROBLEMS = {
    Problem.MISSING_COLUMNS: N_("units.file.missing_columns"),
    Problem.EMPTY_FILE: N_("units.file.empty"),
    Problem.NO_ROWS: N_("units.file.no_rows"),
    Problem.BAD_CODE: N_("units.file.bad_code"),
    Problem.BAD_NAME: N_("units.file.bad_name"),
    Problem.BAD_KIND: N_("units.file.bad_kind"),
    Problem.BAD_ADULTS: N_("units.file.bad_adults"),
    Problem.DUPLICATE_CODE: N_("units.file.duplicate_code"),
    Problem.DUPLICATE_NAME: N_("units.file.duplicate_name"),
    Problem.BAD_COMMUNE_CODE: N_("units.file.bad_commune_code"),
    Problem.BAD_COMMUNE_NAME: N_("units.file.bad_commune_name"),
    Problem.COMMUNE_TWO_NAMES: N_("units.file.commune_two_names"),
    Problem.CODE_IN_TWO_COMMUNES: N_("units.file.code_in_two_communes"),
    Problem.CODE_IN_OTHER_COMMUNE: N_("units.file.code_in_other_commune"),
    Problem.COMMUNES_NEEDED: N_("units.file.communes_needed"),
    Problem.TOO_BIG: N_("units.file.too_big"),
    Problem.TOO_MANY_ROWS: N_("units.file.too_many_rows"),
    Problem.LEGACY_XLS: N_("units.file.legacy_xls"),
    Problem.BAD_XLSX: N_("units.file.bad_xlsx"),
    Problem.BAD_ENCODING: N_("units.file.bad_encoding"),
    Problem.BAD_CSV: N_("units.file.bad_csv"),
    Problem.MERGED: N_("units.file.merged"),
}


def row_error(t: Translator, error: RowError) -> str:
    """One bad line: "dòng 3: loại đơn vị 'x' không hợp lệ"."""
    reason = t.plain(PROBLEMS[error.problem], **dict(error.values))
    if error.line == 0:
        return reason  # the whole file
    return t.plain("units.file.line", line=str(error.line), reason=reason)


def unit_file_problems(t: Translator, error: UnitFileError) -> str:
    """The bad lines of a refused file, separated by semicolons; past the first ones, a count."""
    parts = [row_error(t, row) for row in error.errors]
    if error.more:
        parts.append(t.plain("units.file.more", count=error.more))
    return "; ".join(parts)


def adults_text(t: Translator, adults: int | None) -> str:
    """The number of adults as "1.250", or "chưa rõ" when the list has none."""
    return t.number(adults) if adults is not None else t.plain("units.unknown_adults")


def unit_line(t: Translator, line: UnitLine) -> Html:
    """One unit of the list: code, name, kind, adults and who registered."""
    registered = t("units.registered", count=line.contacts) if line.contacts else t("units.nobody")
    return t(
        "units.line",
        code=line.code,
        name=line.name,
        kind=kind_label(t, line.kind),
        adults=adults_text(t, line.adults),
        registered=registered,
    )


def directory_page(
    t: Translator, shown: list[UnitLine], *, total: int, page: int, pages: int
) -> Html:
    """A page of /donvi: a heading per group it reaches, then its units."""
    lines = [t("units.page_header", count=total, page=page + 1, pages=pages)]
    group: bool | None = None
    for line in shown:
        if line.kind.is_residential is not group:
            group = line.kind.is_residential
            key = N_("units.group.residential") if group else N_("units.group.agencies")
            lines += [Html(""), t(key)]
        lines.append(unit_line(t, line))
    lines += [Html(""), t("units.page_hint")]
    return Html("\n".join(lines))


def card_text(t: Translator, card: UnitCard) -> Html:
    """A unit's card: what it is, its figures and its people (or that it is archived)."""
    lines = [
        t("units.card.title", name=card.name, code=card.code),
        t("units.card.facts", kind=kind_label(t, card.kind), adults=adults_text(t, card.adults)),
    ]
    if card.enrolled is not None:
        lines.append(t("units.card.enrolled", enrolled=card.enrolled))
    if not card.active:
        lines += [Html(""), t("units.card.archived")]
        return Html("\n".join(lines))
    if not card.members:
        lines += [Html(""), t("units.card.nobody")]
        return Html("\n".join(lines))
    lines += [Html(""), t("units.card.members", count=len(card.members))]
    for member in card.members:
        lines.append(
            t(
                "units.card.member",
                name=member.name,
                role=role_label(t, member.role),
                user_id=str(member.user_id),
            )
        )
    return Html("\n".join(lines))


# Codes listed per group of a preview before "… và N đơn vị khác".
PREVIEW_LISTED = 10


def _codes(t: Translator, rows: tuple[UnitRow, ...]) -> str:
    """The codes and names, the first ten, then "… và 4 đơn vị khác"."""
    shown = "; ".join(f"{row.code} {row.name}" for row in rows[:PREVIEW_LISTED])
    more = len(rows) - PREVIEW_LISTED
    return shown + (t.plain("units.file.and_more", count=more) if more > 0 else "")


def preview_text(t: Translator, file_name: str, preview: Preview) -> Html:
    """What importing a unit file would do; nothing has changed yet."""
    total = len(preview.added) + len(preview.changed) + preview.unchanged
    lines = [t("units.file.preview", name=file_name, total=total)]
    if preview.added:
        lines.append(
            t("units.file.added", count=len(preview.added), units=_codes(t, preview.added))
        )
    if preview.changed:
        lines.append(
            t("units.file.changed", count=len(preview.changed), units=_codes(t, preview.changed))
        )
    lines.append(t("units.file.unchanged", count=preview.unchanged))
    if preview.added or preview.changed:
        lines += [Html(""), t("units.file.confirm")]
    else:
        lines += [Html(""), t("units.file.nothing")]
    return Html("\n".join(lines))
