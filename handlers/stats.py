"""/thongke, /chuabaocao and /xuatexcel: what officers and admins see, send upward and print."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler

from bot.documents.chart import Bar
from bot.services.broadcasts.chase import chase_now
from bot.services.registry.invites import deep_link, unit_invite
from bot.services.reports.periods import DeadlineRule
from bot.services.stats.export_data import export_data
from bot.services.stats.stats import (
    LateContact,
    LateList,
    LateUnit,
    Summary,
    UnitStat,
    chart_bars,
    late_list,
    overview,
)
from bot.telegram.context import BotApplication, BotContext
from bot.telegram.ui.callbacks import Action, args_of, build, int_arg, pattern
from bot.telegram.ui.keyboards import buttons
from bot.telegram.ui.reply_keyboard import label_filter
from bot.texts import N_, Html, Translator
from bot.texts.directives import change_phrase
from bot.texts.formatting import split_for_telegram
from bot.texts.labels import commune_title
from handlers.common import callback_data, invite_limits, message_of, now_utc
from handlers.province import (
    by_scope,
    drill_scope,
    drilled_commune,
    nudge_commune,
    scope_name,
    sees_whole_province,
    send_province_excel,
    show_province,
    show_province_late,
)

DETAIL_PAGE = 20
RANKED = 5
# Telegram shows up to 100 buttons; the names of any further units are in the text above.
MAX_INVITE_BUTTONS = 80


def _percent(t: Translator, value: float | None) -> str:
    """Render "38,2%", or "—" when unknown."""
    return t.percent(value) if value is not None else "—"


def _ranked(t: Translator, stat: UnitStat) -> Html:
    """One line of the top/bottom lists."""
    return t(
        "stats.ranked",
        unit=stat.name,
        percent=_percent(t, stat.percent),
        enrolled=stat.enrolled or 0,
    )


def render_summary(t: Translator, summary: Summary, commune: str) -> Html:
    """The /thongke text."""
    lines: list[str] = [
        t(
            "stats.summary",
            commune=commune_title(t, commune),
            period=summary.period.label,
            adults=summary.adults,
            enrolled=summary.enrolled,
            percent=_percent(t, summary.percent),
            completed=summary.completed,
            change=change_phrase(t, summary.enrolled - summary.previous_enrolled),
            reported=summary.residential_reported,
            units=summary.residential_units,
            agencies_reported=summary.agency_reported,
            agencies=summary.agency_units,
            agencies_enrolled=summary.agency_enrolled,
        )
    ]
    lines.append(t("stats.open_threads", count=summary.open_threads))
    if summary.flags:
        lines.append(t("stats.flags", count=summary.flags, handled=summary.flags_handled))
    if summary.top:
        lines += ["", t("stats.top"), *(_ranked(t, s) for s in summary.top[:RANKED])]
    if summary.bottom:
        lines += ["", t("stats.bottom"), *(_ranked(t, s) for s in summary.bottom[:RANKED])]
    return Html("\n".join(lines))


async def show_stats(update: Update, context: BotContext) -> None:
    """/thongke: the sender's commune; a province's every commune; `/thongke CODE` one of them."""
    await by_scope(update, context, _show_commune, show_province)


async def _show_commune(update: Update, context: BotContext, commune: str, controls: bool) -> None:
    """Send one commune's summary text (with its buttons when asked), then the chart."""
    t, settings = context.t, context.deps.settings
    summary, stats = await overview(context.deps.db, now_utc(), settings.tz, settings.report_period)
    if not stats:
        await message_of(update).reply_text(t("stats.no_units"))
        return
    await message_of(update).reply_text(
        render_summary(t, summary, commune), reply_markup=_summary_buttons(t, summary, controls)
    )
    bars = chart_bars(stats)
    if bars:
        await _send_chart(update, context, bars, summary.period.label, commune)


