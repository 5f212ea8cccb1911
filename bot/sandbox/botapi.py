"""The Bot API methods the bot uses, implemented over the sandbox store."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.sandbox.flood import FloodControl
from bot.sandbox.media import document_object, photo_sizes, voice_object
from bot.sandbox.store import JSON, Store, StoredFile, Webhook
from bot.sandbox.validation import (
    ApiError,
    Parsed,
    check_caption,
    check_text,
    inline_part,
    parse_markup,
)

Params = dict[str, Any]
Method = Callable[[Store, FloodControl, Params], Awaitable[Any]]

# Methods that put something into a chat count against the flood limits.
FLOOD_COUNTED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendVoice",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120
ALBUM_SIZE = range(2, 11)
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# The sandbox never sends traffic off this machine, so a webhook must point at loopback.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# The content fields a copy or a forward carries over.
CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "video",
    "voice",
    "sticker",
    "location",
    "contact",
    "caption",
    "caption_entities",
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def _chat_id(params: Params, key: str = "chat_id") -> int:
    """Read chat_id, which arrives as text in form data."""
    try:
        return int(params[key])
    except (KeyError, TypeError, ValueError):
        raise ApiError(400, "Bad Request: chat not found") from None


def _truthy(value: Any) -> bool:
    """Booleans arrive as JSON text in form data."""
    return value is True or str(value).lower() in ("true", "1")


def _json_param(value: Any) -> Any:
    """Arrays and objects arrive as JSON text in form data."""
    return json.loads(value) if isinstance(value, str) else value


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


def _resolve_mentions(store: Store, entities: list[JSON]) -> list[JSON]:
    """Fill text_mention users; a mention of someone the bot has never met stays plain text."""
    resolved = []
    for entity in entities:
        if entity["type"] == "text_mention":
            user = store.users.get(int(entity["user"]["id"]))
            if user is None:
                continue
            entity = {**entity, "user": user}
        resolved.append(entity)
    return resolved


def _with_text(store: Store, message: JSON, parsed: Parsed | None, *, caption: bool) -> None:
    """Put a parsed text (or caption) and its entities on a message."""
    key, entities_key = ("caption", "caption_entities") if caption else ("text", "entities")
    message.pop(entities_key, None)
    if parsed is None:
        message.pop(key, None)
        return
    message[key] = parsed.text
    entities = _resolve_mentions(store, parsed.entities)
    if entities:
        message[entities_key] = entities


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


def _track_keyboard(store: Store, chat_id: int, markup: JSON | None) -> None:
    """Remember the reply keyboard a chat shows under its text box, as the app would."""
    if markup is None:
        return
    if "keyboard" in markup:
        store.reply_keyboards[chat_id] = markup
    elif markup.get("remove_keyboard"):
        store.reply_keyboards.pop(chat_id, None)


def _bot_message(store: Store, params: Params, missing: str) -> JSON:
    """The bot's own message named by chat_id and message_id, for an edit."""
    message = store.messages.get((_chat_id(params), int(params.get("message_id") or 0)))
    if message is None:
        raise ApiError(400, f"Bad Request: {missing}")
    if message["from"]["id"] != store.bot_id:
        raise ApiError(400, "Bad Request: message can't be edited")
    return message


