"""How good models, commendations and milestones read, in each reader's language.

Outbox messages of these kinds are stored as a catalog key and plain values; `LAYOUTS` lays
each one out as HTML blocks when the dispatcher sends it (bot/texts/directives.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.services.recognition.commendations import Achievement, merit_of
from bot.services.recognition.milestones import Reached
from bot.texts.catalog import N_, Html, Translator
from bot.texts.formatting import escape
from bot.texts.labels import commune_title
from models import MilestoneKind

MERITS = {
    Achievement.TOP_SHARE: N_("commend.merit.top_share"),
    Achievement.TOP_RISE: N_("commend.merit.top_rise"),
    Achievement.REACHED_TARGET: N_("commend.merit.reached_target"),
    Achievement.MODEL_SPREAD: N_("commend.merit.model_spread"),
    Achievement.PROPOSED: N_("commend.merit.proposed"),
}
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
OTHER_MEDAL = "🏅"


def threshold_text(t: Translator, value: float) -> str:
    """A milestone or target as people say it: "90%", or "87,5%" when not whole."""
    return t.percent(value, digits=0 if float(value).is_integer() else 1)


def _share(t: Translator, enrolled: int | None, adults: int | None) -> str:
    """Enrolled over adults as a percentage, or "—"."""
    if enrolled is None or not adults:
        return "—"
    return t.percent(100.0 * enrolled / adults)


def model_blocks(
    t: Translator, unit: str, title: str, text: str, commune: str, course_url: str
) -> list[Html]:
    """The heading "🌟 Mô hình hay — <unit>: <title>", the text, the credit and course link."""
    blocks = [t("model.spread", unit=unit, title=title)]
    if text.strip():
        blocks.append(Html(escape(text.strip())))
    blocks.append(t("model.credit", unit=unit, commune=commune_title(t, commune)))
    blocks.append(t("directive.course", url=course_url))
    return blocks


def _spread(t: Translator, params: dict[str, Any], commune: str, course_url: str) -> list[Html]:
    """The good model as every unit receives it."""
    return model_blocks(t, params["unit"], params["title"], params["text"], commune, course_url)


def _spread_province(
    t: Translator, params: dict[str, Any], commune: str, course_url: str
) -> list[Html]:
    """A commune's good model as the province passes it on to the other communes."""
    blocks = [
        t(
            "model.spread_province",
            unit=params["unit"],
            commune=params["commune"],
            title=params["title"],
        )
    ]
    if params["text"].strip():
        blocks.append(Html(escape(params["text"].strip())))
    blocks.append(
        t(
            "model.credit_province",
            province=params["province"],
            unit=params["unit"],
            commune=params["commune"],
        )
    )
    blocks.append(t("directive.course", url=course_url))
    return blocks


def _review(t: Translator, params: dict[str, Any], commune: str, course_url: str) -> list[Html]:
    """The model as officers receive it, to approve or refuse."""
    blocks = [t("model.review", unit=params["unit"], author=params["author"] or "—")]
    blocks.append(t("model.spread", unit=params["unit"], title=params["title"]))
    if params["text"].strip():
        blocks.append(Html(escape(params["text"].strip())))
    blocks.append(t("model.review_hint"))
    return blocks


def _thanks(t: Translator, params: dict[str, Any], commune: str, course_url: str) -> list[Html]:
    """The unit is thanked when its model is approved."""
    return [t("model.thanks", unit=params["unit"], title=params["title"])]


def _rejected(t: Translator, params: dict[str, Any], commune: str, course_url: str) -> list[Html]:
    """The unit is told kindly, with the officer's reason."""
    return [
        t("model.rejected", unit=params["unit"], title=params["title"], reason=params["reason"])
    ]


def merit_text(t: Translator, entry: Sequence[Any], values: dict[str, Any]) -> str:
    """One stored achievement of a commended unit, with the figures that show it (plain text)."""
    merit = merit_of(entry)
    kind, rank = merit.achievement, merit.rank
    enrolled, adults = values.get("enrolled"), values.get("adults")
    percent = _share(t, enrolled, adults)
    if kind == Achievement.TOP_SHARE:
        return t.plain(
            MERITS[kind],
            rank=rank or 0,
            percent=percent,
            enrolled=enrolled or 0,
            adults=adults or 0,
        )
    if kind == Achievement.TOP_RISE:
        rise = int(values.get("rise") or 0)
        points = t.decimal(100.0 * rise / adults) if adults else "—"
        return t.plain(MERITS[kind], rank=rank or 0, rise=rise, points=points)
    if kind == Achievement.REACHED_TARGET:
        return t.plain(
            MERITS[kind], target=threshold_text(t, float(values["target"])), percent=percent
        )
    if kind == Achievement.MODEL_SPREAD:
        return t.plain(MERITS[kind], models=int(values.get("models") or 0))
    if merit.reason:
        return t.plain("commend.merit.reason", reason=merit.reason)
    return t.plain(MERITS[kind])


