"""Keep-alive connections to the Bot API: reused, never more than asked, stale ones closed."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpcore
import pytest

from bot.telegram import connections as connections_module
from bot.telegram.connections import Connections
from bot.telegram.http import _verifying_context
from bot.telegram.network import AsyncioBackend


class Server:
    """A keep-alive HTTP server on loopback that counts its connections."""

    def __init__(self, delay: float = 0.0, dribble: bool = False) -> None:
        self.delay = delay
        self.dribble = dribble  # a 2,000-byte body sent 100 bytes at a time, 0.1 s apart
        self.opened = 0
        self.open_now = 0
        self.most_open = 0
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.opened += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(self.delay)
                if self.dribble and b"/slow" in head:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n")
                    for _ in range(20):
                        await asyncio.sleep(0.1)
                        if reader.at_eof():  # the client closed the connection
                            raise ConnectionError
                        writer.write(b"x" * 100)
                        await writer.drain()
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        self.open_now -= 1
        writer.close()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/botTOKEN/getMe"

    def close(self) -> None:
        assert self.server is not None
        self.server.close()


def _request(url: str) -> httpcore.Request:
    host = url.split("/")[2].encode()
    timeouts = {"connect": 5.0, "read": 5.0, "write": 5.0, "pool": 5.0}
    return httpcore.Request(
        "POST",
        url,
        headers=[(b"Host", host), (b"Content-Length", b"0")],
        extensions={"timeout": timeouts},
    )


def _connections(keepalive: float = 5.0, limit: int = 8) -> Connections:
    return Connections(limit, _verifying_context(), keepalive, AsyncioBackend())


async def test_requests_one_after_another_share_one_connection() -> None:
    server = Server()
    url = await server.start()
    connections = _connections()
    try:
        for _ in range(5):
            assert await connections.send(_request(url)) == (200, b"ok")
        assert server.opened == 1
    finally:
        await connections.aclose()
        server.close()


async def test_requests_at_once_each_get_a_connection_then_reuse_them() -> None:
    server = Server(delay=0.05)
    url = await server.start()
    connections = _connections()
    try:
        for _ in range(3):
            answers = await asyncio.gather(*(connections.send(_request(url)) for _ in range(4)))
            assert answers == [(200, b"ok")] * 4
        assert server.opened == 4 and server.most_open == 4
    finally:
        await connections.aclose()
        server.close()


async def test_idle_connections_past_their_keepalive_are_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connections_module, "SWEEP_SECONDS", 0.0)
    server = Server()
    url = await server.start()
    connections = _connections(keepalive=0.05)
    try:
        await asyncio.gather(*(connections.send(_request(url)) for _ in range(2)))
        await asyncio.sleep(0.2)
        assert await connections.send(_request(url)) == (200, b"ok")
        await asyncio.sleep(0.05)  # the server sees the stale connections closed
        assert server.opened == 3 and server.open_now == 1
    finally:
        await connections.aclose()
        server.close()


async def test_a_connection_in_use_at_shutdown_is_closed_when_its_request_ends() -> None:
    server = Server(delay=0.1)
    url = await server.start()
    connections = _connections()
    try:
        pending: asyncio.Task[Any] = asyncio.create_task(connections.send(_request(url)))
        await asyncio.sleep(0.05)
        await connections.aclose()
        assert await pending == (200, b"ok")
        await asyncio.sleep(0.05)
        assert server.open_now == 0
        connections.reopen()
        assert await connections.send(_request(url)) == (200, b"ok")
        assert server.open_now == 1
    finally:
        await connections.aclose()
        server.close()


async def test_a_request_cancelled_while_its_answer_arrives_closes_its_connection() -> None:
    """PTB cancels getUpdates at a stop, then asks once more: never a second socket."""
    server = Server(dribble=True)
    url = await server.start()
    connections = _connections(limit=1)
    try:
        pending = asyncio.create_task(connections.send(_request(url.replace("getMe", "slow"))))
        await asyncio.sleep(0.35)  # the headers are in, the body still coming
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        await asyncio.sleep(0.15)
        assert server.open_now == 0
        assert await connections.send(_request(url)) == (200, b"ok")
        assert server.most_open == 1
    finally:
        await connections.aclose()
        server.close()


async def test_connections_to_another_address_make_room_within_the_limit() -> None:
    """A separate file server: with a limit of 1, the idle API connection is closed first."""
    api, files = Server(), Server()
    api_url, files_url = await api.start(), await files.start()
    connections = _connections(limit=1)
    try:
        assert await connections.send(_request(api_url)) == (200, b"ok")
        assert await connections.send(_request(files_url)) == (200, b"ok")
        await asyncio.sleep(0.05)
        assert api.open_now + files.open_now == 1
    finally:
        await connections.aclose()
        api.close()
        files.close()