def _summary_buttons(t: Translator, summary: Summary, controls: bool) -> InlineKeyboardMarkup:
    """The commune's own buttons; a province's drill-down gets "Chi tiết" only, which reads."""
    if not controls:
        return buttons([(t("button.detail"), build(Action.STATS_DETAIL, 0, drilled_commune()))])
    rows: list[list[tuple[str, str]]] = [
        [(t("button.detail"), build(Action.STATS_DETAIL, 0))],
        [
            (t("button.late"), build(Action.STATS_LATE)),
            (t("button.excel"), build(Action.STATS_XLSX)),
        ],
    ]
    if summary.open_threads:
        label = t.plain("button.threads", count=summary.open_threads)
        rows.append([(label, build(Action.THREAD_LIST))])
    return buttons(*rows)


async def _send_chart(
    update: Update, context: BotContext, bars: list[Bar], period_label: str, commune: str
) -> None:
    """The chart as phone pages (one photo, or an album), or one file past ten pages."""
    from bot.documents.chart import chart_pages, chart_png, fits_an_album

    t, settings = context.t, context.deps.settings
    title = t.plain("chart.title", commune=commune_title(t, commune))
    subtitle = t.plain("chart.period", period=period_label)
    message = message_of(update)
    if fits_an_album(len(bars)):
        pages = chart_pages(bars, settings.target_percent, title, subtitle, t)
        if len(pages) == 1:
            await message.reply_photo(pages[0])
            return
        album = [
            InputMediaPhoto(
                page, caption=t("stats.chart_album", pages=len(pages)) if not i else None
            )
            for i, page in enumerate(pages)
        ]
        await message.reply_media_group(album)
        return
    # Past an album's ten photos: one file, whose labels stay sharp when zoomed.
    png = chart_png(bars, settings.target_percent, title, subtitle, t)
    today = now_utc().astimezone(settings.tz)
    await message.reply_document(
        png,
        filename=f"bieu-do-tien-do-{today:%Y-%m-%d}.png",
        caption=t("stats.chart_file", count=len(bars)),
    )


def _detail_line(t: Translator, stat: UnitStat) -> Html:
    """One unit in "Chi tiết"."""
    return t(
        "stats.detail_line",
        mark="✅" if stat.reported_this_period else "⏳",
        unit=stat.name,
        enrolled=stat.enrolled or 0,
        adults=t.number(stat.adults) if stat.adults else "?",
        percent=_percent(t, stat.percent),
    )


async def show_detail(update: Update, context: BotContext) -> None:
    """A page of the per-unit table (a drill-down's carries its commune)."""
    data = callback_data(update)
    page = int_arg(data, Action.STATS_DETAIL)
    carried = len(args_of(data, Action.STATS_DETAIL)) > 1
    drilled = int_arg(data, Action.STATS_DETAIL, 1) if carried else None
    with await drill_scope(context, drilled):
        await _send_detail(update, context, page, drilled)


async def _send_detail(update: Update, context: BotContext, page: int, drilled: int | None) -> None:
    """The page, with ◀ ▶ carrying the same commune."""
    t, settings = context.t, context.deps.settings
    _, stats = await overview(context.deps.db, now_utc(), settings.tz, settings.report_period)
    rows = sorted(stats, key=lambda s: (not s.residential, s.percent or -1.0))
    chunk = rows[page * DETAIL_PAGE : (page + 1) * DETAIL_PAGE]
    first = page * DETAIL_PAGE + 1
    lines = [t("stats.detail_header", first=first, last=first + len(chunk) - 1, total=len(rows))]
    lines += [_detail_line(t, s) for s in chunk]
    carried = () if drilled is None else (drilled,)
    navigation = []
    if page > 0:
        navigation.append((t("button.previous"), build(Action.STATS_DETAIL, page - 1, *carried)))
    if (page + 1) * DETAIL_PAGE < len(rows):
        navigation.append((t("button.next"), build(Action.STATS_DETAIL, page + 1, *carried)))
    query = update.callback_query
    assert query is not None
    await query.answer()
    await message_of(update).reply_text(
        "\n".join(lines), reply_markup=buttons(navigation) if navigation else None
    )


def _mention(t: Translator, contact: LateContact) -> Html:
    """A tappable name: Telegram opens the person's chat, username or not."""
    return t(
        "late.contact", user_id=str(contact.user_id), name=contact.name or t.plain("late.unnamed")
    )


