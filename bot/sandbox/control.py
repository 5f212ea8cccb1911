"""The control interface: tests and the demo play users and read what the bot sent."""

from __future__ import annotations

import asyncio
import bisect
import time
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.flood import FloodConfig
from bot.sandbox.store import JSON, FaultRule, SentEvent, Store

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox


def user_object(user_id: int, first_name: str | None = None) -> JSON:
    """A Telegram User for a simulated person."""
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name or f"User {user_id}",
        "language_code": "vi",
    }


def chat_object(store: Store, chat_id: int, chat_type: str, first_name: str) -> JSON:
    """Register (or refresh) a chat so the bot can write to it, and return it."""
    if chat_type == "private":
        chat = {"id": chat_id, "type": "private", "first_name": first_name}
    else:
        chat = {"id": chat_id, "type": chat_type, "title": first_name}
    store.chats[chat_id] = chat
    return chat


def command_entities(text: str) -> list[JSON]:
    """Mark a leading /command, as Telegram does, so PTB's CommandHandler sees it."""
    if not text.startswith("/"):
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def message_update(store: Store, body: JSON) -> JSON:
    """Build a `message` update from {user_id, text | document, first_name?, chat_type?}."""
    user_id = int(body["user_id"])
    first_name = str(body.get("first_name") or f"User {user_id}")
    chat_type = str(body.get("chat_type") or "private")
    chat_id = int(body.get("chat_id") or user_id)
    chat = chat_object(store, chat_id, chat_type, first_name)
    message: JSON = {
        "message_id": store.next_message_id(chat_id),
        "date": int(time.time()),
        "chat": chat,
        "from": user_object(user_id, first_name),
    }
    if body.get("text") is not None:
        message["text"] = str(body["text"])
        entities = command_entities(message["text"])
        if entities:
            message["entities"] = entities
    if body.get("document"):
        stored = store.files[str(body["document"]["file_id"])]
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }
        if body.get("caption"):
            message["caption"] = str(body["caption"])
    if body.get("sticker"):
        message["sticker"] = {
            "file_id": "STK",
            "file_unique_id": "STK",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
    key = "edited_message" if body.get("edited") else "message"
    if body.get("edited"):
        message["edit_date"] = int(time.time())
    return {key: message}


def callback_update(store: Store, body: JSON) -> JSON:
    """Build a `callback_query` update: a user pressing a button under a bot message."""
    user_id = int(body["user_id"])
    chat_id = int(body.get("chat_id") or user_id)
    message = store.messages.get((chat_id, int(body["message_id"])))
    if message is None:
        raise web.HTTPBadRequest(text="no such bot message")
    query_id = uuid.uuid4().hex
    store.callbacks[query_id] = chat_id
    return {
        "callback_query": {
            "id": query_id,
            "from": user_object(user_id, body.get("first_name")),
            "chat_instance": str(chat_id),
            "message": message,
            "data": str(body["data"]),
        }
    }


def add_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Attach the control endpoints under /_sandbox."""
    store = sandbox.store

    async def post_message(request: web.Request) -> web.Response:
        body = await request.json()
        update = message_update(store, body)
        update_id = await store.push_update(update)
        inner = update.get("message") or update["edited_message"]
        return web.json_response({"update_id": update_id, "message_id": inner["message_id"]})

    async def post_callback(request: web.Request) -> web.Response:
        update = callback_update(store, await request.json())
        return web.json_response({"update_id": await store.push_update(update)})

    async def post_update(request: web.Request) -> web.Response:
        update = await request.json()
        for key in ("message", "edited_message", "callback_query"):
            chat = (update.get(key) or {}).get("chat")
            if chat:
                store.chats[int(chat["id"])] = chat
        return web.json_response({"update_id": await store.push_update(update)})

    async def get_events(request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id")
        after = int(request.query.get("after", 0))
        want = int(request.query.get("count", 0))
        timeout = float(request.query.get("wait", 0))

        wanted_chat = int(chat_id) if chat_id is not None else None

        def matching() -> list[SentEvent]:
            # Events are in seq order: skip the old ones by bisecting instead of scanning.
            start = bisect.bisect_right(store.events, after, key=lambda e: e.seq)
            return [
                e for e in store.events[start:] if wanted_chat is None or e.chat_id == wanted_chat
            ]

        deadline = asyncio.get_running_loop().time() + timeout
        async with store.changed:
            while len(found := matching()) < want:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                try:
                    await asyncio.wait_for(store.changed.wait(), remaining)
                except TimeoutError:
                    break
        return web.json_response(
            {
                "events": [e.to_json() for e in found],
                "last_seq": store.events[-1].seq if store.events else 0,
            }
        )

    async def post_file(request: web.Request) -> web.Response:
        stored = store.new_file(
            await request.read(),
            request.query.get("name", "file.bin"),
            request.query.get("mime", "application/octet-stream"),
        )
        return web.json_response({"file_id": stored.file_id})

    async def get_file_content(request: web.Request) -> web.Response:
        stored = store.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.content, content_type=stored.mime_type)

    async def post_faults(request: web.Request) -> web.Response:
        body = await request.json()
        store.faults = [FaultRule(**rule) for rule in body.get("rules", [])]
        if "latency" in body:
            store.latency = float(body["latency"])
        return web.json_response({"ok": True})

    async def post_chats(request: web.Request) -> web.Response:
        body = await request.json()
        for chat_id in body["chat_ids"]:
            chat_object(store, int(chat_id), "private", f"User {chat_id}")
        return web.json_response({"ok": True})

    async def post_block(request: web.Request) -> web.Response:
        body = await request.json()
        chat_id = int(body["chat_id"])
        if body.get("blocked", True):
            store.blocked.add(chat_id)
        else:
            store.blocked.discard(chat_id)
        return web.json_response({"ok": True})

    async def post_flood(request: web.Request) -> web.Response:
        sandbox.flood.config = FloodConfig(**(await request.json()))
        return web.json_response({"ok": True})

    async def get_commands(request: web.Request) -> web.Response:
        scope = request.query.get("scope", "default")
        return web.json_response({"commands": store.commands.get(scope)})

    async def get_stats(request: web.Request) -> web.Response:
        stats: dict[str, Any] = dict(store.counters)
        stats["pending_updates"] = len(store.updates)
        stats["confirmed_offset"] = store.confirmed_offset
        return web.json_response(stats)

    app.router.add_post("/_sandbox/message", post_message)
    app.router.add_post("/_sandbox/callback", post_callback)
    app.router.add_post("/_sandbox/update", post_update)
    app.router.add_get("/_sandbox/events", get_events)
    app.router.add_post("/_sandbox/files", post_file)
    app.router.add_get("/_sandbox/files/{file_id}", get_file_content)
    app.router.add_post("/_sandbox/faults", post_faults)
    app.router.add_post("/_sandbox/block", post_block)
    app.router.add_post("/_sandbox/chats", post_chats)
    app.router.add_post("/_sandbox/flood", post_flood)
    app.router.add_get("/_sandbox/commands", get_commands)
    app.router.add_get("/_sandbox/stats", get_stats)
