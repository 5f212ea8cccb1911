"""The control interface: tests and the demo play users and read what the bot sent."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import dataclasses
import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.botapi import get_webhook_info
from bot.sandbox.flood import FloodConfig
from bot.sandbox.media import (
    document_object,
    photo_sizes,
    sticker_object,
    video_object,
    voice_object,
)
from bot.sandbox.store import JSON, CallRecord, FaultRule, Inbound, SentEvent, Store
from bot.sandbox.validation import ApiError

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

GROUP_TYPES = frozenset({"group", "supergroup"})
# A stream with nothing to say sends a comment this often, so proxies and browsers keep it.
STREAM_HEARTBEAT = 15.0


def attachment_header(file_name: str) -> str:
    """A Content-Disposition that keeps a Vietnamese file name (RFC 6266 filename*)."""
    fallback = file_name.encode("ascii", "replace").decode().replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name)}"


def user_object(user_id: int, first_name: str | None = None) -> JSON:
    """A Telegram User for a simulated person."""
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": first_name or f"User {user_id}",
        "language_code": "vi",
    }


def chat_object(store: Store, chat_id: int, chat_type: str, name: str) -> JSON:
    """Register (or refresh) a chat so the bot can write to it, and return it."""
    if chat_type == "private":
        chat = {"id": chat_id, "type": "private", "first_name": name}
    else:
        chat = {"id": chat_id, "type": chat_type, "title": name}
    store.chats[chat_id] = chat
    return chat


def command_entities(text: str) -> list[JSON]:
    """Mark a leading /command, as Telegram does, so PTB's CommandHandler sees it."""
    if not text.startswith("/"):
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


def _chat_for(store: Store, body: JSON, user_id: int, first_name: str) -> JSON:
    """The chat a user writes in: their private chat, or a group with its own negative id."""
    chat_type = str(body.get("chat_type") or "private")
    chat_id = int(body.get("chat_id") or user_id)
    if chat_type == "private" and chat_id != user_id:
        raise web.HTTPBadRequest(text="a private chat's id is the user's id")
    if chat_type in GROUP_TYPES and chat_id >= 0:
        raise web.HTTPBadRequest(text="group and supergroup ids are negative")
    if chat_type not in GROUP_TYPES | {"private"}:
        raise web.HTTPBadRequest(text=f"unknown chat type {chat_type}")
    if chat_type == "private":
        return chat_object(store, chat_id, chat_type, first_name)
    title = str(body.get("chat_title") or store.chats.get(chat_id, {}).get("title") or "Nhóm")
    return chat_object(store, chat_id, chat_type, title)


def _file(store: Store, spec: Any, kind: str) -> Any:
    """The stored file a media field names by its file_id."""
    file_id = spec.get("file_id") if isinstance(spec, dict) else spec
    stored = store.files.get(str(file_id))
    if stored is None:
        raise web.HTTPBadRequest(text=f"upload the {kind} first: no file {file_id}")
    return stored


def _media(store: Store, body: JSON) -> JSON:
    """The content fields of a user's message: media, location or contact."""
    content: JSON = {}
    try:
        if body.get("photo"):
            content["photo"] = photo_sizes(store, _file(store, body["photo"], "photo"))
    except ApiError as error:
        raise web.HTTPBadRequest(text=error.description) from None
    if body.get("document"):
        content["document"] = document_object(_file(store, body["document"], "document"))
    if body.get("voice"):
        spec = body["voice"]
        duration = int(spec.get("duration", 3)) if isinstance(spec, dict) else 3
        content["voice"] = voice_object(_file(store, spec, "voice"), duration)
    if body.get("video"):
        spec = body["video"] if isinstance(body["video"], dict) else {}
        content["video"] = video_object(
            _file(store, body["video"], "video"),
            int(spec.get("duration", 5)),
            int(spec.get("width", 640)),
            int(spec.get("height", 360)),
        )
    if body.get("sticker"):
        content["sticker"] = sticker_object(store, body["sticker"])
    if body.get("location"):
        place = body["location"]
        content["location"] = {
            "latitude": float(place["latitude"]),
            "longitude": float(place["longitude"]),
        }
    if body.get("contact"):
        card = body["contact"]
        content["contact"] = {
            key: card[key]
            for key in ("phone_number", "first_name", "last_name", "user_id", "vcard")
            if card.get(key) is not None
        }
    if body.get("caption") and any(k in content for k in ("photo", "document", "video", "voice")):
        content["caption"] = str(body["caption"])
    return content


def message_update(store: Store, body: JSON) -> JSON:
    """Build a `message` update: text, media, location or contact, in a private chat or group.

    Body: {user_id, first_name?, chat_type?, chat_id?, chat_title?, text?, photo?, document?,
    voice?, video?, sticker?, location?, contact?, caption?, edited?, forward_origin?}.
    """
    user_id = int(body["user_id"])
    first_name = str(body.get("first_name") or f"User {user_id}")
    chat = _chat_for(store, body, user_id, first_name)
    sender = user_object(user_id, first_name)
    store.users[user_id] = sender
    message: JSON = {
        "message_id": store.next_message_id(chat["id"]),
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
    }
    if body.get("text") is not None:
        message["text"] = str(body["text"])
        entities = command_entities(message["text"])
        if entities:
            message["entities"] = entities
    message.update(_media(store, body))
    if isinstance(body.get("forward_origin"), dict):
        # A message the user forwards from elsewhere (a group, a channel, another person).
        message["forward_origin"] = body["forward_origin"]
    key = "edited_message" if body.get("edited") else "message"
    if body.get("edited"):
        message["edit_date"] = int(time.time())
    else:
        # Kept so the bot can copy or forward it; edits and button presses still need its own.
        store.messages[(chat["id"], message["message_id"])] = message
    return {key: message}