def _last_report(t: Translator, item: LateUnit, context: BotContext) -> str:
    """When the unit last reported, and what; or that it never did."""
    stat = item.stat
    if stat.reported_at is None:
        return t.plain("late.never")
    when = t.date(stat.reported_at.astimezone(context.deps.settings.tz).date())
    return t.plain("late.last", date=when, enrolled=stat.enrolled or 0)


def _reachable_lines(t: Translator, late: LateList, context: BotContext) -> list[str]:
    """Units with someone registered: each with its contacts to tap and its last report."""
    lines: list[str] = [t("late.registered_header", count=len(late.reachable))]
    for item in late.reachable:
        contacts = Html(t.join([_mention(t, contact) for contact in item.contacts]))
        lines.append(
            t(
                "late.line",
                unit=item.stat.name,
                contacts=contacts,
                last=_last_report(t, item, context),
            )
        )
    return lines


def _invite_buttons(t: Translator, late: LateList) -> InlineKeyboardMarkup:
    """One button per unit with nobody to reach: it brings that unit's invite to forward."""
    units = late.unregistered[:MAX_INVITE_BUTTONS]
    pairs = [(item.stat.name, build(Action.LATE_INVITE, item.stat.code)) for item in units]
    return buttons(*[pairs[i : i + 2] for i in range(0, len(pairs), 2)])


