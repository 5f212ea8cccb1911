"""`binhdan demo`: the whole loop, offline, on the sandbox, printed as a readable transcript.

What the demo says between the acts is in the catalog (`demo.*`); what its people type is in
`bot.cli.demo_script`. The bot's messages are found by their buttons or by how their catalog
text starts, never by words written here.
"""

from __future__ import annotations

import asyncio
import csv
import html
import io
import logging
import math
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import build_application, polling
from bot.cli import demo_script as script
from bot.cli.errors import CliError
from bot.migrate import upgrade_to_head_async
from bot.sandbox import SandboxConfig, running_sandbox
from bot.sandbox.client import Event, SandboxClient
from bot.services.registry.units import import_units_file
from bot.settings import Settings
from bot.telegram.context import BotApplication
from bot.telegram.ui.callbacks import Action, action_of
from bot.texts import N_, Translator, translator
from models import UnitKind
from models.db import open_database

ADMIN_ID = 900_001
OFFICER_ID = 900_002
STRANGER_ID = 999_999
FIRST_HEAD_ID = 910_000
LATE_UNITS = 5
SAMPLE_UNITS = Path(__file__).resolve().parents[2] / "data" / "units.sample.csv"
# Continuation lines of a message line up under its first line ("🤖 Bot: " is 9 columns wide).
INDENT = "\n" + " " * 9
# Stands for a field the demo cannot know: `_opening` stops there.
CUT = "\x00"


@dataclass
class Demo:
    """Shared state of a demo run: the client, the transcript and what each act learned."""

    client: SandboxClient
    application: BotApplication
    out: Path
    t: Translator = field(default_factory=translator)
    lines: list[str] = field(default_factory=list)
    head_ids: dict[str, int] = field(default_factory=dict)
    invite_codes: dict[str, str] = field(default_factory=dict)
    verbose_limit: int = 3
    acts_told: int = 0

    def say(self, line: str = "") -> None:
        """Print a transcript line as it happens."""
        print(line, flush=True)
        self.lines.append(line)

    def title(self, title: str) -> None:
        """Print the title of the next act, numbered in the order the acts are played."""
        self.acts_told += 1
        self.say(self.t.plain("demo.act", number=self.acts_told, title=title))

    def head(self, unit: str) -> str:
        """How the transcript names a unit's head."""
        return self.t.plain("demo.who.head", unit=unit)

    def user(self, who: str, text: str) -> None:
        """Print what a person typed or did."""
        self.say(self.t.plain("demo.line.person", who=who, text=text.replace("\n", INDENT)))

    def press(self, who: str, event: Event, action: Action, what: str | None = None) -> str:
        """Print a person pressing a message's button; return the button's data."""
        data, label = _button(event, action)
        if what is None:
            self.user(who, self.t.plain("demo.press", button=label))
        else:
            self.user(who, self.t.plain("demo.press_for", button=label, what=what))
        return data

    def bot(self, events: list[Event], *, lines: int = 0) -> None:
        """Print what the bot answered (only its first `lines` lines when given)."""
        for event in events:
            self.say(self.t.plain("demo.line.bot", text=self._shown(event, lines)))

    def bot_to(self, who: str, event: Event) -> None:
        """Print a message the bot sent to someone other than the last speaker."""
        self.say(self.t.plain("demo.line.bot_to", who=who, text=self._shown(event, 0)))

    def saved(self, name: str) -> None:
        """Print that a file the bot sent was kept in the output folder."""
        self.say(self.t.plain("demo.saved", file=f"{self.out.name}/{name}"))

    def _shown(self, event: Event, lines: int) -> str:
        """A message as the transcript shows it: files named, long messages cut."""
        body = event.get("text") or ""
        if event["method"] in ("sendPhoto", "sendMediaGroup"):
            body = self.t.plain("demo.photo", caption=body).rstrip()
        elif event["method"] == "sendDocument":
            body = self.t.plain("demo.file", name=event.get("file_name"), caption=body).rstrip()
        kept = body.splitlines()
        if lines and len(kept) > lines:
            kept = [*kept[:lines], "…"]
        return INDENT.join(kept)


Act = Callable[[Demo], Awaitable[None]]
Match = Callable[[Event], bool]


