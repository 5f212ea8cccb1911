"""The Bot API methods the bot uses, implemented over the sandbox store."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.flood import FloodControl
from bot.sandbox.store import JSON, Store
from bot.sandbox.validation import ApiError, check_caption, check_text, parse_markup

Params = dict[str, Any]
Method = Callable[[Store, FloodControl, Params], Awaitable[Any]]

# Methods that put something into a chat count against the flood limits.
FLOOD_COUNTED = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "editMessageText", "editMessageReplyMarkup"}
)


def _chat_id(params: Params) -> int:
    """Read chat_id, which arrives as text in form data."""
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def _target_chat(store: Store, flood: FloodControl, params: Params, method: str) -> JSON:
    """Resolve the chat, refusing unknown and blocked ones, then apply flood limits."""
    chat_id = _chat_id(params)
    chat = store.chats.get(chat_id)
    if chat is None:
        raise ApiError(400, "Bad Request: chat not found")
    if chat_id in store.blocked:
        raise ApiError(403, "Forbidden: bot was blocked by the user")
    if method in FLOOD_COUNTED:
        retry_after = flood.check(chat_id)
        if retry_after is not None:
            store.count("429")
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
    return chat


def _message(store: Store, chat: JSON, message_id: int, **content: Any) -> JSON:
    """Build a Message object sent by the bot."""
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": store.bot_user,
    }
    message.update({k: v for k, v in content.items() if v is not None})
    return message


async def get_me(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Return the bot user."""
    return store.bot_user


async def get_updates(store: Store, flood: FloodControl, params: Params) -> list[JSON]:
    """Long-poll: wait up to `timeout` seconds for updates at or after `offset`."""
    offset = int(params.get("offset") or 0)
    limit = min(int(params.get("limit") or 100), 100)
    timeout = float(params.get("timeout") or 0)
    deadline = asyncio.get_running_loop().time() + timeout
    async with store.changed:
        while True:
            updates = store.take_updates(offset, limit)
            remaining = deadline - asyncio.get_running_loop().time()
            if updates or remaining <= 0:
                return updates
            try:
                await asyncio.wait_for(store.changed.wait(), remaining)
            except TimeoutError:
                return store.take_updates(offset, limit)