async def show_late(update: Update, context: BotContext) -> None:
    """/chuabaocao: the sender's commune; a province's communes; `/chuabaocao CODE` one."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    # Also from an old or forged "⏰ Chưa báo cáo": the province reads it by commune.
    await by_scope(update, context, _show_late_units, show_province_late)


async def _show_late_units(
    update: Update, context: BotContext, _commune: str, controls: bool
) -> None:
    """The late units: first those with someone to chase, then those with nobody to reach.

    Without `controls` (a province's drill-down), no "Nhắc ngay": it would chase the province.
    """
    t, settings = context.t, context.deps.settings
    late = await late_list(context.deps.db, now_utc(), settings.tz, settings.report_period)
    if not late.late:
        await message_of(update).reply_text(t("late.all_reported"))
        return
    # The heading opens the first message, whichever group comes first.
    lead: list[str] = [
        t("late.header", period=late.period.label, count=len(late.late), total=late.units),
        "",
    ]
    message = message_of(update)
    if late.reachable:
        nudge = (
            buttons([(t.plain("button.nudge", people=late.people), build(Action.STATS_NUDGE))])
            if controls
            else None
        )
        chunks = split_for_telegram([*lead, *_reachable_lines(t, late, context)])
        for index, chunk in enumerate(chunks):
            last_chunk = index == len(chunks) - 1
            await message.reply_text(chunk, reply_markup=nudge if last_chunk else None)
        lead = []
    if late.unregistered:
        # Each unit is a button (named once, not listed above its button again); only units
        # past the buttons' cap are named in the text.
        beyond = late.unregistered[MAX_INVITE_BUTTONS:]
        count = len(late.unregistered)
        if beyond:
            names = t.join([item.stat.name for item in beyond])
            text = t("late.unregistered", count=count, units=names)
        else:
            text = t("late.unregistered_tap", count=count)
        chunks = split_for_telegram([*lead, text])
        for index, chunk in enumerate(chunks):
            last_chunk = index == len(chunks) - 1
            markup = _invite_buttons(t, late) if last_chunk else None
            await message.reply_text(chunk, reply_markup=markup)


async def send_late_invite(update: Update, context: BotContext) -> None:
    """Handle a unit's button in the late list: its invite link and QR, ready to forward."""
    from bot.documents.qr import qr_png

    t = context.t
    query = update.callback_query
    assert query is not None
    [code] = args_of(callback_data(update), Action.LATE_INVITE)
    invite = await unit_invite(
        context.deps.db,
        code,
        now_utc(),
        invite_limits(context.deps.settings),
        regenerate=False,
        actor_user_id=context.who.user_id,
    )
    if invite is None:
        await query.answer(t.plain("units.unknown"), show_alert=True)
        return
    await query.answer(t.plain("late.forward_hint"))
    link = deep_link(context.deps.bot_username, invite.code)
    await message_of(update).reply_photo(
        qr_png(link), caption=t("invites.caption", unit=invite.unit_name, link=link)
    )


async def nudge_late(update: Update, context: BotContext) -> None:
    """Handle "Nhắc ngay": queue a chase to the late units' contacts via the outbox."""
    t, settings = context.t, context.deps.settings
    query = update.callback_query
    assert query is not None
    if await sees_whole_province(context):
        # One press must not chase a whole province: its communes are reminded one by one.
        await query.answer(t.plain("province.nudge_by_commune"), show_alert=True)
        return
    result = await chase_now(
        context.deps.db,
        context.deps.outbox,
        actor_user_id=context.who.user_id,
        now=now_utc(),
        tz=settings.tz,
        period_kind=settings.report_period,
        deadline_rule=DeadlineRule.from_settings(settings),
    )
    if result.late_units == 0:
        await query.answer(t.plain("late.all_reported"), show_alert=True)
        return
    if result.recent_at is not None:
        at = t.datetime(result.recent_at, settings.tz)
        await query.answer(t.plain("late.chased_recently", at=at), show_alert=True)
        return
    if result.recipients == 0:
        await query.answer(t.plain("late.nobody_to_chase"), show_alert=True)
        return
    await query.answer()
    skipped = result.late_units - result.chased_units
    key = N_("late.nudged_skipping") if skipped else N_("late.nudged")
    await message_of(update).reply_text(
        t(key, units=result.chased_units, people=result.recipients, skipped=skipped)
    )


async def send_excel(update: Update, context: BotContext) -> None:
    """The report as XLSX (to work with) and as PDF (to print, sign and file)."""
    from bot.documents.report_pdf import report_pdf
    from bot.documents.report_table import Signatures
    from bot.documents.xlsx import build_workbook

    if update.callback_query is not None:
        await update.callback_query.answer()
    if await sees_whole_province(context):
        await send_province_excel(update, context)
        return
    t, settings = context.t, context.deps.settings
    now = now_utc()
    data = await export_data(context.deps.db, now, settings.tz, settings.report_period)
    period = data.summary.period
    signatures = Signatures.from_settings(settings)
    # Named by the day of export: the period may end in the future.
    name = f"bao-cao-binh-dan-hoc-vu-so-{now.astimezone(settings.tz):%Y-%m-%d}"
    message = message_of(update)
    commune = await scope_name(context)
    await message.reply_document(
        build_workbook(data, commune, signatures, settings.tz, t),
        filename=f"{name}.xlsx",
        caption=t("xlsx.caption", period=period.label),
    )
    await message.reply_document(
        report_pdf(data, commune, signatures, settings.tz, t),
        filename=f"{name}.pdf",
        caption=t("pdf.caption", period=period.label),
    )


def register(application: BotApplication) -> None:
    """Install the statistics commands and buttons."""
    application.add_handler(CommandHandler("thongke", show_stats))
    application.add_handler(MessageHandler(label_filter("thongke"), show_stats))
    application.add_handler(CommandHandler("chuabaocao", show_late))
    application.add_handler(MessageHandler(label_filter("chuabaocao"), show_late))
    application.add_handler(CommandHandler("xuatexcel", send_excel))
    application.add_handler(
        CallbackQueryHandler(show_detail, pattern=pattern(Action.STATS_DETAIL, r"\d+(:\d+)?"))
    )
    application.add_handler(CallbackQueryHandler(show_late, pattern=pattern(Action.STATS_LATE)))
    application.add_handler(CallbackQueryHandler(send_excel, pattern=pattern(Action.STATS_XLSX)))
    application.add_handler(CallbackQueryHandler(nudge_late, pattern=pattern(Action.STATS_NUDGE)))
    application.add_handler(
        CallbackQueryHandler(nudge_commune, pattern=pattern(Action.PROVINCE_NUDGE, "[0-9]{5}"))
    )
    application.add_handler(
        CallbackQueryHandler(
            send_late_invite, pattern=pattern(Action.LATE_INVITE, "[A-Za-z0-9_-]{1,32}")
        )
    )
