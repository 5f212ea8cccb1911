"""/thongke, /chuabaocao and /xuatexcel: what officers and admins see, send upward and print."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import texts
from bot.context import BotApplication, BotContext
from bot.formatting import (
    escape,
    format_local_datetime,
    format_number,
    format_percent,
    split_for_telegram,
)
from bot.services.audience import Audience
from bot.services.chart import chart_png
from bot.services.directive_render import DirectiveContent
from bot.services.directives import create_directive
from bot.services.export_data import progress_workbook
from bot.services.periods import period_at
from bot.services.stats import (
    Summary,
    UnitStat,
    contact_names,
    late_units,
    summary_and_units,
)
from handlers.common import message_of, now_utc
from models import MessageKind

DETAIL_PAGE = 20


def _buttons() -> InlineKeyboardMarkup:
    """Build "Chi tiết", "Chưa báo cáo" and "Xuất Excel" under the summary."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(texts.BUTTON_DETAIL, callback_data="stats:detail:0")],
            [
                InlineKeyboardButton(texts.BUTTON_LATE, callback_data="stats:late"),
                InlineKeyboardButton(texts.BUTTON_EXCEL, callback_data="stats:xlsx"),
            ],
        ]
    )


def _percent(value: float | None) -> str:
    """Render "38,2%", or "—" when unknown."""
    return format_percent(value) if value is not None else "—"


def _change(delta: int) -> str:
    """Render "tăng 120", "giảm 3" or "không đổi"."""
    if delta == 0:
        return "không đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {format_number(abs(delta))}"


def _ranked(stat: UnitStat) -> str:
    """One line of the top/bottom lists."""
    return f"• {escape(stat.name)}: {_percent(stat.percent)} ({format_number(stat.enrolled or 0)})"


def render_summary(summary: Summary, commune: str, deadline: str | None) -> str:
    """The /thongke text."""
    return texts.summary_text(
        escape(commune),
        summary.period.label,
        format_number(summary.adults),
        format_number(summary.enrolled),
        _percent(summary.percent),
        format_number(summary.completed),
        f"{summary.residential_reported}/{summary.residential_units} thôn/buôn",
        f"{summary.agency_reported}/{summary.agency_units} đã báo cáo, "
        f"{format_number(summary.agency_enrolled)} người đăng ký",
        _change(summary.enrolled - summary.previous_enrolled),
        deadline,
        [_ranked(s) for s in summary.top],
        [_ranked(s) for s in summary.bottom],
    )


async def _load(context: BotContext) -> tuple[Summary, list[UnitStat]]:
    """The current summary and per-unit rows."""
    settings = context.deps.settings
    async with context.deps.read_session_factory() as session:
        return await summary_and_units(session, now_utc(), settings.tz, settings.report_period)


async def show_stats(update: Update, context: BotContext) -> None:
    """Send the summary text with its buttons, then the chart."""
    settings = context.deps.settings
    summary, stats = await _load(context)
    if not stats:
        await message_of(update).reply_text(texts.NO_DATA)
        return
    await message_of(update).reply_text(
        render_summary(summary, settings.commune_name, None), reply_markup=_buttons()
    )
    bars = [(s.name, s.percent) for s in stats if s.residential and s.percent is not None]
    if bars:
        png = chart_png(
            [(name, value) for name, value in bars if value is not None],
            settings.target_percent,
            texts.CHART_TITLE.format(commune=settings.commune_name),
            f"Kỳ {summary.period.label}",
        )
        await message_of(update).reply_photo(png)


async def show_detail(update: Update, context: BotContext) -> None:
    """A page of the per-unit table."""
    query = update.callback_query
    assert query is not None and query.data is not None
    page = int(query.data.removeprefix("stats:detail:"))
    _, stats = await _load(context)
    rows = sorted(stats, key=lambda s: (not s.residential, s.percent or -1.0))
    chunk = rows[page * DETAIL_PAGE : (page + 1) * DETAIL_PAGE]
    lines = [
        f"<b>Chi tiết ({page * DETAIL_PAGE + 1}–{page * DETAIL_PAGE + len(chunk)}/{len(rows)})</b>"
    ]
    lines += [
        f"{'✅' if s.reported_this_period else '⏳'} {escape(s.name)}: "
        f"{format_number(s.enrolled or 0)}/{format_number(s.adults) if s.adults else '?'} "
        f"({_percent(s.percent)})"
        for s in chunk
    ]
    navigation = []
    if page > 0:
        navigation.append(
            InlineKeyboardButton(texts.BUTTON_PREV, callback_data=f"stats:detail:{page - 1}")
        )
    if (page + 1) * DETAIL_PAGE < len(rows):
        navigation.append(
            InlineKeyboardButton(texts.BUTTON_NEXT, callback_data=f"stats:detail:{page + 1}")
        )
    await query.answer()
    await message_of(update).reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup([navigation]) if navigation else None
    )


