"""Smaller hardening: chart labels are not mathtext, the number parser reads only its digits."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.documents.chart import chart_png
from bot.services.reports.numbers import (
    MAX_TEXT,
    NumberRefusal,
    Refusal,
    parse_count,
    split_figures,
)
from bot.texts import translator

PNG = b"\x89PNG"


def test_dollar_signs_in_unit_names_are_drawn_as_text() -> None:
    bars = [("Thôn $\\undefinedmacro{x}$", 40.0), ("Buôn $5 $ hai", 95.0), ("$", 10.0)]
    png = chart_png(bars, 90.0, "Tiến độ $x^2$", "kỳ $1$", translator("vi"))
    assert png.startswith(PNG)


@pytest.mark.parametrize("text", ["፩", "١٢٣", "१२", "๓๐", "12፩", "𝟙𝟚"])
def test_digits_of_other_scripts_are_refused_with_the_usual_reason(text: str) -> None:
    if unicodedata.normalize("NFKC", text).isascii():
        assert parse_count(text) == int(unicodedata.normalize("NFKC", text))
        return
    with pytest.raises(NumberRefusal) as caught:
        parse_count(text)
    assert caught.value.reason == Refusal.NOT_A_NUMBER


def test_full_width_digits_are_read() -> None:
    assert parse_count("１２５０") == 1250


def test_a_4000_digit_number_is_refused_cheaply() -> None:
    with pytest.raises(NumberRefusal) as caught:
        parse_count("9" * 4000)
    assert caught.value.reason == Refusal.NOT_A_NUMBER
    assert split_figures("9" * 4000) == ["9" * 4000]
    assert len("9" * 4000) > MAX_TEXT


@settings(max_examples=2_000, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Zs"]), max_size=40))
def test_any_unicode_digits_parse_or_are_refused(text: str) -> None:
    try:
        value = parse_count(text)
    except NumberRefusal:
        return
    assert value >= 0 and all(
        ch.isascii() or not ch.isdigit() for ch in unicodedata.normalize("NFKC", text)
    )
