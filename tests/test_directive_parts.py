"""Directive rendering, the directive file format, dates and audiences."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sandbox.validation import check_text, plain_text
from bot.services.broadcasts.audience import Audience, AudienceError
from bot.services.broadcasts.content import DirectiveContent
from bot.services.broadcasts.dates import parse_vn_date, split_number_and_date
from bot.services.broadcasts.directive_file import DirectiveFileError, parse_directive_file
from bot.texts import translator
from bot.texts.directives import render_directive
from bot.texts.markdown import markdown_blocks

TODAY = date(2026, 11, 26)
VI = translator("vi")


def test_render_has_header_reference_subject_deadline_and_course_link() -> None:
    content = DirectiveContent(
        subject="đẩy mạnh <học>",
        body="Nội dung & việc cần làm.",
        number="310/UBND-VHXH",
        issued_on=date(2026, 4, 20),
        deadline=date(2026, 4, 30),
    )
    [part] = render_directive(content, VI, "Ea Knốp", "https://binhdanhocvuso.gov.vn").parts
    text = plain_text(part, "HTML")
    assert "THÔNG BÁO CỦA UBND XÃ EA KNỐP" in text
    assert "Số: 310/UBND-VHXH · ngày 20/04/2026" in text
    assert "V/v đẩy mạnh <học>" in text and "Nội dung & việc cần làm." in text
    assert "Hạn báo cáo: 30/04/2026" in text and "https://binhdanhocvuso.gov.vn" in text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=6))
def test_every_part_is_valid_html_within_limits(paragraphs: list[str]) -> None:
    content = DirectiveContent(subject="s", body="\n\n".join(paragraphs))
    rendered = render_directive(content, VI, "Ea Knốp", "https://binhdanhocvuso.gov.vn")
    for part in rendered.parts:
        assert len(plain_text(part, "HTML")) <= 4096


def test_document_caption_stays_short() -> None:
    content = DirectiveContent(subject="x" * 2000, body="b", document_file_id="F1")
    rendered = render_directive(content, VI, "Ea Knốp", "https://x")
    assert rendered.caption is not None and len(rendered.caption) <= 1024
    assert rendered.message_count == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/04/2026", date(2026, 4, 30)),
        ("3/4/2026", date(2026, 4, 3)),
        ("30-04-26", date(2026, 4, 30)),
        ("30/4", date(2026, 4, 30)),
        ("31/02/2026", None),
        ("hôm nay", None),
        ("", None),
    ],
)
def test_dates(text: str, expected: date | None) -> None:
    assert parse_vn_date(text, TODAY) == expected


@given(st.text(max_size=20))
def test_date_parser_never_crashes(text: str) -> None:
    result = parse_vn_date(text, TODAY)
    assert result is None or isinstance(result, date)


def test_number_and_date() -> None:
    assert split_number_and_date("310/UBND-VHXH ngày 20/04/2026", TODAY) == (
        "310/UBND-VHXH",
        date(2026, 4, 20),
    )
    assert split_number_and_date("33/UBND-VHXH", TODAY) == ("33/UBND-VHXH", None)


def test_directive_file() -> None:
    content = parse_directive_file(
        "# Đẩy mạnh học tập\nSố: 310/UBND-VHXH\nHạn: 30/12/2026\n\nĐoạn 1.\n\nĐoạn 2.", TODAY
    )
    assert content.subject == "Đẩy mạnh học tập"
    assert content.number == "310/UBND-VHXH" and content.deadline == date(2026, 12, 30)
    assert content.body == "Đoạn 1.\n\nĐoạn 2."
    with pytest.raises(DirectiveFileError):
        parse_directive_file("# Chỉ có tiêu đề", TODAY)
    with pytest.raises(DirectiveFileError):
        parse_directive_file("Hạn: 31/02/2026\n\nNội dung", TODAY)


def test_audiences() -> None:
    assert str(Audience.parse("all")) == "all"
    assert Audience.parse("T01, B02").codes == ("T01", "B02")
    assert str(Audience.parse("units:T01,B02")) == "units:T01,B02"
    with pytest.raises(AudienceError):
        Audience.parse(" , ")


def test_markdown_subset_renders_to_telegram_html() -> None:
    blocks = markdown_blocks(
        "# Tiêu đề\n\n**đậm** _nghiêng_ ~~gạch~~ `a<b>` [link](https://x.vn/?a=1&b=2) "
        "[xấu](javascript:alert(1)) <i>thẻ</i> 1 < 2 & snake_case_name\n\n"
        "1. một\n2. hai\n   - con\n\n> trích\n\n```\n<pre>\n```"
    )
    assert blocks == [
        "<b>Tiêu đề</b>",
        "<b>đậm</b> <i>nghiêng</i> <s>gạch</s> <code>a&lt;b&gt;</code> "
        '<a href="https://x.vn/?a=1&amp;b=2">link</a> [xấu](javascript:alert(1)) '
        "&lt;i&gt;thẻ&lt;/i&gt; 1 &lt; 2 &amp; snake_case_name",
        "1. một\n2. hai\n    • con",
        "<blockquote>trích</blockquote>",
        "<pre>&lt;pre&gt;</pre>",
    ]


def test_a_long_list_is_cut_between_its_items() -> None:
    items = "\n".join(f"- mục số {i} " + "chữ " * 30 for i in range(60))
    blocks = markdown_blocks(items)
    assert len(blocks) == 60 and all(block.startswith("• mục số") for block in blocks)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab ĐđXx*_~`[]()<>&#->\n.1!:/h"), max_size=120))
def test_any_markdown_renders_to_html_telegram_accepts(text: str) -> None:
    for block in markdown_blocks(text):
        # Telegram's parser (as the sandbox imitates it) refuses unknown or unbalanced tags.
        parsed = check_text(block, "HTML")
        # Every "<" and "&" typed arrives as a character, never as markup.
        assert parsed.text.count("<") == block.count("&lt;")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/04/2026", date(2026, 4, 30)),
        ("thứ 6 tuần sau", date(2026, 12, 11)),
        ("Thứ Sáu tuần tới", date(2026, 12, 11)),
        ("thứ 6", date(2026, 12, 11)),  # Sunday 06/12: the next Friday
        ("chủ nhật", date(2026, 12, 6)),  # today counts
        ("t2 tuần sau", date(2026, 12, 7)),
        ("ngày mai", date(2026, 12, 7)),
        ("hôm nay", date(2026, 12, 6)),
        ("cuối tuần", date(2026, 12, 6)),
        ("cuối tháng", date(2026, 12, 31)),
        ("5 ngày nữa", date(2026, 12, 11)),
        ("hạn thứ 6 tuần sau", date(2026, 12, 11)),
        ("sớm nhất có thể", None),
        ("thứ 9", None),
    ],
)
def test_deadlines_are_read_as_officers_say_them(text: str, expected: date | None) -> None:
    from bot.services.broadcasts.dates import parse_deadline

    assert parse_deadline(text, date(2026, 12, 6)) == expected


@given(st.text(max_size=60), st.dates(date(2020, 1, 1), date(2035, 12, 31)))
def test_a_deadline_is_never_before_today_unless_typed_as_a_date(text: str, today: date) -> None:
    from bot.services.broadcasts.dates import parse_deadline, parse_vn_date

    found = parse_deadline(text, today)
    if found is not None and parse_vn_date(text, today) is None:
        assert found >= today