async def show_late(update: Update, context: BotContext) -> None:
    """The units with no report this period, their contacts and last report, and "Nhắc ngay"."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    summary, stats = await _load(context)
    late = late_units(stats)
    if not late:
        await message_of(update).reply_text(texts.ALL_REPORTED)
        return
    async with context.deps.read_session_factory() as session:
        names = await contact_names(session, [s.unit_id for s in late])
    tz = context.deps.settings.tz
    lines = [texts.late_header(len(late), len(stats), summary.period.label)]
    for stat in late:
        people = ", ".join(escape(n) for n in names.get(stat.unit_id, [])) or texts.NOBODY
        last = format_local_datetime(stat.reported_at, tz)[:10] if stat.reported_at else texts.NEVER
        lines.append(texts.late_line(escape(stat.name), people, last))
    nudge = InlineKeyboardMarkup(
        [[InlineKeyboardButton(texts.BUTTON_NUDGE, callback_data="stats:nudge")]]
    )
    chunks = split_for_telegram(lines)
    for index, chunk in enumerate(chunks):
        last_chunk = index == len(chunks) - 1
        await message_of(update).reply_text(chunk, reply_markup=nudge if last_chunk else None)


async def nudge_late(update: Update, context: BotContext) -> None:
    """Handle "Nhắc ngay": queue a chase to every late unit's contacts via the outbox."""
    query = update.callback_query
    assert query is not None and query.message is not None
    summary, stats = await _load(context)
    late = late_units(stats)
    if not late:
        await query.answer(texts.ALL_REPORTED, show_alert=True)
        return
    content = DirectiveContent(
        kind=MessageKind.CHASE.value,
        subject=texts.NUDGE_SUBJECT,
        body=texts.chase_text(summary.period.label, None),
    )
    audience = Audience("units", tuple(s.code for s in late))
    async with context.deps.session_factory.begin() as session:
        _, count = await create_directive(
            session,
            content,
            audience,
            actor_user_id=context.who.user_id,
            now=now_utc(),
        )
    if count == 0:
        await query.answer(texts.NO_LATE_CONTACTS, show_alert=True)
        return
    await query.answer()
    context.deps.dispatcher.wake()
    await message_of(update).reply_text(texts.nudge_queued(count, len(late)))


async def send_excel(update: Update, context: BotContext) -> None:
    """The XLSX report as a document."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    settings = context.deps.settings
    now = now_utc()
    async with context.deps.read_session_factory() as session:
        data = await progress_workbook(
            session, settings.commune_name, now, settings.tz, settings.report_period
        )
    period = period_at(now, settings.report_period, settings.tz)
    filename = f"bao-cao-binh-dan-hoc-vu-so-{period.last_day:%Y-%m-%d}.xlsx"
    await message_of(update).reply_document(
        data, filename=filename, caption=texts.XLSX_CAPTION.format(period=period.label)
    )


def register(application: BotApplication) -> None:
    """Install the statistics commands and buttons."""
    application.add_handler(CommandHandler("thongke", show_stats))
    application.add_handler(CommandHandler("chuabaocao", show_late))
    application.add_handler(CommandHandler("xuatexcel", send_excel))
    application.add_handler(CallbackQueryHandler(show_detail, pattern=r"^stats:detail:\d+$"))
    application.add_handler(CallbackQueryHandler(show_late, pattern="^stats:late$"))
    application.add_handler(CallbackQueryHandler(send_excel, pattern="^stats:xlsx$"))
    application.add_handler(CallbackQueryHandler(nudge_late, pattern="^stats:nudge$"))