def _buttons(event: Event) -> list[tuple[str, str]]:
    """A message's inline buttons as (data, label), row by row."""
    rows = (event.get("reply_markup") or {}).get("inline_keyboard", [])
    return [
        (str(button["callback_data"]), str(button["text"]))
        for row in rows
        for button in row
        if "callback_data" in button
    ]


def _button(event: Event, action: Action) -> tuple[str, str]:
    """The data and label of a message's first button for `action`."""
    for data, label in _buttons(event):
        if action_of(data) is action:
            return data, label
    raise RuntimeError(f"no {action.value} button in {event.get('text')!r}")


def _has(action: Action) -> Match:
    """Whether a message carries a button for `action`."""
    return lambda event: any(action_of(data) is action for data, _ in _buttons(event))


def _opening(key: str, **values: object) -> Match:
    """Whether a message starts as the catalog's `key` does, up to a field not in `values`.

    Only the first line counts, without tags. The demo's people use the default language,
    so the default catalog is the one to read.
    """
    known = dict(values)
    while True:
        try:
            text = translator().plain(key, **known)
        except KeyError as missing:  # a field the demo cannot know: the opening ends there
            known[str(missing.args[0])] = CUT
        else:
            break
    first = html.unescape(re.sub(r"<[^>]+>", "", text.split("\n", 1)[0].split(CUT, 1)[0]))
    return lambda event: (event.get("text") or "").startswith(first)


def _is(method: str) -> Match:
    """Whether an event is a call of `method`."""
    return lambda event: event["method"] == method


def _report(figures: tuple[int, int]) -> str:
    """The /baocao command a head types for (enrolled, completed)."""
    enrolled, completed = figures
    return f"/baocao {enrolled} {completed}"


async def act_admin_setup(demo: Demo) -> None:
    """The admin (from ADMIN_IDS) greets the bot, lists units and invites an officer."""
    t = demo.t
    admin, officer = t.plain("demo.who.admin"), t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.setup"))
    demo.user(admin, "/start")
    demo.bot(await demo.client.converse(ADMIN_ID, "/start", first_name=script.ADMIN_NAME))
    demo.user(admin, "/donvi")
    units = await demo.client.converse(ADMIN_ID, "/donvi", settle=1.5)
    demo.bot(units[:1], lines=4)
    demo.user(admin, "/donvi B01")
    demo.bot(await demo.client.converse(ADMIN_ID, "/donvi B01"), lines=4)
    demo.user(admin, "/moi canbo")
    [invite] = await demo.client.converse(ADMIN_ID, "/moi canbo")
    demo.bot([invite], lines=1)
    code = (invite["text"] or "").split("?start=", 1)[1].split()[0]
    demo.say(t.plain("demo.officer_joins"))
    demo.user(officer, f"/start {code}")
    demo.bot(
        await demo.client.converse(OFFICER_ID, f"/start {code}", first_name=script.OFFICER_NAME)
    )


def _sample_units() -> list[dict[str, str]]:
    """The rows of the sample unit list (code, name, kind, adults)."""
    with _sample_units_path().open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def act_heads_register(demo: Demo) -> None:
    """Every thôn/buôn head taps their unit's invite link."""
    t = demo.t
    admin, stranger = t.plain("demo.who.admin"), t.plain("demo.who.stranger")
    villages = {row["name"] for row in _sample_units() if UnitKind(row["kind"]).is_residential}
    demo.title(t.plain("demo.act.register", heads=len(villages)))
    demo.user(admin, "/moi")
    listing = await demo.client.converse(ADMIN_ID, "/moi", settle=1.5)
    demo.bot(listing, lines=1)
    links = _links_by_name("\n".join(e["text"] or "" for e in listing))
    demo.invite_codes = links
    heads = [(name, code) for name, code in links.items() if name in villages]

    async def register(name: str, code: str) -> list[Event]:
        # The registration, then the keyboard under the text box.
        return await demo.client.converse(
            demo.head_ids[name], f"/start {code}", replies=2, first_name=script.head_name(name)
        )

    for index, (name, _) in enumerate(heads):
        demo.head_ids[name] = FIRST_HEAD_ID + index
    demo.say(t.plain("demo.heads_tap"))
    for name, code in heads[: demo.verbose_limit]:
        demo.user(demo.head(name), f"/start {code}")
        demo.bot(await register(name, code))
    # The others register at the same time, as they would on the morning the QR sheet arrives.
    await asyncio.gather(*(register(name, code) for name, code in heads[demo.verbose_limit :]))
    demo.say(t.plain("demo.others_registered", heads=len(heads) - demo.verbose_limit))
    demo.say(t.plain("demo.stranger"))
    wrong = f"/start {script.WRONG_CODE}"
    demo.user(stranger, wrong)
    demo.bot(await demo.client.converse(STRANGER_ID, wrong, first_name=script.STRANGER_NAME))
    demo.user(stranger, "/donvi")
    demo.bot(await demo.client.converse(STRANGER_ID, "/donvi"))


