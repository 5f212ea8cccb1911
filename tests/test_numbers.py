"""The figure parser: every accepted form, every refusal, and 10,000+ generated strings."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.reports.numbers import (
    MAX_WITHOUT_ADULTS,
    Figure,
    NumberRefusal,
    Refusal,
    check_range,
    parse_count,
    split_figures,
)
from bot.texts import translator
from bot.texts.reports import number_refusal

VI = translator("vi")
ACCEPTED = {
    "1250": 1250,
    "1.250": 1250,
    "1 250": 1250,
    "1.250.000": 1_250_000,
    "120 người": 120,
    "khoảng 120": 120,
    "khoang 120 nguoi": 120,
    "tầm 80": 80,
    "１２０": 120,
    "１.２５０": 1250,
    "mười hai": 12,
    "muoi hai": 12,
    "một trăm hai mươi": 120,
    "mot tram hai muoi": 120,
    "hai nghìn": 2000,
    "hai ngàn": 2000,
    "1 nghìn 2": 1200,
    "hai trăm mốt": 210,
    "hai mươi mốt": 21,
    "ba mươi tư": 34,
    "mười lăm": 15,
    "một trăm linh năm": 105,
    "một nghìn không trăm năm mươi": 1050,
    "nghìn rưỡi": 1500,
    "hai trăm rưỡi": 250,
    "một trăm nghìn": 100_000,
    "chín trăm chín mươi chín nghìn": 999_000,
    "12 nghìn": 12_000,
    "tám": 8,
    "0": 0,
    "  ２０  ": 20,
}

REFUSED = {
    "": (Refusal.EMPTY, "chưa gửi"),
    "   ": (Refusal.EMPTY, "chưa gửi"),
    "-5": (Refusal.NEGATIVE, "số âm"),
    "−5": (Refusal.NEGATIVE, "số âm"),
    "âm 5": (Refusal.NEGATIVE, "số âm"),
    "12,5": (Refusal.DECIMAL, "thập phân"),
    "12.5": (Refusal.DECIMAL, "thập phân"),
    "1,250": (Refusal.DECIMAL, "thập phân"),
    "100-120": (Refusal.RANGE, "khoảng"),
    "100 – 120": (Refusal.RANGE, "khoảng"),
    "100 đến 120": (Refusal.RANGE, "khoảng"),
    "50%": (Refusal.PERCENT, "phần trăm"),
    "50 phần trăm": (Refusal.PERCENT, "phần trăm"),
    "abc": (Refusal.NOT_A_NUMBER, "Không đọc được"),
    "hai ba": (Refusal.NOT_A_NUMBER, "Không đọc được"),
    "người": (Refusal.NOT_A_NUMBER, "Không đọc được"),
}


@pytest.mark.parametrize(("text", "expected"), ACCEPTED.items())
def test_accepted_forms(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(("text", "expected"), REFUSED.items())
def test_refused_forms_say_why(text: str, expected: tuple[Refusal, str]) -> None:
    code, wording = expected
    with pytest.raises(NumberRefusal) as refused:
        parse_count(text)
    assert refused.value.reason == code
    assert wording in number_refusal(translator("vi"), refused.value)


def test_range_checks_against_adults_or_a_million() -> None:
    vi = translator("vi")
    check_range(800, 800, figure=Figure.ENROLLED)
    with pytest.raises(NumberRefusal) as above_adults:
        check_range(801, 800, figure=Figure.ENROLLED)
    assert above_adults.value.reason == Refusal.ABOVE_ADULTS
    wording = number_refusal(vi, above_adults.value)
    assert wording == "Số đăng ký học (801) lớn hơn số người trưởng thành của đơn vị (800)."
    check_range(MAX_WITHOUT_ADULTS, None, figure=Figure.ENROLLED)
    with pytest.raises(NumberRefusal) as above_limit:
        check_range(MAX_WITHOUT_ADULTS + 1, None, figure=Figure.COMPLETED)
    assert "1.000.000" in number_refusal(vi, above_limit.value)
    assert "1,000,000" in number_refusal(translator("en"), above_limit.value)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("120 45", ["120", "45"]),
        ("1 250 45", ["1 250", "45"]),
        ("1.250 45", ["1.250", "45"]),
        ("120, 45", ["120", "45"]),
        ("một trăm; bốn mươi", ["một trăm", "bốn mươi"]),
        ("1 250", ["1 250"]),
        ("304 101", ["304", "101"]),
        ("1 250 300", ["1 250", "300"]),
        ("12 500", ["12 500"]),
        ("khoảng 120 người", ["120"]),
    ],
)
def test_split_figures(text: str, pieces: list[str]) -> None:
    assert split_figures(text) == pieces


VIETNAMESE_NOISE = st.sampled_from(
    [
        "một",
        "hai",
        "trăm",
        "nghìn",
        "mươi",
        "mười",
        "linh",
        "rưỡi",
        "người",
        "khoảng",
        "-",
        ",",
        ".",
        " ",
        "%",
        "đến",
        "５",
        "0",
        "1",
        "250",
        "âm",
        "tư",
        "lăm",
        "x",
        "\u00a0",
    ]
)


@settings(max_examples=10_000, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.lists(VIETNAMESE_NOISE, max_size=8).map("".join),
        st.lists(VIETNAMESE_NOISE, max_size=8).map(" ".join),
    )
)
def test_parser_never_crashes(text: str) -> None:
    try:
        value = parse_count(text)
    except NumberRefusal as refusal:
        assert number_refusal(VI, refusal)[0].isupper()
        return
    assert isinstance(value, int) and value >= 0
    try:
        check_range(value, None, figure=Figure.ENROLLED)
    except NumberRefusal as refusal:
        assert refusal.reason == Refusal.ABOVE_LIMIT
    else:
        assert 0 <= value <= MAX_WITHOUT_ADULTS


@settings(max_examples=2_000, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_WITHOUT_ADULTS))
def test_every_formatted_number_reads_back(value: int) -> None:
    dotted = f"{value:,}".replace(",", ".")
    spaced = f"{value:,}".replace(",", " ")
    assert parse_count(str(value)) == value
    assert parse_count(dotted) == value
    assert parse_count(spaced) == value
    assert parse_count(f"khoảng {dotted} người") == value
