"""The demo tells its story in catalog words and finds the bot's messages by catalog openings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.demo import _opening, act_admin_setup, run_demo
from bot.texts import translator


def test_a_message_is_found_by_how_its_catalog_text_starts() -> None:
    reply = _opening("thread.staff.reply", unit="Thôn 1")
    assert reply({"text": "↩️ Thôn 1 trả lời cán bộ xã\nNgười gửi: Trưởng Thôn 1"})
    assert not reply({"text": "↩️ Thôn 12 trả lời cán bộ xã\nNgười gửi: Trưởng Thôn 12"})
    assert not reply({"text": None})
    # Fields the demo does not know (the period, the sender) end the opening.
    photo = _opening("thread.staff.photo", unit="Thôn 1")
    assert photo({"text": "📷 Ảnh minh chứng của Thôn 1 (kỳ 30/11–06/12/2026)\nNgười gửi: A"})
    assert not photo({"text": "📷 Ảnh minh chứng của Thôn 2 (kỳ 30/11–06/12/2026)\nNgười gửi: A"})


async def test_the_demo_narrates_from_the_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'real.db'}")
    assert await run_demo(tmp_path, [act_admin_setup]) == 0
    printed = capsys.readouterr().out
    t = translator()
    admin, officer = t.plain("demo.who.admin"), t.plain("demo.who.officer")
    told = [
        t.plain("demo.intro"),
        t.plain("demo.act", number=1, title=t.plain("demo.act.setup")),
        t.plain("demo.line.person", who=admin, text="/start"),
        t.plain("demo.line.person", who=admin, text="/moi canbo"),
        t.plain("demo.officer_joins"),
        t.plain("demo.line.person", who=officer, text="/start "),
        t.plain("demo.done", seconds="\0").split("\0")[0],
    ]
    positions = [printed.find(line) for line in told]
    assert -1 not in positions, [line for line in told if line not in printed]
    assert positions == sorted(positions)


async def test_the_province_demo_plays_three_communes_end_to_end(tmp_path: Path) -> None:
    from tests.cli_helpers import run_cli_async

    out = tmp_path / "out"
    played = await run_cli_async(
        ["demo", "--province", "--out", str(out)],
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'real.db'}",
    )
    assert played.returncode == 0, played.stderr
    t = translator()
    for act in ("province_setup", "commune_view", "province_view", "province_export"):
        assert t.plain(f"demo.act.{act}") in played.stdout, act
    assert "Bạn chỉ xem được xã của mình" in played.stdout  # a commune officer, refused
    assert "🔔 Ban chỉ đạo tỉnh nhắc" in played.stdout  # the lagging commune, reminded
    assert (out / "bao-cao-tinh.xlsx").stat().st_size > 0
