"""Reading a head's words without figures: thanks, greetings, questions, mistyped numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.threads.head_words import Meaning, Understood, understand


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("Cảm ơn anh nhiều nhé!", Meaning.THANKS),
        ("CÁM ƠN", Meaning.THANKS),
        ("ok", Meaning.THANKS),
        ("👍", Meaning.THANKS),
        ("?", Meaning.OTHER),
        ("Xin chào bot", Meaning.GREETING),
        ("hạn nộp báo cáo khi nào?", Meaning.DEADLINE),
        ("bao gio phai bao cao", Meaning.DEADLINE),
        ("làm sao để dân đăng ký học?", Meaning.REGISTER),
        ("bà con chưa có tài khoản VNeID", Meaning.REGISTER),
        ("link học ở đâu", Meaning.COURSE),
        ("báo cáo gì vậy anh", Meaning.WHAT_TO_REPORT),
        ("cảm ơn, nhưng hạn báo cáo khi nào?", Meaning.DEADLINE),
        ("Thôn có mấy cụ già không dùng được điện thoại", Meaning.OTHER),
    ],
)
def test_what_common_messages_mean(text: str, meaning: Meaning) -> None:
    assert understand(text).meaning == meaning


@given(digits=st.integers(1, 999), letter=st.sampled_from("oOlI"))
def test_a_number_with_a_lookalike_letter_is_caught_with_what_was_meant(
    digits: int, letter: str
) -> None:
    typed = f"{digits}{letter}"
    meant = int(f"{digits}{'0' if letter in 'oO' else '1'}")
    assert understand(f"được {typed} người") == Understood(Meaning.MISTYPED_NUMBER, meant)


@given(st.text(max_size=300))
def test_any_text_has_a_meaning(text: str) -> None:
    understood = understand(text)
    assert understood.meaning in Meaning
    assert (understood.number is not None) == (understood.meaning is Meaning.MISTYPED_NUMBER)


@given(st.sampled_from(["cảm ơn", "Cảm ơn", "CẢM ƠN", "cam on", "Cám ơn"]))
def test_thanks_read_the_same_with_or_without_diacritics(text: str) -> None:
    assert understand(text).meaning is Meaning.THANKS
