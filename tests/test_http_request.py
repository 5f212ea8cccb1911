"""The bounded Bot API transport: requests beyond the connections wait in front of httpx."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram.error import NetworkError, TimedOut

from bot.telegram.http import BoundedRequest


class _Recorder:
    """Stands in for httpx: counts the requests inside it at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0
        self.sent = 0

    async def __call__(self, _request: BoundedRequest, *args: Any) -> tuple[int, bytes]:
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
    monkeypatch.setattr(BoundedRequest, "_send", recorder)
    request = BoundedRequest(connection_pool_size=3, pool_timeout=5)
    await request.initialize()
    answers = await asyncio.gather(
        *(request.do_request("http://127.0.0.1/x", "POST") for _ in range(20))
    )
    assert recorder.sent == 20 and all(code == 200 for code, _ in answers)
    assert recorder.most == 3


async def test_a_request_waiting_past_the_pool_timeout_times_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(hold=0.5)
    monkeypatch.setattr(BoundedRequest, "_send", recorder)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=0.05)
    await request.initialize()
    first = asyncio.create_task(request.do_request("http://127.0.0.1/x", "POST"))
    await asyncio.sleep(0)
    with pytest.raises(TimedOut):
        await request.do_request("http://127.0.0.1/x", "POST")
    assert (await first)[0] == 200
    # The slot of the request that timed out was never taken: the next one goes through.
    assert (await request.do_request("http://127.0.0.1/x", "POST"))[0] == 200


async def _serve(handle: Any) -> tuple[asyncio.Server, str]:
    """A bare HTTP server on loopback for the transport's own tests."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/botTOKEN/getMe"


async def _answer_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer one request promising keep-alive, then close the connection anyway."""
    await reader.readuntil(b"\r\n\r\n")
    body = b'{"ok": true, "result": true}'
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    writer.write(head.encode() + body)
    await writer.drain()
    writer.close()


async def test_a_connection_the_server_closed_while_idle_is_not_used_again() -> None:
    # The transport asks idle sockets itself whether the server hung up (bot/telegram/http.py):
    # if it answered wrongly, the second request would go out on the dead connection and fail.
    server, url = await _serve(_answer_then_hang_up)
    request = BoundedRequest(connection_pool_size=2, pool_timeout=5)
    await request.initialize()
    try:
        for _ in range(3):
            assert await request.do_request(url, "POST") == (200, b'{"ok": true, "result": true}')
            await asyncio.sleep(0.05)  # the server's close arrives while the connection idles
        await request.shutdown()
        await request.initialize()  # PTB builds a new client on the same transport
        assert (await request.do_request(url, "POST"))[0] == 200
    finally:
        await request.shutdown()
        server.close()


async def _never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the request and say nothing."""
    await reader.readuntil(b"\r\n\r\n")
    await asyncio.sleep(5)
    writer.close()


async def test_a_server_that_does_not_answer_times_out_as_ptb_says() -> None:
    server, url = await _serve(_never_answer)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5, read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
        server.close()


async def test_a_refused_connection_is_a_network_error() -> None:
    server, url = await _serve(_never_answer)
    server.close()
    await server.wait_closed()
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
