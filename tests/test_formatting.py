"""Formatting in each catalog's way, and message splitting."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.texts import translator
from bot.texts.formatting import escape, split_for_telegram


def test_numbers_dates_and_percent() -> None:
    vi, en = translator("vi"), translator("en")
    assert vi.number(1250) == "1.250"
    assert vi.number(1_000_000) == "1.000.000"
    assert vi.number(7) == "7"
    assert en.number(1250) == "1,250"
    assert vi.percent(38.24) == "38,2%"
    assert en.percent(38.24) == "38.2%"
    assert vi.percent(100) == "100,0%"
    assert vi.date(date(2026, 11, 24)) == "24/11/2026"
    moment = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
    assert vi.datetime(moment, ZoneInfo("Asia/Ho_Chi_Minh")) == "27/11/2026 00:30"
    assert escape("<b>&") == "&lt;b&gt;&amp;"


def test_values_are_escaped_in_html_messages_but_not_in_plain_text() -> None:
    vi = translator("vi")
    html = vi("report.ask_enrolled", unit="Thôn <b>&")
    assert "Thôn &lt;b&gt;&amp;" in html
    plain = vi.plain("chart.title", commune="A & B")
    assert plain.endswith("A & B")


@given(st.lists(st.text(min_size=0, max_size=300), max_size=40), st.integers(50, 500))
def test_split_respects_limit_and_keeps_text(paragraphs: list[str], limit: int) -> None:
    chunks = split_for_telegram(paragraphs, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == "".join(paragraphs).replace(
        "\n", ""
    ).replace(" ", "")


def test_a_commune_is_named_with_its_own_kind_in_each_language() -> None:
    from bot.texts.labels import commune_title

    vi, en = translator("vi"), translator("en")
    cases = {
        "Ea Knốp": ("xã Ea Knốp", "Ea Knốp commune"),  # COMMUNE_NAME, written bare
        "Xã Ea Kar": ("xã Ea Kar", "Ea Kar commune"),
        "Phường Buôn Ma Thuột": ("phường Buôn Ma Thuột", "Buôn Ma Thuột ward"),
        "phường  Tân An ": ("phường Tân An", "Tân An ward"),
        "Đặc khu Lý Sơn": ("đặc khu Lý Sơn", "Lý Sơn special zone"),
        "Phường": ("xã Phường", "Phường commune"),  # a kind word alone is a name
    }
    for name, (in_vi, in_en) in cases.items():
        assert (commune_title(vi, name), commune_title(en, name)) == (in_vi, in_en)


@given(
    st.sampled_from(["Xã", "xã", "Phường", "PHƯỜNG", "Đặc khu", "đặc khu"]),
    st.text(st.characters(categories=["L"]), min_size=1, max_size=20),
)
def test_a_kind_word_is_never_doubled(word: str, bare: str) -> None:
    from models import split_commune_name

    kind, rest = split_commune_name(f"{word} {bare}")
    said = {"xã": "xa", "phường": "phuong", "đặc khu": "dac_khu"}[word.lower()]
    # Names are read NFC: a compatibility letter ("豈", U+F900) comes back as its canonical one.
    assert (kind.value, rest) == (said, unicodedata.normalize("NFC", bare))