async def send_message(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a text message."""
    parse_mode = params.get("parse_mode")
    plain = check_text(params.get("text"), parse_mode)
    markup = parse_markup(params.get("reply_markup"))
    chat = _target_chat(store, flood, params, "sendMessage")
    message_id = store.next_message_id(chat["id"])
    message = _message(store, chat, message_id, text=plain, reply_markup=markup)
    store.messages[(chat["id"], message_id)] = message
    await store.record(
        store.new_event(
            "sendMessage",
            chat["id"],
            message_id=message_id,
            text=plain,
            html=params.get("text"),
            reply_markup=markup,
        )
    )
    return message


def _file_param(store: Store, params: Params, field: str, default_name: str) -> tuple[str, str]:
    """Store an uploaded file, or accept a known file_id; return (file_id, file_name)."""
    value = params.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if isinstance(value, web.FileField):
        content = value.file.read()
        stored = store.new_file(
            content,
            value.filename or default_name,
            value.content_type or "application/octet-stream",
        )
        return stored.file_id, stored.file_name
    if isinstance(value, str) and value in store.files:
        return value, store.files[value].file_name
    raise ApiError(400, f"Bad Request: wrong file identifier/HTTP URL specified for {field}")


async def _send_file(store: Store, flood: FloodControl, params: Params, kind: str) -> JSON:
    """Shared body of sendPhoto and sendDocument."""
    parse_mode = params.get("parse_mode")
    caption = check_caption(params.get("caption"), parse_mode)
    markup = parse_markup(params.get("reply_markup"))
    method = "sendPhoto" if kind == "photo" else "sendDocument"
    chat = _target_chat(store, flood, params, method)
    file_id, file_name = _file_param(store, params, kind, f"{kind}.bin")
    size = len(store.files[file_id].content)
    if kind == "photo":
        media: Any = [
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 512,
                "height": 512,
                "file_size": size,
            }
        ]
    else:
        media = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": file_name,
            "mime_type": store.files[file_id].mime_type,
            "file_size": size,
        }
    message_id = store.next_message_id(chat["id"])
    message = _message(
        store, chat, message_id, caption=caption, reply_markup=markup, **{kind: media}
    )
    store.messages[(chat["id"], message_id)] = message
    await store.record(
        store.new_event(
            method,
            chat["id"],
            message_id=message_id,
            text=caption,
            html=params.get("caption"),
            reply_markup=markup,
            file_id=file_id,
            file_name=file_name,
        )
    )
    return message


async def send_photo(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a photo (uploaded or by file_id)."""
    return await _send_file(store, flood, params, "photo")


async def send_document(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a document (uploaded or by file_id)."""
    return await _send_file(store, flood, params, "document")


async def edit_message_text(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Edit a bot message's text and buttons."""
    parse_mode = params.get("parse_mode")
    plain = check_text(params.get("text"), parse_mode)
    markup = parse_markup(params.get("reply_markup"))
    chat_id = _chat_id(params)
    message = store.messages.get((chat_id, int(params.get("message_id") or 0)))
    if message is None:
        raise ApiError(400, "Bad Request: message to edit not found")
    if message.get("text") == plain and message.get("reply_markup") == markup:
        raise ApiError(400, "Bad Request: message is not modified")
    _target_chat(store, flood, params, "editMessageText")
    message["text"] = plain
    message["reply_markup"] = markup
    message["edit_date"] = int(time.time())
    await store.record(
        store.new_event(
            "editMessageText",
            chat_id,
            message_id=message["message_id"],
            text=plain,
            html=params.get("text"),
            reply_markup=markup,
        )
    )
    return message


async def edit_message_reply_markup(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Replace a bot message's buttons."""
    markup = parse_markup(params.get("reply_markup"))
    chat_id = _chat_id(params)
    message = store.messages.get((chat_id, int(params.get("message_id") or 0)))
    if message is None:
        raise ApiError(400, "Bad Request: message to edit not found")
    if message.get("reply_markup") == markup:
        raise ApiError(400, "Bad Request: message is not modified")
    _target_chat(store, flood, params, "editMessageReplyMarkup")
    message["reply_markup"] = markup
    await store.record(
        store.new_event(
            "editMessageReplyMarkup",
            chat_id,
            message_id=message["message_id"],
            text=message.get("text") or message.get("caption"),
            html=None,
            reply_markup=markup,
        )
    )
    return message


async def answer_callback_query(store: Store, flood: FloodControl, params: Params) -> bool:
    """Acknowledge a button press, optionally with a toast text."""
    query_id = str(params.get("callback_query_id") or "")
    chat_id = store.callbacks.pop(query_id, None)
    if chat_id is None:
        raise ApiError(
            400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        )
    text = params.get("text")
    await store.record(
        store.new_event(
            "answerCallbackQuery",
            chat_id,
            message_id=None,
            text=text,
            html=text,
            reply_markup=None,
        )
    )
    return True


async def set_my_commands(store: Store, flood: FloodControl, params: Params) -> bool:
    """Keep the command menu for a scope."""
    scope = params.get("scope")
    scope_obj = json.loads(scope) if isinstance(scope, str) else (scope or {"type": "default"})
    key = f"chat:{scope_obj['chat_id']}" if scope_obj.get("type") == "chat" else scope_obj["type"]
    commands = params.get("commands") or "[]"
    store.commands[key] = json.loads(commands) if isinstance(commands, str) else commands
    return True


async def delete_webhook(store: Store, flood: FloodControl, params: Params) -> bool:
    """There is no webhook in the sandbox; say yes."""
    return True


async def get_file(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Describe a stored file for download."""
    stored = store.files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "deleteWebhook": delete_webhook,
    "getFile": get_file,
}
