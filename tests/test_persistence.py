"""Drafts and conversation states in the database: any process continues a conversation."""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from datetime import UTC, date, datetime, time
from typing import Any, Union

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import ConversationHandler

from bot.app import build_application, polling
from bot.sandbox.client import SandboxClient
from bot.telegram.conversations.conversation import Conversation
from bot.telegram.conversations.draft_codec import DraftCodecError, dump_slots, load_slots, slots_of
from bot.telegram.conversations.drafts import ReportDraft, UserData
from models import ConversationState, UserDrafts
from tests.conftest import SettingsFactory
from tests.helpers import register, reports_of

SessionFactory = async_sessionmaker[AsyncSession]
HEAD = 960_001


def sample(hint: Any, depth: int = 0) -> Any:
    """A value of the annotated type that is not its default, built from the annotation alone."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return sample(next(arg for arg in args if arg is not type(None)), depth)
    if origin is typing.Literal:
        return args[-1]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (sample(args[0], depth + 1), sample(args[0], depth + 1))
        return tuple(sample(arg, depth + 1) for arg in args)
    if origin in (list, set, frozenset):
        return origin([sample(args[0], depth + 1)])
    if origin is dict:
        return {"k": [1, "x", None]} if args[1] is Any else {"k": sample(args[1], depth + 1)}
    if hint is Any:
        return {"any": [1, 2]}
    if hint is bool:
        return True
    if hint is int:
        return 7 + depth
    if hint is float:
        return 2.5
    if hint is str:
        return f"Thôn {depth} <b>&"
    if hint is datetime:
        return datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    if hint is date:
        return date(2026, 11, 27)
    if hint is time:
        return time(8, 30)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return list(hint)[-1]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: sample(hints[f.name], depth + 1) for f in dataclasses.fields(hint)})
    raise AssertionError(f"no sample for {hint!r}: teach the codec and this test the type")


def test_every_user_data_slot_is_annotated_and_stored_whole() -> None:
    """A new draft slot needs an annotation (what is stored) and storable fields."""
    fresh = UserData()
    assert set(vars(fresh)) == set(slots_of(UserData)), "annotate every UserData slot"
    full = UserData()
    for name, hint in typing.get_type_hints(UserData).items():
        setattr(full, name, sample(hint))
    text = dump_slots(full)
    back = UserData()
    assert load_slots(back, json.dumps(json.loads(text))) == []
    for name in slots_of(UserData):
        assert getattr(back, name) == getattr(full, name), name


def test_stored_drafts_that_no_longer_fit_are_dropped_not_trusted() -> None:
    user_data = UserData()
    stored = {
        "report": {"target": {"unit_id": "1; DROP TABLE"}},  # wrong type
        "directive": {"__class__": "os.system"},  # a name is never looked up
        "schedule": {"schedule_id": 3, "kind": "chase", "rule": "t2 08:00"},
        "gone_slot": 1,
    }
    dropped = load_slots(user_data, json.dumps(stored))
    assert sorted(dropped) == ["directive", "gone_slot", "report"]
    assert user_data.report is None and user_data.directive is None
    assert user_data.schedule is not None and user_data.schedule.rule == "t2 08:00"


def test_values_outside_the_annotations_are_refused() -> None:
    drafts = UserData()
    drafts.report = object()  # type: ignore[assignment]
    with pytest.raises(DraftCodecError):
        dump_slots(drafts)
    assert load_slots(UserData(), json.dumps({"report": {"target": None}})) == ["report"]
    assert load_slots(UserData(), "[1, 2]") == ["(not an object)"]
    kept = UserData()
    kept.report = ReportDraft(target=sample(typing.get_type_hints(ReportDraft)["target"]))
    assert json.loads(dump_slots(kept)).keys() == {"report"}, "empty slots are not stored"


async def test_every_conversation_keeps_its_state_in_the_shared_state(
    make_settings: SettingsFactory,
) -> None:
    """PTB's ConversationHandler keeps states in one process's memory: none may be used."""
    application = build_application(make_settings())
    registered = [handler for group in application.handlers.values() for handler in group]
    assert not [h for h in registered if isinstance(h, ConversationHandler)]
    names = [h.name for h in registered if isinstance(h, Conversation)]
    assert sorted(names) == [
        "commend_reason", "directive", "good_model", "model_review", "report", "schedule",
        "unit_edit",
    ]  # fmt: skip


async def test_a_report_begun_in_one_process_is_finished_by_the_next(
    make_settings: SettingsFactory,
    units: None,
    client: SandboxClient,
    session_factory: SessionFactory,
) -> None:
    """The first process asks, stops; the second one takes the answer where it was left."""
    async with polling(build_application(make_settings())):
        await register(client, session_factory, HEAD, "T01")
        [question] = await client.converse(HEAD, "/baocao")
        assert "đã đăng ký học" in question["text"]
        [ask_completed] = await client.converse(HEAD, "120")
    async with session_factory() as session:
        drafts = await session.scalar(select(UserDrafts.data).where(UserDrafts.user_id == HEAD))
        states = list(await session.scalars(select(ConversationState.name)))
    assert drafts is not None and json.loads(drafts)["report"]["enrolled"] == 120
    assert states == ["report"]
    async with polling(build_application(make_settings())):
        [echo] = await client.converse(HEAD, "45")
    assert "Đã ghi nhận" in echo["text"], echo["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (120, 45)
    async with session_factory() as session:
        assert await session.scalar(select(ConversationState.name)) is None
        left = await session.scalar(select(UserDrafts.data).where(UserDrafts.user_id == HEAD))
    assert left is None or "report" not in json.loads(left)
    assert ask_completed["message_id"]


def test_leaving_a_conversation_one_was_not_in_is_no_change() -> None:
    """A report by command enters and leaves its conversation at once: nothing to write."""
    from bot.telegram.conversations.shared_state import SharedState

    shared = SharedState(owns=lambda chat: True)
    shared.set_state("report", (HEAD, HEAD), None)
    assert not shared.has_changes(None)
    shared.set_state("report", (HEAD, HEAD), 1)
    assert shared.has_changes(None)


def test_conversation_timeouts_are_not_taken_for_schedules() -> None:
    """The scheduler drops jobs named `schedule:…` it does not know: a timeout must not be one."""
    from bot.telegram.conversations.conversation import timeout_job_name
    from scheduler.jobs import JOB_PREFIX

    assert not timeout_job_name("schedule", (HEAD, HEAD)).startswith(JOB_PREFIX)
