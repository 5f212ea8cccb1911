"""The benchmark's CPU profile: samples are taken, and sorted into the right parts."""

from __future__ import annotations

import time

from bench.cpu_profile import OTHER, PARTS, CpuSampler, part_of

SEND = (
    "/v/asyncio/base_events.py:_run_once",
    "/v/site-packages/telegram/_bot.py:_post",
    "/v/site-packages/httpcore/_async/http11.py:handle_async_request",
)


def _part(prefix: str) -> str:
    """The part whose name starts with `prefix`."""
    return next(part for part, _ in PARTS if part.startswith(prefix))


def test_parsing_an_answer_counts_as_telegram_objects_not_http() -> None:
    stack = (*SEND, "/v/site-packages/telegram/_message.py:de_json")
    assert part_of(stack) == _part("Telegram objects")
    assert part_of(SEND) == _part("HTTP")


def test_our_code_and_the_database_under_it_are_told_apart() -> None:
    ours = ("/v/asyncio/events.py:_run", "/repo/bot/services/reports/submission.py:_write")
    assert part_of(ours) == _part("our code")
    under = (*ours, "/v/site-packages/sqlalchemy/orm/session.py:execute")
    assert part_of(under) == _part("database")
    assert part_of(("/v/asyncio/base_events.py:_run_once", "/v/selectors.py:select")) == _part(
        "event loop waiting"
    )
    assert part_of(("/v/somewhere.py:f",)) == OTHER


def test_samples_are_taken_while_the_process_works() -> None:
    sampler = CpuSampler()
    with sampler.sampling():
        end = time.process_time() + 0.2
        while time.process_time() < end:
            pass
    assert sum(sampler.stacks.values()) > 0
    assert abs(sum(sampler.shares().values()) - 1) < 1e-9