def _links_by_name(listing: str) -> dict[str, str]:
    """Read "Unit name: https://t.me/bot?start=CODE" lines into {name: code}."""
    links = {}
    for line in listing.splitlines():
        if "?start=" in line:
            name, _, link = line.rpartition(": ")
            links[name] = link.split("?start=", 1)[1]
    return links


def sample_figures(index: int) -> tuple[int, int]:
    """Deterministic, plausible figures for the demo (not real data)."""
    enrolled = 120 + (index * 37) % 260
    return enrolled, enrolled // (3 + index % 4)


async def act_heads_report(demo: Demo) -> None:
    """Heads report their cumulative figures in the ways they really type them; one corrects."""
    t = demo.t
    demo.title(t.plain("demo.act.report"))
    names = list(demo.head_ids)
    first_name, second_name = names[0], names[1]
    first, second = demo.head_ids[first_name], demo.head_ids[second_name]
    typed = _report(script.FIRST_FIGURES)
    demo.user(demo.head(first_name), typed)
    demo.bot(await demo.client.converse(first, typed))
    demo.say(t.plain("demo.report_in_steps", unit=second_name))
    for text in ("/baocao", script.ENROLLED_IN_WORDS):
        demo.user(demo.head(second_name), text)
        demo.bot(await demo.client.converse(second, text))
    question = (await demo.client.events(second))[-1]
    skip = demo.press(demo.head(second_name), question, Action.REPORT_SKIP)
    demo.bot(await demo.client.click(second, question["message_id"], skip))
    # The last few thôn/buôn do not report, so that the chase and the statistics have work.
    for index, name in enumerate(names[2:-LATE_UNITS], start=2):
        text = _report(sample_figures(index))
        reply = await demo.client.converse(demo.head_ids[name], text)
        if not (reply[0]["text"] or "").startswith("✅"):
            demo.user(demo.head(name), text)
            demo.bot(reply)
    demo.say(t.plain("demo.others_reported", reported=len(names) - 2 - LATE_UNITS, late=LATE_UNITS))
    demo.say(t.plain("demo.correction", unit=first_name))
    typed = _report(script.CORRECTED_FIGURES)
    demo.user(demo.head(first_name), typed)
    [warning] = await demo.client.converse(first, typed)
    demo.bot([warning])
    confirm = demo.press(demo.head(first_name), warning, Action.REPORT_CONFIRM)
    demo.bot(await demo.client.click(first, warning["message_id"], confirm))
    demo.user(demo.head(first_name), script.CORRECTION_REASON)
    demo.bot(await demo.client.converse(first, script.CORRECTION_REASON))
    demo.user(demo.head(first_name), "/tiendo")
    demo.bot(await demo.client.converse(first, "/tiendo"))


async def _wait_summary(demo: Demo, control: Event) -> Event:
    """Wait until the sender's progress message turns into the summary."""
    after = control["seq"]
    summary = _has(Action.DIRECTIVE_UNACKED)
    for _ in range(120):
        for event in await demo.client.events(control["chat_id"], after=after, count=1, wait=1):
            after = event["seq"]
            if event["message_id"] == control["message_id"] and summary(event):
                return event
    raise RuntimeError("the broadcast did not finish")


