"""The one paged unit picker: pages, ticks, navigation and the done button."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.ui.callbacks import Action
from bot.texts import translator
from handlers.picker import PAGE_SIZE, PickerActions, picker_keyboard

ACTIONS = PickerActions(Action.COMPOSE_PICK, Action.COMPOSE_PAGE, Action.COMPOSE_PICKED)
T = translator("vi")


def _labels(markup: object) -> list[list[str]]:
    return [[b.text for b in row] for row in markup.inline_keyboard]  # type: ignore[attr-defined]


def test_the_second_page_shows_the_next_names_ticks_and_both_arrows() -> None:
    choices = [(f"U{i:02}", f"Thôn {i}") for i in range(20)]
    markup = picker_keyboard(T, choices, {"U09"}, 1, ACTIONS)
    rows = markup.inline_keyboard
    assert [row[0].text for row in rows[:PAGE_SIZE]][:2] == ["Thôn 8", "✔️ Thôn 9"]
    assert rows[1][0].callback_data == "dir:pick:U09"
    navigation = [b.callback_data for b in rows[PAGE_SIZE]]
    assert navigation == ["dir:page:0", "dir:page:1", "dir:page:2"]
    assert rows[PAGE_SIZE][1].text == "2/3"
    assert rows[-1][0].callback_data == "dir:picked"


def test_ids_pick_as_well_as_codes() -> None:
    markup = picker_keyboard(T, [(7, "Buôn Ea Knốp")], (7,), 0, ACTIONS)
    assert _labels(markup)[0] == ["✔️ Buôn Ea Knốp"]
    assert markup.inline_keyboard[0][0].callback_data == "dir:pick:7"


@given(count=st.integers(0, 60), page=st.integers(-3, 20))
def test_any_page_asked_for_shows_a_real_page(count: int, page: int) -> None:
    choices = [(f"U{i}", f"Thôn {i}") for i in range(count)]
    rows = _labels(picker_keyboard(T, choices, set(), page, ACTIONS))
    pages = max(1, -(-count // PAGE_SIZE))
    shown = max(0, min(page, pages - 1))
    names = [row[0] for row in rows[:-2]]
    assert names == [name for _, name in choices[shown * PAGE_SIZE : (shown + 1) * PAGE_SIZE]]
    assert f"{shown + 1}/{pages}" in rows[-2]
