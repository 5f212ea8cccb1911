"""The Bot API transport: bounded requests, sent to httpcore's pool, on asyncio connections."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.http import BoundedRequest
from bot.telegram.network import READ_AHEAD_BYTES, AsyncioBackend


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


async def test_a_pool_timeout_given_with_the_call_bounds_its_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(hold=1.0)
    monkeypatch.setattr(BoundedRequest, "_send", recorder)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=30)
    await request.initialize()
    first = asyncio.create_task(request.do_request("http://127.0.0.1/x", "POST"))
    await asyncio.sleep(0)
    with pytest.raises(TimedOut):
        await asyncio.wait_for(
            request.do_request("http://127.0.0.1/x", "POST", pool_timeout=0.05), timeout=0.5
        )
    assert (await first)[0] == 200


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


async def test_requests_travel_on_the_asyncio_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx's own connections are on anyio; ours (bot/telegram/connections.py) on asyncio.
    connects: list[int] = []
    original = AsyncioBackend.connect_tcp

    async def counted(self: AsyncioBackend, host: str, port: int, **kwargs: Any) -> Any:
        connects.append(port)
        return await original(self, host, port, **kwargs)

    monkeypatch.setattr(AsyncioBackend, "connect_tcp", counted)
    server, url = await _serve(_answer_then_hang_up)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        assert (await request.do_request(url, "POST"))[0] == 200
        assert len(connects) == 1
    finally:
        await request.shutdown()
        server.close()


def _body_of(size: int) -> bytes:
    """A recognisable body of `size` bytes."""
    return bytes(index % 251 for index in range(size))


async def test_a_large_answer_arrives_whole() -> None:
    # Larger than what a connection reads ahead (READ_AHEAD_BYTES): reading pauses and resumes.
    body = _body_of(3 * READ_AHEAD_BYTES + 17)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        await writer.drain()
        writer.close()

    server, url = await _serve(answer)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        assert await request.do_request(url, "GET") == (200, body)
    finally:
        await request.shutdown()
        server.close()


async def test_a_call_is_sent_as_the_form_httpx_would_send() -> None:
    """Parameters (Vietnamese, JSON, symbols) arrive exactly as httpx encodes them."""
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        seen.extend([head, await reader.readexactly(length)])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntrue")
        await writer.drain()
        writer.close()

    server, url = await _serve(record)
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("text", "Thôn 2: 1.250 người & 10% <b>hoàn thành</b>"),
            RequestParameter.from_input(
                "reply_markup", {"inline_keyboard": [[{"text": "📝", "callback_data": "n:1"}]]}
            ),
        ]
    )
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        assert await request.do_request(url, "POST", data) == (200, b"true")
    finally:
        await request.shutdown()
        server.close()
    head, body = seen
    expected = httpx.Request("POST", url, data=data.json_parameters)
    assert body == expected.read()
    assert head.startswith(b"POST /botTOKEN/getMe HTTP/1.1\r\n")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:-2])
    assert headers[b"Host"] == url.split("/")[2].encode()
    assert headers[b"Content-Type"] == b"application/x-www-form-urlencoded"
    assert headers[b"User-Agent"] == BoundedRequest.USER_AGENT.encode()


async def test_a_file_download_is_a_bare_get() -> None:
    heads: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n%PD")
        await writer.drain()
        writer.close()

    server, url = await _serve(record)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        assert await request.do_request(url.replace("/bot", "/file/bot"), "GET") == (200, b"%PD")
    finally:
        await request.shutdown()
        server.close()
    assert heads[0].startswith(b"GET /file/botTOKEN/getMe HTTP/1.1\r\n")
    assert b"Content-Type" not in heads[0] and b"Content-Length" not in heads[0]


async def test_a_large_upload_waits_for_a_slow_reader() -> None:
    # The transport's buffer fills and the writer waits (pause_writing/resume_writing).
    received = bytearray()
    size = 8 * 1024 * 1024

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while len(received) < size:
            received.extend(await reader.read(64 * 1024))
            await asyncio.sleep(0)
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
    try:
        await stream.write(_body_of(size), timeout=30)
        assert await stream.read(10, timeout=5) == b"ok"
        assert bytes(received) == _body_of(size)
    finally:
        await stream.aclose()
        server.close()


async def test_an_answer_cut_off_is_a_network_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
        await writer.drain()
        writer.close()

    server, url = await _serve(cut)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.do_request(url, "POST")
    finally:
        await request.shutdown()
        server.close()


TLS = Path(__file__).parent / "data" / "tls"


async def _tls_server() -> tuple[asyncio.Server, str]:
    """An HTTPS server on loopback with the test authority's certificate for 127.0.0.1."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "server.pem")
    server = await asyncio.start_server(_answer_then_hang_up, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    return server, f"https://127.0.0.1:{port}/botTOKEN/getMe"


async def test_https_works_and_the_certificate_is_checked() -> None:
    # Telegram is reached over TLS (asyncio's own, after connecting): a certificate from an
    # authority the bot trusts is accepted, any other refused.
    server, url = await _tls_server()
    trusting = ssl.create_default_context(cafile=TLS / "ca.pem")
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5, ssl_context=trusting)
    stranger = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    await stranger.initialize()
    try:
        assert await request.do_request(url, "POST") == (200, b'{"ok": true, "result": true}')
        with pytest.raises(NetworkError):
            await stranger.do_request(url, "POST")
    finally:
        await request.shutdown()
        await stranger.shutdown()
        server.close()


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, read nothing, say nothing (a stalled peer)."""
    await asyncio.sleep(5)
    writer.close()


async def test_a_tls_handshake_that_never_ends_is_a_time_out() -> None:
    # A time-out, which PTB's polling retries at once, not a network error it backs off from.
    server, url = await _serve(_silent)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5, connect_timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.do_request(url.replace("http://", "https://"), "POST")
    finally:
        await request.shutdown()
        server.close()


async def test_an_upload_over_tls_waits_for_the_peer_within_its_write_timeout() -> None:
    # asyncio's TLS layer takes a whole write at once: without writing in pieces, a big file
    # would seem sent at once and its time would count against the read timeout instead.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS / "server.pem")
    server = await asyncio.start_server(_silent, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    backend = AsyncioBackend()
    stream = await backend.connect_tcp("127.0.0.1", port, timeout=5)
    secure = await stream.start_tls(
        ssl.create_default_context(cafile=TLS / "ca.pem"), "127.0.0.1", timeout=5
    )
    try:
        with pytest.raises(httpcore.WriteTimeout):
            await secure.write(_body_of(16 * 1024 * 1024), timeout=0.3)
    finally:
        await secure.aclose()
        server.close()


async def test_a_request_waiting_for_a_slot_is_not_sent_after_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorder = _Recorder(hold=0.2)
    monkeypatch.setattr(BoundedRequest, "_send", recorder)
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    first = asyncio.create_task(request.do_request("http://127.0.0.1/x", "POST"))
    waiting = asyncio.create_task(request.do_request("http://127.0.0.1/x", "POST"))
    await asyncio.sleep(0.05)
    await request.shutdown()
    assert (await first)[0] == 200
    with pytest.raises(RuntimeError):
        await waiting
    assert recorder.sent == 1


async def test_behind_a_proxy_requests_go_through_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # The transport of our own does not speak to proxies: with one set, httpx's client does.
    proxy, proxy_url = await _serve(_answer_then_hang_up)
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy_url.split("/bot")[0])
    nowhere, _ = await _serve(_silent)
    port = nowhere.sockets[0].getsockname()[1]
    nowhere.close()
    await nowhere.wait_closed()
    request = BoundedRequest(connection_pool_size=1, pool_timeout=5)
    await request.initialize()
    try:
        # Nothing listens at the target itself: only the proxy can answer.
        answer = await request.do_request(f"http://127.0.0.1:{port}/botTOKEN/getMe", "POST")
        assert answer == (200, b'{"ok": true, "result": true}')
    finally:
        await request.shutdown()
        proxy.close()


async def _answer_every_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer each request on the connection, keeping it alive."""
    body = b'{"ok": true, "result": []}'
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    writer.close()