def merits_text(t: Translator, values: dict[str, Any], separator: str = "; ") -> str:
    """Every achievement of a unit, joined (plain text)."""
    return separator.join(merit_text(t, entry, values) for entry in values["merits"])


def medal(values: dict[str, Any]) -> str:
    """🥇🥈🥉 for the three highest shares, 🏅 for every other commended unit."""
    achievement, rank = values["merits"][0][:2]
    if achievement == Achievement.TOP_SHARE.value and rank in MEDALS:
        return MEDALS[rank]
    return OTHER_MEDAL


def commend_lines(t: Translator, units: Sequence[dict[str, Any]], target: float) -> list[Html]:
    """One line per commended unit: medal, name and achievements."""
    return [
        t(
            "commend.line",
            number=str(number),
            medal=medal(values),
            unit=values["unit"],
            merits=merits_text(t, {**values, "target": target}),
        )
        for number, values in enumerate(units, start=1)
    ]


def _commend_list(
    t: Translator, params: dict[str, Any], commune: str, course_url: str
) -> list[Html]:
    """The list every unit receives, "🏆 Biểu dương kỳ …"."""
    return [
        t("commend.list", period=params["period"], commune=commune_title(t, commune)),
        *commend_lines(t, params["units"], float(params["target"])),
        t("commend.list_end"),
    ]


def _congrats(t: Translator, params: dict[str, Any], commune: str, course_url: str) -> list[Html]:
    """A commended unit's own congratulation, naming what it achieved."""
    lines = [
        t("commend.merit_line", merit=merit_text(t, entry, params)) for entry in params["merits"]
    ]
    return [
        t(
            "commend.congrats",
            unit=params["unit"],
            period=params["period"],
            commune=commune_title(t, commune),
        ),
        Html("\n".join(lines)),
        t("commend.congrats_end", unit=params["unit"]),
    ]


def _milestone_line(
    t: Translator, params: dict[str, Any], commune: str, course_url: str
) -> list[Html]:
    """Officers' one line about a unit's milestone."""
    key = N_("milestone.officers.target") if params["target"] else N_("milestone.officers")
    return [
        t(
            key,
            unit=params["unit"],
            threshold=threshold_text(t, float(params["threshold"])),
            percent=t.percent(float(params["percent"])),
            enrolled=int(params["enrolled"]),
            adults=int(params["adults"]),
        )
    ]


def milestone_congrats(t: Translator, unit: str, reached: Sequence[Reached]) -> Html:
    """The "🎉 Chúc mừng …" under the echo of a report that reached a milestone (the highest)."""
    top = reached[-1]
    key = (
        N_("milestone.congrats.target")
        if top.kind == MilestoneKind.TARGET
        else N_("milestone.congrats")
    )
    return t(
        key,
        unit=unit,
        threshold=threshold_text(t, top.threshold),
        percent=t.percent(top.percent),
    )


def province_commend_lines(t: Translator, communes: Sequence[Any], target: float) -> list[Html]:
    """One line per commune of the province's list: medal, name, places and target."""
    lines = []
    for number, (name, percent, share_rank, rise_rank, reached) in enumerate(communes, start=1):
        merits = []
        if share_rank:
            shown = t.percent(percent) if percent is not None else "—"
            merits.append(t.plain("province.commend.share", rank=share_rank, percent=shown))
        if rise_rank:
            merits.append(t.plain("province.commend.rise", rank=rise_rank))
        if reached:
            merits.append(t.plain("province.commend.target", target=threshold_text(t, target)))
        lines.append(
            t(
                "province.commend.line",
                number=str(number),
                medal=MEDALS.get(share_rank or 0, OTHER_MEDAL),
                name=name,
                merits="; ".join(merits),
            )
        )
    return lines


def _province_commend_list(
    t: Translator, params: dict[str, Any], commune: str, course_url: str
) -> list[Html]:
    """The province's list, as every commune's officers receive it."""
    return [
        t("province.commend.title", province=params["province"], period=params["period"]),
        *province_commend_lines(t, params["communes"], float(params["target"])),
        t("province.commend.end"),
    ]


Layout = Callable[[Translator, dict[str, Any], str, str], list[Html]]

# Outbox messages laid out here, by their catalog key: (translator, values, commune, course link).
LAYOUTS: dict[str, Layout] = {
    N_("model.spread"): _spread,
    N_("model.spread_province"): _spread_province,
    N_("model.review"): _review,
    N_("model.thanks"): _thanks,
    N_("model.rejected"): _rejected,
    N_("commend.list"): _commend_list,
    N_("province.commend_list"): _province_commend_list,
    N_("commend.congrats"): _congrats,
    N_("milestone.officers"): _milestone_line,
}