def _sign_up_photo() -> bytes:
    """A small picture standing in for a photo of the paper sign-up list."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (250, 248, 240))
    draw = ImageDraw.Draw(image)
    for row in range(8):
        draw.line((20, 30 + 25 * row, 300, 30 + 25 * row), fill=(60, 60, 60), width=1)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


async def act_head_chats(demo: Demo) -> None:
    """A late head writes as in the Zalo group: a figure in words, a photo, a wrong QR code."""
    t = demo.t
    officer = t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.chat"))
    names = list(demo.head_ids)
    name, other = names[-LATE_UNITS], names[0]
    head, who = demo.head_ids[name], demo.head(name)
    demo.user(who, script.FREE_TEXT_REPORT)
    [question] = await demo.client.converse(head, script.FREE_TEXT_REPORT)
    demo.bot([question])
    right = demo.press(who, question, Action.FREE_CONFIRM)
    events = await demo.client.click(head, question["message_id"], right, replies=2)
    demo.bot([e for e in events if e["method"] == "sendMessage"])
    demo.user(who, t.plain("demo.sends_sign_up_photo"))
    after = await demo.client.last_seq()
    await demo.client.send_photo(head, _sign_up_photo(), first_name=script.head_name(name))
    demo.bot(await demo.client.expect(head, after=after))
    copy = _opening(N_("thread.staff.photo"), unit=name)
    demo.bot_to(officer, await _arrival(demo, OFFICER_ID, after, copy))
    demo.say(t.plain("demo.wrong_qr", unit=name, other=other))
    wrong = f"/start {demo.invite_codes[other]}"
    demo.user(who, wrong)
    [ask] = await demo.client.converse(head, wrong)
    demo.bot([ask])
    keep = demo.press(who, ask, Action.REGISTER_KEEP)
    events = await demo.client.click(head, ask["message_id"], keep, replies=2)
    demo.bot([e for e in events if e["method"] == "sendMessage"])


async def _arrival(demo: Demo, chat: int, after: int, match: Match) -> Event:
    """Wait for the message that the outbox delivers to `chat` and that `match` accepts."""
    for _ in range(30):
        for event in await demo.client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            if match(event):
                return event
    raise RuntimeError(f"no awaited message in chat {chat}")


async def act_two_way(demo: Demo) -> None:
    """A head's difficulty reaches the officers, who answer; the head answers back; handled."""
    t = demo.t
    officer = t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.two_way"))
    name = next(iter(demo.head_ids))
    head, who, signed = demo.head_ids[name], demo.head(name), script.head_name(name)
    demo.say(t.plain("demo.note_button", unit=name, button=t.plain("button.note")))
    typed = _report(script.NOTE_FIGURES)
    demo.user(who, typed)
    [echo] = await demo.client.converse(head, typed, first_name=signed)
    demo.bot([echo])
    write = demo.press(who, echo, Action.REPORT_NOTE)
    demo.bot(await demo.client.click(head, echo["message_id"], write))
    after = await demo.client.last_seq()
    demo.user(who, script.NOTE)
    demo.bot(await demo.client.converse(head, script.NOTE, first_name=signed))
    note = _opening(N_("thread.staff.note"), unit=name)
    forward = await _arrival(demo, OFFICER_ID, after, note)
    demo.bot_to(t.plain("demo.who.officer_and_admin"), forward)
    answer = demo.press(officer, forward, Action.THREAD_ANSWER)
    demo.bot(await demo.client.click(OFFICER_ID, forward["message_id"], answer))
    after = await demo.client.last_seq()
    demo.user(officer, script.ANSWER)
    demo.bot(await demo.client.converse(OFFICER_ID, script.ANSWER, first_name=script.OFFICER_NAME))
    answered = _opening(N_("thread.unit.answer"), text=script.ANSWER)
    received = await _arrival(demo, head, after, answered)
    demo.bot_to(who, received)
    write = demo.press(who, received, Action.THREAD_WRITE)
    demo.bot(await demo.client.click(head, received["message_id"], write))
    after = await demo.client.last_seq()
    demo.user(who, script.ANSWER_BACK)
    demo.bot(await demo.client.converse(head, script.ANSWER_BACK, first_name=signed))
    back = _opening(N_("thread.staff.reply"), unit=name)
    demo.bot_to(officer, await _arrival(demo, OFFICER_ID, after, back))
    # The admin's copies arrive too, before the admin's own commands in the next acts.
    await _arrival(demo, ADMIN_ID, after, back)
    demo.user(officer, "/phanhoi")
    [listing] = await demo.client.converse(OFFICER_ID, "/phanhoi")
    demo.bot([listing])
    done = demo.press(officer, listing, Action.THREAD_RESOLVE)
    events = await demo.client.click(OFFICER_ID, listing["message_id"], done, replies=2)
    demo.bot([e for e in events if e["method"] == "answerCallbackQuery"], lines=1)
    demo.bot([e for e in events if e["method"] == "editMessageText"], lines=1)


