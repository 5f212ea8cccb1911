"""The one home of callback data: build and parse, Telegram's limit, and a role for every button."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler

from bot.app import build_application
from bot.telegram.ui.callbacks import Action, action_of, args_of, build, int_arg, is_ours, pattern
from bot.telegram.ui.permissions import CALLBACK_ROLES, STAFF, callback_allowed
from handlers.chat import expired_button
from models import Role
from tests.conftest import SettingsFactory


@given(
    st.sampled_from(list(Action)),
    st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True), max_size=3),
)
def test_data_round_trips(action: Action, args: list[str]) -> None:
    data = build(action, *args)
    assert action_of(data) == action
    assert args_of(data, action) == args


def test_longest_prefix_wins_and_unknown_data_is_nobodys() -> None:
    assert action_of("dir:picked") == Action.COMPOSE_PICKED
    assert action_of("dir:pick:T01") == Action.COMPOSE_PICK
    assert int_arg("sched:run:12", Action.SCHEDULE_RUN) == 12
    assert action_of("dir:pickled") is None
    assert action_of("forged:1") is None
    assert not callback_allowed("forged:1", Role.ADMIN)
    # Shaped like ours (an older version's button): stale, not forged.
    assert is_ours("dir:pickled") and is_ours("report:start:old")
    assert not is_ours("forged:1") and not is_ours("")


def test_data_over_telegrams_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        build(Action.COMPOSE_PICK, "x" * 60)


def test_every_action_has_roles_and_staff_buttons_are_staff_only() -> None:
    assert set(CALLBACK_ROLES) == set(Action)
    assert CALLBACK_ROLES[Action.SCHEDULE_RUN] == STAFF
    assert not callback_allowed(build(Action.SCHEDULE_RUN, 1), Role.HEAD)
    assert callback_allowed(build(Action.ACK, 1), Role.HEAD)


def _callback_patterns(handlers: list[BaseHandler[Any, Any, Any]]) -> list[str]:
    """Every CallbackQueryHandler pattern, conversations included."""
    found: list[str] = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            for state_handlers in handler.states.values():
                nested += state_handlers
            found += _callback_patterns(nested)
        elif isinstance(handler, CallbackQueryHandler):
            if handler.callback is expired_button:
                continue  # The one catch-all: stale buttons, answered as expired.
            assert handler.pattern is not None, "a button handler without a pattern"
            found.append(getattr(handler.pattern, "pattern", str(handler.pattern)))
    return found


def test_every_registered_button_pattern_belongs_to_an_action_with_roles(
    make_settings: SettingsFactory,
) -> None:
    application = build_application(make_settings())
    patterns = [
        p for group in application.handlers.values() for p in _callback_patterns(list(group))
    ]
    assert len(patterns) > 25
    for registered in patterns:
        owners = [
            action
            for action in Action
            if registered == pattern(action)
            or registered.startswith(pattern(action).removesuffix("$") + ":")
        ]
        assert owners, f"{registered} is not built from bot.telegram.ui.callbacks"
        assert all(owner in CALLBACK_ROLES for owner in owners)