def callback_update(store: Store, body: JSON) -> JSON:
    """Build a `callback_query` update: a user pressing a button under a bot message."""
    user_id = int(body["user_id"])
    chat_id = int(body.get("chat_id") or user_id)
    message = store.messages.get((chat_id, int(body["message_id"])))
    if message is None or message["from"]["id"] != store.bot_id:
        raise web.HTTPBadRequest(text="no such bot message")
    query_id = uuid.uuid4().hex
    store.callbacks[query_id] = chat_id
    known = store.users.get(user_id)
    sender = (
        known
        if known and not body.get("first_name")
        else user_object(user_id, body.get("first_name"))
    )
    store.users[user_id] = sender
    return {
        "callback_query": {
            "id": query_id,
            "from": sender,
            "chat_instance": str(chat_id),
            "message": message,
            "data": str(body["data"]),
        }
    }


def _feed_item(store: Store, kind: str, item: Any) -> JSON:
    """One entry of the stream: the record, plus the message it shows as it is now."""
    if kind == "event":
        assert isinstance(item, SentEvent)
        data = item.to_json()
        key = (item.chat_id, item.message_id or 0)
        return {"seq": item.seq, "kind": kind, "event": data, "message": store.messages.get(key)}
    if kind == "call":
        assert isinstance(item, CallRecord)
        return {"seq": item.seq, "kind": kind, "call": item.to_json()}
    assert isinstance(item, Inbound)
    return {"seq": item.seq, "kind": kind, "update": item.update, "at": item.at}


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

    async def get_calls(request: web.Request) -> web.Response:
        method = request.query.get("method")
        after = int(request.query.get("after", 0))
        want = int(request.query.get("count", 0))
        timeout = float(request.query.get("wait", 0))

        def matching() -> list[CallRecord]:
            start = bisect.bisect_right(store.calls, after, key=lambda c: c.seq)
            return [c for c in store.calls[start:] if method is None or c.method == method]

        deadline = asyncio.get_running_loop().time() + timeout
        async with store.changed:
            while len(found := matching()) < want:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(store.changed.wait(), remaining)
        return web.json_response({"calls": [c.to_json() for c in found]})

    async def get_stream(request: web.Request) -> web.StreamResponse:
        """Server-sent events: every event, call and inbound update after a cursor, then live."""
        after = int(request.headers.get("Last-Event-ID") or request.query.get("after") or 0)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        try:
            while not store.closing:
                items = store.feed_after(after)
                for kind, item in items:
                    entry = _feed_item(store, kind, item)
                    after = entry["seq"]
                    payload = json.dumps(entry, ensure_ascii=False)
                    await response.write(f"id: {after}\ndata: {payload}\n\n".encode())
                if items:
                    continue
                async with store.changed:
                    if store.last_feed_seq() > after or store.closing:
                        continue
                    try:
                        await asyncio.wait_for(store.changed.wait(), STREAM_HEARTBEAT)
                    except TimeoutError:
                        await response.write(b": ping\n\n")
        except ConnectionResetError:
            pass  # the page was closed or reloaded
        return response

    async def get_messages(request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        return web.json_response({"messages": store.chat_history(chat_id)})

    async def get_keyboard(request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        return web.json_response({"keyboard": store.reply_keyboards.get(chat_id)})

    async def get_bot(request: web.Request) -> web.Response:
        webhook = await get_webhook_info(store, sandbox.flood, {})
        return web.json_response(
            {
                "user": store.bot_user,
                "descriptions": store.descriptions,
                "short_descriptions": store.short_descriptions,
                "commands": store.commands,
                "webhook": webhook,
                "flood": dataclasses.asdict(sandbox.flood.config),
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
        response = web.Response(body=stored.content, content_type=stored.mime_type)
        if request.query.get("download"):
            # The browser saves it under the name the bot gave it.
            response.headers["Content-Disposition"] = attachment_header(stored.file_name)
        return response

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
    app.router.add_get("/_sandbox/calls", get_calls)
    app.router.add_get("/_sandbox/stream", get_stream)
    app.router.add_get("/_sandbox/messages", get_messages)
    app.router.add_get("/_sandbox/keyboard", get_keyboard)
    app.router.add_get("/_sandbox/bot", get_bot)
    app.router.add_post("/_sandbox/files", post_file)
    app.router.add_get("/_sandbox/files/{file_id}", get_file_content)
    app.router.add_post("/_sandbox/faults", post_faults)
    app.router.add_post("/_sandbox/block", post_block)
    app.router.add_post("/_sandbox/chats", post_chats)
    app.router.add_post("/_sandbox/flood", post_flood)
    app.router.add_get("/_sandbox/commands", get_commands)
    app.router.add_get("/_sandbox/stats", get_stats)
