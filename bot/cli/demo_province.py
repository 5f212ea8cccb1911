"""`binhdan demo --province`: three communes, their officers and a province officer.

The same sandbox, bot and transcript as `binhdan demo`, on a province's unit list: each
commune's officer sees their own commune only, the province ranks the communes, reminds the
one lagging, speaks to every unit and exports one workbook.
"""

from __future__ import annotations

import csv
from pathlib import Path

from bot.cli import demo_script as script
from bot.cli.demo import (
    ADMIN_ID,
    Act,
    Demo,
    _arrival,
    _has,
    _opening,
    _save_file,
    _wait_summary,
)
from bot.telegram.ui.callbacks import Action
from bot.texts import N_

PROVINCE_UNITS = Path(__file__).resolve().parents[2] / "data" / "units.province.sample.csv"
COMMUNE_OFFICERS = {"24001": 920_001, "24002": 920_002, "24003": 920_003}
PROVINCE_OFFICER = 920_010
FIRST_HEAD = 921_000
COMMUNES = script.PROVINCE_COMMUNES


def _unit_names() -> dict[str, str]:
    """The province list's unit names by code."""
    with PROVINCE_UNITS.open(encoding="utf-8") as handle:
        return {row["code"]: row["name"] for row in csv.DictReader(handle)}


def _commune_officer(demo: Demo, code: str) -> str:
    """How the transcript names a commune's officer."""
    return demo.t.plain("demo.who.commune_officer", commune=COMMUNES[code])


async def act_province_setup(demo: Demo) -> None:
    """The admin gives each commune its officer, and the province its own."""
    t = demo.t
    admin = t.plain("demo.who.admin")
    demo.title(t.plain("demo.act.province_setup"))
    await demo.client.converse(ADMIN_ID, "/start", first_name=script.ADMIN_NAME)
    people = [*COMMUNE_OFFICERS.values(), PROVINCE_OFFICER]
    await demo.client.open_chats(people)
    for code, user in COMMUNE_OFFICERS.items():
        typed = script.GRANT_COMMUNE_OFFICER.format(user=user, code=code)
        demo.user(admin, typed)
        demo.bot(await demo.client.converse(ADMIN_ID, typed))
    typed = script.GRANT_PROVINCE_OFFICER.format(user=PROVINCE_OFFICER)
    demo.user(admin, typed)
    demo.bot(await demo.client.converse(ADMIN_ID, typed))
    named = {user: script.COMMUNE_OFFICER_NAMES[code] for code, user in COMMUNE_OFFICERS.items()}
    named[PROVINCE_OFFICER] = script.PROVINCE_OFFICER_NAME
    for user, name in named.items():
        await demo.client.converse(user, "/start", first_name=name)


async def act_province_reports(demo: Demo) -> None:
    """A head of each unit registers with its invite and reports."""
    t = demo.t
    demo.title(t.plain("demo.act.province_reports", units=len(script.PROVINCE_FIGURES)))
    names = _unit_names()
    for index, (code, (enrolled, completed)) in enumerate(script.PROVINCE_FIGURES.items()):
        [invite] = await demo.client.converse(ADMIN_ID, f"/moi {code}")
        link = (invite["text"] or "").split("?start=", 1)[1].split()[0]
        head = FIRST_HEAD + index
        demo.head_ids[code] = head
        name = script.head_name(names[code])
        await demo.client.converse(head, f"/start {link}", replies=2, first_name=name)
        typed = f"/baocao {enrolled} {completed}"
        if index < 2:
            demo.user(demo.head(names[code]), typed)
            demo.bot(await demo.client.converse(head, typed), lines=2)
        else:
            await demo.client.converse(head, typed)
    demo.say(t.plain("demo.province.others_reported", units=len(script.PROVINCE_FIGURES) - 2))


async def act_commune_view(demo: Demo) -> None:
    """A commune's officer sees their commune, and is refused another."""
    t = demo.t
    officer = _commune_officer(demo, "24001")
    demo.title(t.plain("demo.act.commune_view"))
    demo.user(officer, "/thongke")
    officer_id = COMMUNE_OFFICERS["24001"]
    summary, *_pages = await demo.client.converse(officer_id, "/thongke", replies=2, settle=1.0)
    demo.bot([summary], lines=6)
    demo.say(t.plain("demo.province.other_commune"))
    demo.user(officer, "/thongke 24002")
    demo.bot(await demo.client.converse(officer_id, "/thongke 24002"))


async def act_province_view(demo: Demo) -> None:
    """The province ranks its communes, drills into one, and reminds the one lagging."""
    t = demo.t
    province = t.plain("demo.who.province_officer")
    demo.title(t.plain("demo.act.province_view"))
    demo.user(province, "/thongke")
    demo.bot(await demo.client.converse(PROVINCE_OFFICER, "/thongke"))
    demo.user(province, "/chuabaocao")
    [late] = await demo.client.converse(PROVINCE_OFFICER, "/chuabaocao")
    demo.bot([late])
    data = demo.press(province, late, Action.PROVINCE_NUDGE)
    lagging = data.rsplit(":", 1)[1]
    after = await demo.client.last_seq()
    demo.bot(await demo.client.click(PROVINCE_OFFICER, late["message_id"], data))
    reminder = _opening(N_("province.nudge_text"))
    demo.say(t.plain("demo.province.reminder_arrives", commune=COMMUNES[lagging]))
    demo.bot([await _arrival(demo, COMMUNE_OFFICERS[lagging], after, reminder)])


async def act_province_directive(demo: Demo) -> None:
    """The province speaks to every unit of every commune."""
    t = demo.t
    province = t.plain("demo.who.province_officer")
    demo.title(t.plain("demo.act.province_directive"))
    typed = f"/thongbao {script.PROVINCE_DIRECTIVE}"
    demo.user(province, typed)
    preview, control = await demo.client.converse(PROVINCE_OFFICER, typed, replies=2)
    demo.bot([preview, control], lines=2)
    after = await demo.client.last_seq()
    send = demo.press(province, control, Action.COMPOSE_SEND)
    await demo.client.click(PROVINCE_OFFICER, control["message_id"], send)
    demo.bot([await _wait_summary(demo, control)], lines=3)
    names = _unit_names()
    for code in ("EK01", "KR01", "BT01"):
        demo.say(t.plain("demo.province.received", unit=names[code]))
        received = await _arrival(demo, demo.head_ids[code], after, _has(Action.ACK))
        demo.bot([received], lines=1)


async def act_province_export(demo: Demo) -> None:
    """The province exports one workbook: every commune in a row, then each one's sheet."""
    t = demo.t
    province = t.plain("demo.who.province_officer")
    demo.title(t.plain("demo.act.province_export"))
    demo.user(province, "/xuatexcel")
    workbook, printed = await demo.client.converse(PROVINCE_OFFICER, "/xuatexcel", replies=2)
    demo.bot([workbook, printed])
    await _save_file(demo, workbook, "bao-cao-tinh.xlsx")
    await _save_file(demo, printed, "bao-cao-tinh.pdf")


PROVINCE_ACTS: list[Act] = [
    act_province_setup,
    act_province_reports,
    act_commune_view,
    act_province_view,
    act_province_directive,
    act_province_export,
]