async def act_broadcast(demo: Demo) -> None:
    """The officer sends the commune's letter (the template) to every unit; heads acknowledge."""
    t = demo.t
    officer = t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.broadcast"))
    names = list(demo.head_ids)
    blocked_name = names[-1]
    await demo.client.block(demo.head_ids[blocked_name])
    demo.say(t.plain("demo.blocked", unit=blocked_name))
    demo.user(officer, "/thongbao")
    [menu] = await demo.client.converse(OFFICER_ID, "/thongbao")
    demo.bot([menu])
    template = demo.press(officer, menu, Action.COMPOSE_TEMPLATE)
    preview = await demo.client.click(OFFICER_ID, menu["message_id"], template, replies=2)
    ready = _has(Action.COMPOSE_SEND)
    while not ready(preview[-1]):
        preview += await demo.client.events(OFFICER_ID, after=preview[-1]["seq"], count=1, wait=5)
    demo.bot(preview)
    control = preview[-1]
    send = demo.press(officer, control, Action.COMPOSE_SEND)
    await demo.client.click(OFFICER_ID, control["message_id"], send)
    summary = await _wait_summary(demo, control)
    demo.bot([summary])
    acknowledging = names[: len(names) * 2 // 3]
    acknowledge = _has(Action.ACK)
    for name in acknowledging:
        user = demo.head_ids[name]
        message = [e for e in await demo.client.events(user) if acknowledge(e)][-1]
        await demo.client.click(user, message["message_id"], _button(message, Action.ACK)[0])
    demo.say(t.plain("demo.acknowledged", heads=len(acknowledging), button=t.plain("button.ack")))
    unacked = demo.press(officer, summary, Action.DIRECTIVE_UNACKED)
    demo.bot(await demo.client.click(OFFICER_ID, summary["message_id"], unacked))


async def _save_file(demo: Demo, event: Event, name: str) -> None:
    """Download a file the bot sent and keep it in the output folder."""
    content = await demo.client.download(str(event["file_id"]))
    await asyncio.to_thread((demo.out / name).write_bytes, content)
    demo.saved(name)


async def act_statistics(demo: Demo) -> None:
    """The admin reads the statistics, chases the late units, exports and prints invites."""
    t = demo.t
    admin = t.plain("demo.who.admin")
    demo.title(t.plain("demo.act.statistics"))
    demo.user(admin, "/thongke")
    # The chart is an album of phone pages: wait for its last page to arrive.
    summary, *pages = await demo.client.converse(ADMIN_ID, "/thongke", replies=2, settle=1.5)
    demo.bot([summary, *pages])
    for number, page in enumerate(pages, start=1):
        await _save_file(demo, page, "chart.png" if number == 1 else f"chart-{number}.png")
    demo.user(admin, "/chuabaocao")
    late = await demo.client.converse(ADMIN_ID, "/chuabaocao", settle=1.5)
    demo.bot(late, lines=1)
    nudge = next(e for e in late if _has(Action.STATS_NUDGE)(e))
    data = demo.press(admin, nudge, Action.STATS_NUDGE)
    demo.bot(await demo.client.click(ADMIN_ID, nudge["message_id"], data))
    unregistered = next((e for e in late if _has(Action.LATE_INVITE)(e)), None)
    if unregistered is not None:
        demo.say(t.plain("demo.unregistered"))
        data = demo.press(admin, unregistered, Action.LATE_INVITE)
        invite = await demo.client.click(ADMIN_ID, unregistered["message_id"], data, replies=2)
        demo.bot(invite[-1:], lines=1)
    demo.user(admin, "/xuatexcel")
    excel, pdf = await demo.client.converse(ADMIN_ID, "/xuatexcel", replies=2)
    demo.bot([excel, pdf])
    await _save_file(demo, excel, "bao-cao.xlsx")
    await _save_file(demo, pdf, "bao-cao.pdf")
    demo.user(admin, "/moi")
    invites = await demo.client.converse(ADMIN_ID, "/moi", settle=1.5)
    sheet = next(e for e in invites if e["method"] == "sendDocument")
    demo.bot([sheet])
    await _save_file(demo, sheet, "moi-tham-gia.pdf")


async def act_schedules(demo: Demo) -> None:
    """The officer opens /lich and runs the chase and the digest now."""
    t = demo.t
    officer = t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.schedules"))
    demo.user(officer, "/lich")
    events = await demo.client.converse(OFFICER_ID, "/lich", replies=6, settle=1.5)
    demo.bot(events[:5], lines=1)
    for kind in (t.plain("schedule.kind.chase"), t.plain("schedule.kind.digest")):
        schedule = next(e for e in events if kind in (e.get("text") or ""))
        run = demo.press(officer, schedule, Action.SCHEDULE_RUN, what=kind)
        demo.bot(await demo.client.click(OFFICER_ID, schedule["message_id"], run))
    # The digest follows through the outbox within a few seconds.
    digest = _opening(N_("message.digest.title"))
    demo.bot([await _arrival(demo, OFFICER_ID, events[-1]["seq"], digest)])


def _target(adults: int, percent: float) -> int:
    """The fewest enrolled people that reach `percent` of `adults`."""
    return math.ceil(adults * percent / 100)


async def _gather(demo: Demo, chat: int, after: int, match: Match) -> list[Event]:
    """Wait for the message `match` accepts; return it with the photos sent before it."""
    found: list[Event] = []
    for _ in range(60):
        for event in await demo.client.events(chat, after=after, count=1, wait=1):
            after = event["seq"]
            if match(event):
                return [*found, event]
            if event["method"] in ("sendPhoto", "sendMediaGroup"):
                found.append(event)
    raise RuntimeError(f"no awaited message in chat {chat}")


async def act_good_models_and_commendation(demo: Demo) -> None:
    """Share a good model, approve and spread it; reach the target; send the commendations.

    A head shares a model with a photo, the officer approves and spreads it to every unit, the
    head reaches the target once, and the officer sends the period's commendation list.
    """
    t = demo.t
    officer = t.plain("demo.who.officer")
    demo.title(t.plain("demo.act.recognition"))
    names = list(demo.head_ids)
    name, reader = names[0], names[2]
    head, who = demo.head_ids[name], demo.head(name)
    demo.user(who, "/chiase")
    demo.bot(await demo.client.converse(head, "/chiase", first_name=script.head_name(name)))
    demo.user(who, t.plain("demo.sends_class_photo"))
    after = await demo.client.last_seq()
    await demo.client.send_photo(head, _sign_up_photo())
    demo.bot(await demo.client.expect(head, after=after))
    text = f"{script.GOOD_MODEL_TITLE}\n{script.GOOD_MODEL_BODY}"
    demo.user(who, text)
    photo, preview = await demo.client.converse(head, text, replies=2)
    demo.bot([photo, preview])
    after = await demo.client.last_seq()
    send = demo.press(who, preview, Action.MODEL_SEND)
    sent = await demo.client.click(head, preview["message_id"], send, replies=2)
    demo.bot(sent[-1:])
    demo.say(t.plain("demo.review_arrives"))
    review = await _gather(demo, OFFICER_ID, after, _has(Action.MODEL_APPROVE))
    demo.bot(review)
    before_approval = await demo.client.last_seq()
    approve = demo.press(officer, review[-1], Action.MODEL_APPROVE)
    approved = await demo.client.click(OFFICER_ID, review[-1]["message_id"], approve, replies=4)
    demo.bot(approved[1:])
    controls = approved[-1]
    after = await demo.client.last_seq()
    spread = demo.press(officer, controls, Action.MODEL_SPREAD)
    await demo.client.click(OFFICER_ID, controls["message_id"], spread)
    demo.bot([await _wait_summary(demo, controls)])
    demo.say(t.plain("demo.spread_received", unit=reader))
    model = _opening(N_("model.spread"), unit=name, title=script.GOOD_MODEL_TITLE)
    demo.bot(await _gather(demo, demo.head_ids[reader], after, model))
    demo.say(t.plain("demo.thanks_received", unit=name))
    thanks = _opening(N_("model.thanks"), unit=name, title=script.GOOD_MODEL_TITLE)
    demo.bot([await _arrival(demo, head, before_approval, thanks)])

    settings = demo.application.bot_data.settings
    target = t.percent(settings.target_percent, digits=0)
    demo.say(t.plain("demo.target", unit=name, target=target))
    reached = _target(int(_sample_units_by_name()[name]["adults"]), settings.target_percent)
    for enrolled in (reached, reached + 5):
        typed = _report((enrolled, script.TARGET_COMPLETED))
        demo.user(who, typed)
        demo.bot(await demo.client.converse(head, typed))

    demo.say(t.plain("demo.commendation"))
    demo.user(officer, "/bieuduong")
    [proposal] = await demo.client.converse(OFFICER_ID, "/bieuduong")
    demo.bot([proposal])
    after = await demo.client.last_seq()
    send = demo.press(officer, proposal, Action.COMMEND_SEND)
    await demo.client.click(OFFICER_ID, proposal["message_id"], send)
    document = await _arrival(demo, OFFICER_ID, after, _is("sendDocument"))
    demo.bot([document])
    await _save_file(demo, document, "bieu-duong.pdf")
    demo.bot([await _wait_summary(demo, proposal)])
    demo.say(t.plain("demo.commendation_received", unit=reader))
    listed = _opening(N_("commend.list"))
    demo.bot([await _arrival(demo, demo.head_ids[reader], after, listed)], lines=1)
    demo.say(t.plain("demo.congrats_received", unit=name))
    congrats = _opening(N_("commend.congrats"), unit=name)
    demo.bot([await _arrival(demo, head, after, congrats)])


def _sample_units_by_name() -> dict[str, dict[str, str]]:
    """The rows of the sample unit list by unit name."""
    return {row["name"]: row for row in _sample_units()}


ACTS: list[Act] = [
    act_admin_setup,
    act_heads_register,
    act_heads_report,
    act_head_chats,
    act_two_way,
    act_broadcast,
    act_statistics,
    act_schedules,
    act_good_models_and_commendation,
]


def _sample_units_path() -> Path:
    """The sample unit list shipped in the repository's data/ folder."""
    return SAMPLE_UNITS


async def run_demo(
    out: Path,
    acts: list[Act] | None = None,
    *,
    units: Path | None = None,
    intro: str = N_("demo.intro"),
) -> int:
    """Run every act against a fresh sandbox and a temporary database."""
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # One process is always the leader here: saying so would only puzzle the reader. (Put
    # back afterwards: the demo also runs inside other programs, such as the tests.)
    runtime_logger = logging.getLogger("bot.runtime")
    runtime_level = runtime_logger.level
    runtime_logger.setLevel(logging.ERROR)
    workdir = Path(tempfile.mkdtemp(prefix="binhdan-demo-"))
    started = time.monotonic()
    t = translator()
    print(t.plain(intro), end="\n\n", flush=True)
    try:
        async with running_sandbox(SandboxConfig()) as sandbox:
            # model_validate skips the environment and .env: the demo is fully self-contained.
            settings = Settings.model_validate(
                dict(
                    telegram_bot_token=sandbox.config.token,
                    telegram_base_url=sandbox.base_url,
                    telegram_base_file_url=sandbox.base_file_url,
                    database_url=await _database_url(workdir),
                    admin_ids=(ADMIN_ID,),
                )
            )
            await _prepare_database(settings, units or _sample_units_path())
            await _play(settings, sandbox.control_url, out, acts or ACTS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        runtime_logger.setLevel(runtime_level)
    print(t.plain("demo.done", seconds=t.decimal(time.monotonic() - started)))
    return 0


async def _database_url(workdir: Path) -> str:
    """DATABASE_URL when it names PostgreSQL, else a temporary SQLite file in `workdir`.

    A SQLite DATABASE_URL is the bot's own file, which the demo never touches. A PostgreSQL
    database must be empty: the demo registers 45 made-up heads and sends a letter to them.
    """
    configured = Settings().database_url
    if make_url(configured).get_backend_name() != "postgresql":
        return f"sqlite+aiosqlite:///{workdir / 'demo.db'}"
    engine = create_async_engine(configured, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
            used = "units" in tables and await connection.scalar(
                sa.text("SELECT 1 FROM units LIMIT 1")
            )
    finally:
        await engine.dispose()
    if used:
        raise CliError(N_("cli.demo_needs_empty_database"))
    return configured


async def _prepare_database(settings: Settings, units: Path) -> None:
    """Migrate the temporary database and import the sample units."""
    await upgrade_to_head_async(settings.database_url)
    db = open_database(settings.database_url)
    try:
        await import_units_file(db, units)
    finally:
        await db.close()


async def _play(settings: Settings, control_url: str, out: Path, acts: list[Act]) -> None:
    """Start the real application on the sandbox and play each act."""
    application = build_application(settings)
    client = SandboxClient(control_url)
    try:
        async with polling(application):
            demo = Demo(client=client, application=application, out=out)
            for act in acts:
                await act(demo)
                demo.say()
    finally:
        await client.aclose()
