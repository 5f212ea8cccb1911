"""The free-text reader: what heads type in chat, read as one or two figures, or a doubt."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.services.reports.free_text import Doubt, Verdict, read_report_text
from bot.services.reports.numbers import Refusal
from bot.texts import translator

VI = translator("vi")


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("35", (35,)),
        ("được 35 người", (35,)),
        ("Báo cáo 50 người", (50,)),
        ("thôn 2 được 35 người, 10 người hoàn thành", (35, 10)),
        ("ba mươi lăm người", (35,)),
        ("ba muoi lam nguoi", (35,)),
        ("Thôn 6a được 40", (40,)),
        ("buôn 3: 20 người", (20,)),
        ("Tổ dân phố số 3 được 12", (12,)),
        ("35 10", (35, 10)),
        ("1.250 người", (1250,)),
        ("1 250", (1250,)),
        ("35ng", (35,)),
        ("khoảng một trăm hai mươi người", (120,)),
        ("đăng ký 35 hoàn thành 10", (35, 10)),
        ("Đăng ký: 35\nHoàn thành: 10", (35, 10)),
        ("hoàn thành 10, đăng ký 35", (35, 10)),
        ("35 đăng ký 10 hoàn thành", (35, 10)),
        ("ngày 27/11 được 35", (35,)),
        ("lúc 17:00 được 35 người", (35,)),
        ("năm 2026 thôn mình được 35 người", (35,)),
        ("sau 2 tuần được 35 người", (35,)),
        ("gọi 0912345678 nhé, được 35 người", (35,)),
        ("hôm nay 27/11/2026 thôn 2 báo cáo 35 người đăng ký, 10 hoàn thành", (35, 10)),
    ],
)
def test_figures_are_read_where_heads_put_them(text: str, figures: tuple[int, ...]) -> None:
    reading = read_report_text(text, ["Thôn 1"])
    assert reading.verdict == Verdict.FIGURES
    assert reading.figures == figures


@pytest.mark.parametrize(
    ("text", "doubt"),
    [
        ("1 2 3", Doubt.TOO_MANY),
        ("thôn 2: 35 người, 10 hoàn thành, 4 chưa học", Doubt.TOO_MANY),
        ("35 người được không?", Doubt.QUESTION),
        ("đăng ký 35, đăng ký 40", Doubt.CONFLICT),
        ("10 người hoàn thành", Doubt.ONLY_COMPLETED),
        ("đăng ký thêm 10 người", Doubt.INCREMENT),
        ("tăng 10 người so với tuần trước", Doubt.INCREMENT),
    ],
)
def test_unsure_readings_ask_instead_of_guessing(text: str, doubt: Doubt) -> None:
    reading = read_report_text(text)
    assert reading.verdict == Verdict.UNSURE
    assert reading.doubt == doubt
    assert reading.enrolled is None
    assert reading.completed == (10 if doubt == Doubt.ONLY_COMPLETED else None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("30-40 người", Refusal.RANGE),
        ("35/50", Refusal.RANGE),
        ("50%", Refusal.PERCENT),
        ("được 50 phần trăm", Refusal.PERCENT),
        ("-5", Refusal.NEGATIVE),
        ("12,5 người", Refusal.DECIMAL),
    ],
)
def test_refused_shapes_are_doubts_with_their_reason(text: str, reason: Refusal) -> None:
    reading = read_report_text(text)
    assert reading.doubt == Doubt.REFUSED
    assert reading.refusal is not None and reading.refusal.reason == reason


@pytest.mark.parametrize(
    "text", ["xin chào", "Chào anh", "ba ơi", "năm nay khó quá", "không có ai", "thôn 2", "Thôn 6a"]
)
def test_messages_without_figures_are_not_reports(text: str) -> None:
    assert read_report_text(text).verdict == Verdict.NO_FIGURES


def test_the_senders_own_unit_name_is_never_a_figure() -> None:
    reading = read_report_text("Thôn Tân Lập 3 được 35 người", ["Thôn Tân Lập 3"])
    assert reading.figures == (35,)
    assert read_report_text("thon tan lap 3", ["Thôn Tân Lập 3"]).verdict == Verdict.NO_FIGURES
    # A longer number is another unit's, not this one's name with a figure glued on.
    assert read_report_text("Thôn 12 được 40", ["Thôn 1"]).figures == (40,)


UNIT_PREFIXES = [
    "Thôn",
    "thôn",
    "THÔN",
    "thon",
    "Buôn",
    "buôn",
    "Tổ",
    "tổ dân phố",
    "Xóm",
    "Tổ dân phố số",
]
PLAIN_WORDS = [
    "được",
    "báo cáo",
    "xin chào",
    "ạ",
    "nhé",
    "người",
    "hôm nay",
    "Ea",
    "Knốp",
    ",",
    ".",
]


@st.composite
def unit_names(draw: st.DrawFn) -> str:
    """A unit name with a number, as the commune writes them ("Thôn 6a", "Buôn 3")."""
    prefix = draw(st.sampled_from(UNIT_PREFIXES))
    number = draw(st.integers(min_value=1, max_value=99))
    suffix = draw(st.sampled_from(["", "a", "b", "A"]))
    return f"{prefix} {number}{suffix}"


@given(
    name=unit_names(),
    words=st.lists(st.sampled_from(PLAIN_WORDS), max_size=6),
    figures=st.lists(st.integers(min_value=100, max_value=999), max_size=2),
)
@example(name="Thôn 2", words=["được"], figures=[])
def test_never_a_figure_from_a_unit_name(name: str, words: list[str], figures: list[int]) -> None:
    parts = [name, *words]
    for index, figure in enumerate(figures):
        parts.append(str(figure))
        parts.append("người hoàn thành" if index == 1 else "người")
    reading = read_report_text(" ".join(parts), [name])
    if not figures:
        assert reading.verdict != Verdict.FIGURES
    assert set(reading.figures) <= set(figures)
    assert reading.figures in ((), tuple(figures))


@given(st.text(max_size=300), st.lists(st.text(max_size=30), max_size=2))
@settings(max_examples=400)
@example("\u0300\u0301 35", [""])
@example("𐩀 ٣ ² ⑴ 35", ["٣"])
@example("thôn " * 200, ["thôn"])
def test_never_crashes(text: str, names: list[str]) -> None:
    reading = read_report_text(text, names)
    assert reading.verdict in Verdict
    if reading.verdict == Verdict.FIGURES:
        assert reading.enrolled is not None and len(reading.figures) in (1, 2)
    else:
        assert reading.enrolled is None
        assert reading.completed is None or reading.doubt == Doubt.ONLY_COMPLETED


@given(
    enrolled=st.integers(min_value=0, max_value=1_000_000),
    completed=st.none() | st.integers(min_value=0, max_value=1_000_000),
)
def test_round_trips_the_figures_it_formats(enrolled: int, completed: int | None) -> None:
    lines = [VI.plain("report.free.enrolled_line", enrolled=enrolled)]
    if completed is not None:
        lines.append(VI.plain("report.free.completed_line", completed=completed))
    reading = read_report_text("\n".join(lines), ["Thôn 1"])
    assert reading.verdict == Verdict.FIGURES
    assert (reading.enrolled, reading.completed) == (enrolled, completed)
    assert read_report_text(VI.number(enrolled)).figures == (enrolled,)
