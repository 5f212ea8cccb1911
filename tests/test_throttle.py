"""The per-user token bucket: bursts pass, floods are dropped with one notice per episode."""

from __future__ import annotations

from bot.telegram.intake.throttle import UserThrottle, Verdict


def test_burst_passes_then_one_notice_then_silence() -> None:
    throttle = UserThrottle(rate=1.0, burst=3, clock=lambda: 100.0)
    verdicts = [throttle.check(7) for _ in range(6)]
    assert verdicts == [Verdict.PASS] * 3 + [Verdict.NOTICE, Verdict.DROP, Verdict.DROP]
    assert throttle.check(8) == Verdict.PASS, "another user is not affected"


def test_tokens_come_back_and_a_new_episode_is_told_again() -> None:
    throttle = UserThrottle(rate=2.0, burst=2)
    assert [throttle.check(7, 10.0) for _ in range(4)] == [
        Verdict.PASS,
        Verdict.PASS,
        Verdict.NOTICE,
        Verdict.DROP,
    ]
    assert throttle.check(7, 10.5) == Verdict.PASS  # one token after half a second
    assert throttle.check(7, 10.5) == Verdict.DROP  # the same flood: not told again
    assert throttle.check(7, 11.5) == Verdict.PASS  # quiet until the bucket is full again
    assert throttle.check(7, 11.5) == Verdict.PASS
    assert throttle.check(7, 11.5) == Verdict.NOTICE  # a new episode: told once more


def test_a_flood_across_seconds_is_told_once() -> None:
    """Telegram's dates are whole seconds: a flood that crosses several is one episode."""
    throttle = UserThrottle(rate=1.0, burst=8)
    verdicts = [throttle.check(7, 100.0 + i // 20) for i in range(60)]
    assert verdicts.count(Verdict.NOTICE) == 1
    assert verdicts.count(Verdict.PASS) == 8 + 2


def test_a_backlog_sent_slowly_is_not_a_flood() -> None:
    """Messages typed a few seconds apart pass even if they all arrive at once."""
    throttle = UserThrottle(rate=1.0, burst=2, clock=lambda: 1_000.0)
    assert all(throttle.check(7, 500.0 + 2 * i) == Verdict.PASS for i in range(50))


def test_idle_users_are_forgotten() -> None:
    throttle = UserThrottle(rate=1.0, burst=1)
    for user in range(5000):
        throttle.check(user, 0.0)
    throttle.check(1, 10_000.0)
    throttle._prune(10_000.0)
    assert len(throttle._buckets) <= 1