async def get_me(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Return the bot user."""
    return store.bot_user


async def get_updates(store: Store, flood: FloodControl, params: Params) -> list[JSON]:
    """Long-poll: wait up to `timeout` seconds for updates at or after `offset`.

    As in Telegram, a newer getUpdates terminates a pending one with 409 Conflict, and none
    is served while a webhook is set.
    """
    if store.webhook is not None:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = int(params.get("offset") or 0)
    limit = min(int(params.get("limit") or 100), 100)
    timeout = float(params.get("timeout") or 0)
    if params.get("allowed_updates") not in (None, ""):
        store.allowed_updates = list(_json_param(params["allowed_updates"])) or None
    deadline = asyncio.get_running_loop().time() + timeout
    me = object()
    async with store.changed:
        if store.poller is not None:
            store.changed.notify_all()
        store.poller = me
        try:
            while True:
                if store.poller is not me:
                    raise ApiError(409, POLL_CONFLICT)
                if store.webhook is not None:
                    raise ApiError(409, WEBHOOK_CONFLICT)
                updates = store.take_updates(offset, limit)
                remaining = deadline - asyncio.get_running_loop().time()
                if updates or remaining <= 0 or store.closing:
                    return updates
                try:
                    await asyncio.wait_for(store.changed.wait(), remaining)
                except TimeoutError:
                    if store.poller is not me:
                        raise ApiError(409, POLL_CONFLICT) from None
                    return store.take_updates(offset, limit)
        finally:
            if store.poller is me:
                store.poller = None


async def send_message(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a text message."""
    parsed = check_text(params.get("text"), params.get("parse_mode"))
    markup = parse_markup(params.get("reply_markup"))
    chat = _target_chat(store, flood, params, "sendMessage")
    message_id = store.next_message_id(chat["id"])
    message = _message(store, chat, message_id, reply_markup=inline_part(markup))
    _with_text(store, message, parsed, caption=False)
    store.messages[(chat["id"], message_id)] = message
    _track_keyboard(store, chat["id"], markup)
    await store.record(
        store.new_event(
            "sendMessage",
            chat["id"],
            message_id=message_id,
            text=parsed.text,
            html=params.get("text"),
            reply_markup=markup,
        )
    )
    return message


def _stored_file(store: Store, params: Params, value: Any, field: str) -> StoredFile:
    """Store an uploaded file (directly or through attach://), or accept a known file_id."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value.removeprefix("attach://"))
    if isinstance(value, web.FileField):
        content = value.file.read()
        return store.new_file(
            content,
            value.filename or f"{field}.bin",
            value.content_type or "application/octet-stream",
        )
    if isinstance(value, str) and value in store.files:
        return store.files[value]
    raise ApiError(400, f"Bad Request: wrong file identifier/HTTP URL specified for {field}")


SEND_METHODS = {"photo": "sendPhoto", "document": "sendDocument", "voice": "sendVoice"}


def _media_field(store: Store, kind: str, stored: StoredFile) -> Any:
    """The message field for a sent photo, document or voice note."""
    if kind == "photo":
        return photo_sizes(store, stored)
    if kind == "voice":
        return voice_object(stored, 0)
    return document_object(stored)


async def _send_file(store: Store, flood: FloodControl, params: Params, kind: str) -> JSON:
    """Shared body of sendPhoto, sendDocument and sendVoice."""
    caption = check_caption(params.get("caption"), params.get("parse_mode"))
    markup = parse_markup(params.get("reply_markup"))
    method = SEND_METHODS[kind]
    chat = _target_chat(store, flood, params, method)
    stored = _stored_file(store, params, params.get(kind), kind)
    media = _media_field(store, kind, stored)
    message_id = store.next_message_id(chat["id"])
    message = _message(store, chat, message_id, reply_markup=inline_part(markup), **{kind: media})
    _with_text(store, message, caption, caption=True)
    store.messages[(chat["id"], message_id)] = message
    _track_keyboard(store, chat["id"], markup)
    await store.record(
        store.new_event(
            method,
            chat["id"],
            message_id=message_id,
            text=caption.text if caption else None,
            html=params.get("caption"),
            reply_markup=markup,
            file_id=stored.file_id,
            file_name=stored.file_name,
        )
    )
    return message


async def send_photo(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a photo (uploaded or by file_id)."""
    return await _send_file(store, flood, params, "photo")


async def send_document(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a document (uploaded or by file_id)."""
    return await _send_file(store, flood, params, "document")


async def send_voice(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Send a voice note (uploaded or by file_id)."""
    return await _send_file(store, flood, params, "voice")


def _album_items(params: Params) -> list[JSON]:
    """Check an album: 2–10 items; documents only with documents, audio only with audio."""
    items = _json_param(params.get("media") or "[]")
    if not isinstance(items, list) or len(items) not in ALBUM_SIZE:
        raise ApiError(400, "Bad Request: media group must include 2-10 items")
    kinds = {str(item.get("type")) for item in items}
    if not kinds <= {"photo", "video", "document", "audio"}:
        raise ApiError(400, "Bad Request: unsupported media type in the album")
    for alone in ("document", "audio"):
        if alone in kinds and len(kinds) > 1:
            raise ApiError(400, f"Bad Request: {alone} can't be mixed with other media types")
    return items


async def send_media_group(store: Store, flood: FloodControl, params: Params) -> list[JSON]:
    """Send 2–10 photos or documents as one album; each item may carry its caption."""
    items = _album_items(params)
    captions = [check_caption(i.get("caption"), i.get("parse_mode")) for i in items]
    # The album counts once against the limits: the bot's limiter sees one call too.
    chat = _target_chat(store, flood, params, "sendMediaGroup")
    group_id = store.next_media_group_id()
    messages = []
    for item, caption in zip(items, captions, strict=True):
        kind = "photo" if item["type"] == "photo" else "document"
        stored = _stored_file(store, params, item.get("media"), "media")
        message_id = store.next_message_id(chat["id"])
        message = _message(
            store,
            chat,
            message_id,
            media_group_id=group_id,
            **{kind: _media_field(store, kind, stored)},
        )
        _with_text(store, message, caption, caption=True)
        store.messages[(chat["id"], message_id)] = message
        messages.append(message)
        await store.record(
            store.new_event(
                "sendMediaGroup",
                chat["id"],
                message_id=message_id,
                text=caption.text if caption else None,
                html=item.get("caption"),
                reply_markup=None,
                file_id=stored.file_id,
                file_name=stored.file_name,
            )
        )
    return messages


async def edit_message_text(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Edit a bot message's text and buttons."""
    parsed = check_text(params.get("text"), params.get("parse_mode"))
    markup = parse_markup(params.get("reply_markup"), inline_only=True)
    message = _bot_message(store, params, "message to edit not found")
    if "text" not in message:
        raise ApiError(400, "Bad Request: there is no text in the message to edit")
    before = (message.get("text"), message.get("entities"), message.get("reply_markup"))
    edited = dict(message)
    _with_text(store, edited, parsed, caption=False)
    edited["reply_markup"] = markup
    if (edited.get("text"), edited.get("entities"), markup) == before:
        raise ApiError(400, "Bad Request: message is not modified")
    _target_chat(store, flood, params, "editMessageText")
    return await _save_edit(store, message, edited, "editMessageText", params.get("text"))


async def _save_edit(
    store: Store, message: JSON, edited: JSON, method: str, html: str | None
) -> JSON:
    """Apply an edit in place and record it."""
    message.clear()
    message.update({k: v for k, v in edited.items() if v is not None})
    message["edit_date"] = int(time.time())
    await store.record(
        store.new_event(
            method,
            int(message["chat"]["id"]),
            message_id=message["message_id"],
            text=message.get("text") or message.get("caption"),
            html=html,
            reply_markup=message.get("reply_markup"),
        )
    )
    return message


async def edit_message_caption(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Edit the caption (and buttons) of a bot's photo or document."""
    caption = check_caption(params.get("caption"), params.get("parse_mode"))
    markup = parse_markup(params.get("reply_markup"), inline_only=True)
    message = _bot_message(store, params, "message to edit not found")
    if "text" in message:
        raise ApiError(400, "Bad Request: there is no caption in the message to edit")
    before = (message.get("caption"), message.get("caption_entities"), message.get("reply_markup"))
    edited = dict(message)
    _with_text(store, edited, caption, caption=True)
    edited["reply_markup"] = markup
    if (edited.get("caption"), edited.get("caption_entities"), markup) == before:
        raise ApiError(400, "Bad Request: message is not modified")
    _target_chat(store, flood, params, "editMessageCaption")
    return await _save_edit(store, message, edited, "editMessageCaption", params.get("caption"))


async def edit_message_reply_markup(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Replace a bot message's buttons."""
    markup = parse_markup(params.get("reply_markup"), inline_only=True)
    message = _bot_message(store, params, "message to edit not found")
    if message.get("reply_markup") == markup:
        raise ApiError(400, "Bad Request: message is not modified")
    _target_chat(store, flood, params, "editMessageReplyMarkup")
    edited = {**message, "reply_markup": markup}
    return await _save_edit(store, message, edited, "editMessageReplyMarkup", None)


def _source_message(store: Store, params: Params, what: str) -> JSON:
    """The message a copy or forward starts from."""
    key = (_chat_id(params, "from_chat_id"), int(params.get("message_id") or 0))
    source = store.messages.get(key)
    if source is None:
        raise ApiError(400, f"Bad Request: message to {what} not found")
    return source


async def _repost(
    store: Store, flood: FloodControl, params: Params, method: str, content: JSON
) -> JSON:
    """Put a copied or forwarded message into the target chat and record it."""
    chat = _target_chat(store, flood, params, method)
    message_id = store.next_message_id(chat["id"])
    message = _message(store, chat, message_id, **content)
    store.messages[(chat["id"], message_id)] = message
    file_id = _main_file_id(message)
    await store.record(
        store.new_event(
            method,
            chat["id"],
            message_id=message_id,
            text=message.get("text") or message.get("caption"),
            html=None,
            reply_markup=message.get("reply_markup"),
            file_id=file_id,
            file_name=store.files[file_id].file_name if file_id in store.files else None,
        )
    )
    return message


def _main_file_id(message: JSON) -> str | None:
    """The file a message shows: the largest photo size, or its document, video or voice."""
    if message.get("photo"):
        return str(message["photo"][-1]["file_id"])
    for key in ("document", "video", "voice", "sticker"):
        if message.get(key):
            return str(message[key]["file_id"])
    return None


async def copy_message(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Copy a message without a link to the original; a new caption may replace the old."""
    source = _source_message(store, params, "copy")
    content = {key: source[key] for key in CONTENT_KEYS if key in source}
    if "caption" in params and "text" not in source:
        _with_text(
            store,
            content,
            check_caption(params.get("caption"), params.get("parse_mode")),
            caption=True,
        )
    markup = parse_markup(params.get("reply_markup"))
    content["reply_markup"] = inline_part(markup)
    message = await _repost(store, flood, params, "copyMessage", content)
    _track_keyboard(store, int(message["chat"]["id"]), markup)
    return {"message_id": message["message_id"]}


async def forward_message(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Forward a message, with its origin as Telegram shows it."""
    source = _source_message(store, params, "forward")
    content = {key: source[key] for key in CONTENT_KEYS if key in source}
    sender = source["from"]
    content["forward_origin"] = {"type": "user", "sender_user": sender, "date": source["date"]}
    return await _repost(store, flood, params, "forwardMessage", content)


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
            reply_markup={"show_alert": True} if _truthy(params.get("show_alert")) else None,
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


def _set_text(store: Store, table: dict[str, str], params: Params, name: str, limit: int) -> bool:
    """Keep (or, when empty, remove) a per-language bot text, refusing one over the limit."""
    text = str(params.get(name) or "")
    language = str(params.get("language_code") or "")
    if len(text) > limit:
        raise ApiError(400, f"Bad Request: {name.replace('_', ' ')} is too long")
    if text:
        table[language] = text
    else:
        table.pop(language, None)
    return True


def _get_text(table: dict[str, str], params: Params) -> str:
    """A per-language bot text, falling back to the default one as Telegram's apps do."""
    language = str(params.get("language_code") or "")
    return table.get(language, table.get("", ""))


async def set_my_description(store: Store, flood: FloodControl, params: Params) -> bool:
    """The text shown in an empty chat before Start (≤ 512 characters)."""
    return _set_text(store, store.descriptions, params, "description", MAX_DESCRIPTION)


async def get_my_description(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Return the description for a language."""
    return {"description": _get_text(store.descriptions, params)}


async def set_my_short_description(store: Store, flood: FloodControl, params: Params) -> bool:
    """The text on the bot's profile (≤ 120 characters)."""
    return _set_text(
        store, store.short_descriptions, params, "short_description", MAX_SHORT_DESCRIPTION
    )


async def get_my_short_description(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Return the short description for a language."""
    return {"short_description": _get_text(store.short_descriptions, params)}


def _webhook_from(params: Params) -> Webhook:
    """Check setWebhook's parameters; the URL must be on this machine."""
    url = str(params.get("url") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if parts.hostname not in LOOPBACK_HOSTS:
        raise ApiError(400, "Bad Request: bad webhook: the sandbox delivers only to 127.0.0.1")
    secret = params.get("secret_token")
    if secret not in (None, "") and not SECRET_TOKEN.match(str(secret)):
        raise ApiError(400, "Bad Request: secret token contains unallowed characters")
    max_connections = int(params.get("max_connections") or 40)
    if not 1 <= max_connections <= 100:
        raise ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
    allowed = params.get("allowed_updates")
    return Webhook(
        url=url,
        secret_token=str(secret) if secret else None,
        max_connections=max_connections,
        allowed_updates=list(_json_param(allowed)) if allowed not in (None, "") else None,
    )


async def set_webhook(store: Store, flood: FloodControl, params: Params) -> bool:
    """Deliver updates by POST to a URL from now on (an empty URL removes the webhook)."""
    if not params.get("url"):
        return await delete_webhook(store, flood, params)
    webhook = _webhook_from(params)
    if webhook.allowed_updates is not None:
        store.allowed_updates = webhook.allowed_updates or None
    # Not given: the previous setting (from getUpdates or an earlier webhook) stays.
    webhook.allowed_updates = store.allowed_updates
    if _truthy(params.get("drop_pending_updates")):
        store.updates.clear()
    store.webhook = webhook
    await store.wake()
    return True


async def delete_webhook(store: Store, flood: FloodControl, params: Params) -> bool:
    """Go back to getUpdates, optionally dropping what is still queued."""
    store.webhook = None
    if _truthy(params.get("drop_pending_updates")):
        store.updates.clear()
    await store.wake()
    return True


async def get_webhook_info(store: Store, flood: FloodControl, params: Params) -> JSON:
    """The webhook's URL, queue length and last delivery error."""
    info: JSON = {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": len(store.updates),
    }
    hook = store.webhook
    if hook is not None:
        info.update(url=hook.url, max_connections=hook.max_connections)
        if hook.allowed_updates:
            info["allowed_updates"] = hook.allowed_updates
        if hook.last_error_date is not None:
            info["last_error_date"] = hook.last_error_date
            info["last_error_message"] = hook.last_error_message
    return info


async def get_file(store: Store, flood: FloodControl, params: Params) -> JSON:
    """Describe a stored file for download."""
    stored = store.files.get(str(params.get("file_id") or ""))
    if stored is None:
        raise ApiError(400, "Bad Request: invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
        "file_path": stored.file_path,
    }


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "sendVoice": send_voice,
    "sendMediaGroup": send_media_group,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "copyMessage": copy_message,
    "forwardMessage": forward_message,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "setMyDescription": set_my_description,
    "getMyDescription": get_my_description,
    "setMyShortDescription": set_my_short_description,
    "getMyShortDescription": get_my_short_description,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "getFile": get_file,
}
