"""End-to-end: sentences are read inside 📝 Báo cáo's questions as they are outside (issue 24)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.sandbox.client import SandboxClient
from bot.telegram.context import BotApplication
from bot.texts import translator
from tests.helpers import register, reports_of

SessionFactory = async_sessionmaker[AsyncSession]
VI = translator("vi")
HEAD = 895_001


async def test_a_sentence_with_both_figures_answers_the_first_question(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    [question] = await client.converse(HEAD, "/baocao")
    assert question["html"] == VI("report.ask_enrolled", unit="Thôn 1")
    [echo] = await client.converse(HEAD, "47 người, 15 người hoàn thành")
    assert "Đã ghi nhận" in echo["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (47, 15)


async def test_a_sentence_answers_the_second_question_and_keeps_the_first_figure(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    await client.converse(HEAD, "/baocao")
    [ask_completed] = await client.converse(HEAD, "được 47 người")
    assert ask_completed["html"] == VI("report.ask_completed")
    [echo] = await client.converse(HEAD, "47 người, 15 người hoàn thành")
    assert "Đã ghi nhận" in echo["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (47, 15)
    # A word that is no number is still refused, and the question stays.
    await client.converse(HEAD, "/baocao")
    await client.converse(HEAD, "50")
    [retry] = await client.converse(HEAD, "chưa biết")
    assert retry["text"].startswith("❌") and retry["text"].endswith("Vui lòng gõ lại.")
    assert len(await reports_of(session_factory, "T01")) == 1


async def test_the_completed_figure_alone_answers_the_second_question(
    app: BotApplication, client: SandboxClient, session_factory: SessionFactory
) -> None:
    await register(client, session_factory, HEAD, "T01")
    await client.converse(HEAD, "/baocao")
    await client.converse(HEAD, "47")
    [echo] = await client.converse(HEAD, "15 người hoàn thành")
    assert "Đã ghi nhận" in echo["text"]
    [report] = await reports_of(session_factory, "T01")
    assert (report.enrolled, report.completed) == (47, 15)
    # Outside the questions the same words are still asked about, not recorded.
    [doubt] = await client.converse(HEAD, "15 người hoàn thành")
    assert doubt["html"] == VI("report.free.only_completed")
    assert len(await reports_of(session_factory, "T01")) == 1
