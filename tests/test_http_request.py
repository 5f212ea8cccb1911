"""The bounded Bot API transport: requests beyond the connections wait in front of httpx."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import TimedOut
from telegram.request import HTTPXRequest

from bot.telegram.http import BoundedRequest


class _Recorder:
    """Stands in for httpx: counts the requests inside it at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0
        self.sent = 0

    async def __call__(
        self, _request: HTTPXRequest, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await asyncio.sleep(self.hold)
        self.inside -= 1
        self.sent += 1
        return 200, b'{"ok": true, "result": true}'


async def test_no_more_requests_reach_httpx_than_there_are_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(hold=0.01)
    monkeypatch.setattr(HTTPXRequest, "do_request", recorder)
    request = BoundedRequest(connection_pool_size=3, pool_timeout=5)
    answers = await asyncio.gather(
        *(request.do_request("http://127.0.0.1/x", "POST") for _ in range(20))
    )
    assert recorder.sent == 20 and all(code == 200 for code, _ in answers)
    assert recorder.most == 3


async def test_a_request_waiting_past_the_pool_timeout_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(hold=0.5)
    monkeypatch.setattr(HTTPXRequest, "do_request", recorder)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=0.05)
    first = asyncio.create_task(request.do_request("http://127.0.0.1/x", "POST"))
    await asyncio.sleep(0)
    with pytest.raises(TimedOut):
        await request.do_request("http://127.0.0.1/x", "POST")
    assert (await first)[0] == 200
    # The slot of the request that timed out was never taken: the next one goes through.
    assert (await request.do_request("http://127.0.0.1/x", "POST"))[0] == 200