async def test_a_request_cancelled_at_any_moment_gives_its_connection_back() -> None:
    # PTB cancels the pending getUpdates at every stop, then asks once more on the same single
    # connection. A cancel landing inside httpcore's close of the response used to leave the
    # connection counted busy, and the last getUpdates waited out the pool timeout.
    server, url = await _serve(_answer_every_request)
    try:
        for turns in range(40):  # the cancel lands a little later each time
            request = BoundedRequest(connection_pool_size=1, pool_timeout=0.5)
            await request.initialize()
            await request.do_request(url, "POST")  # a kept-alive connection to reuse
            pending = asyncio.create_task(request.do_request(url, "POST"))
            for _ in range(turns):
                await asyncio.sleep(0)
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
            assert (await request.do_request(url, "POST"))[0] == 200, f"after {turns} turns"
            await request.shutdown()
    finally:
        server.close()


async def test_a_unix_socket_connection_reads_and_writes(tmp_path: Path) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(5))
        await writer.drain()
        writer.close()

    path = str(tmp_path / "bot-api.sock")
    server = await asyncio.start_unix_server(echo, path)
    stream = await AsyncioBackend().connect_unix_socket(path, timeout=5)
    try:
        await stream.write(b"hello", timeout=5)
        assert await stream.read(5, timeout=5) == b"hello"
        assert await stream.read(5, timeout=5) == b""  # closed by the server
    finally:
        await stream.aclose()
        server.close()


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
