"""A small client of the sandbox's control interface, for tests, benchmarks and the demo."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

Event = dict[str, Any]


def _is_bare_answer(event: Event) -> bool:
    """An answer to a button press with no toast text."""
    return event["method"] == "answerCallbackQuery" and not event.get("text")


class ConversationTimeout(AssertionError):
    """The bot did not answer in time."""


class SandboxClient:
    """Play Telegram users against a running sandbox and read what the bot sent."""

    def __init__(self, control_url: str) -> None:
        """Open an HTTP client for the control interface."""
        self._http = httpx.AsyncClient(base_url=control_url, timeout=60)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()

    async def _post(self, path: str, **body: Any) -> Any:
        """POST a JSON body and return the decoded answer."""
        response = await self._http.post(path, json=body)
        response.raise_for_status()
        return response.json()

    async def post_message(self, user_id: int, **body: Any) -> dict[str, int]:
        """Queue a user's message; return its {"update_id", "message_id"}.

        `body` takes text, photo/document/voice/video={"file_id": …}, sticker, location,
        contact, caption, first_name, and chat_id/chat_type/chat_title for a group.
        """
        answer = await self._post("/message", user_id=user_id, **body)
        return {"update_id": int(answer["update_id"]), "message_id": int(answer["message_id"])}

    async def send(self, user_id: int, text: str | None = None, **extra: Any) -> int:
        """Have `user_id` send a message (text, document=…, sticker=…); return the update id."""
        return (await self.post_message(user_id, text=text, **extra))["update_id"]

    async def send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        name: str = "photo.jpg",
        mime: str = "image/jpeg",
        **extra: Any,
    ) -> int:
        """Have `user_id` send a photo (real image bytes); return the update id."""
        file_id = await self.upload(content, name, mime)
        return await self.send(user_id, None, photo={"file_id": file_id}, caption=caption, **extra)

    async def send_document(
        self,
        user_id: int,
        content: bytes,
        file_name: str,
        *,
        mime: str = "application/octet-stream",
        caption: str | None = None,
        **extra: Any,
    ) -> int:
        """Have `user_id` send a file; return the update id."""
        file_id = await self.upload(content, file_name, mime)
        document = {"file_id": file_id}
        return await self.send(user_id, None, document=document, caption=caption, **extra)

    async def send_voice(
        self, user_id: int, content: bytes = b"OggS", *, duration: int = 3, **extra: Any
    ) -> int:
        """Have `user_id` send a voice note; return the update id."""
        file_id = await self.upload(content, "voice.ogg", "audio/ogg")
        voice = {"file_id": file_id, "duration": duration}
        return await self.send(user_id, None, voice=voice, **extra)

    async def send_video(
        self,
        user_id: int,
        content: bytes = b"\x00\x00\x00\x18ftypmp42",
        *,
        duration: int = 5,
        width: int = 640,
        height: int = 360,
        **extra: Any,
    ) -> int:
        """Have `user_id` send a video; return the update id."""
        file_id = await self.upload(content, "video.mp4", "video/mp4")
        video = {"file_id": file_id, "duration": duration, "width": width, "height": height}
        return await self.send(user_id, None, video=video, **extra)

    async def send_sticker(self, user_id: int, emoji: str = "👍", **extra: Any) -> int:
        """Have `user_id` send a sticker; return the update id."""
        return await self.send(user_id, None, sticker={"emoji": emoji}, **extra)

    async def send_location(
        self, user_id: int, latitude: float, longitude: float, **extra: Any
    ) -> int:
        """Have `user_id` share a location; return the update id."""
        location = {"latitude": latitude, "longitude": longitude}
        return await self.send(user_id, None, location=location, **extra)

    async def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        *,
        contact_user_id: int | None = None,
        **extra: Any,
    ) -> int:
        """Have `user_id` share a contact card; return the update id."""
        contact = {
            "phone_number": phone_number,
            "first_name": first_name,
            "user_id": contact_user_id,
        }
        return await self.send(user_id, None, contact=contact, **extra)

    async def press(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> int:
        """Have `user_id` press a button under a bot message (in `chat_id`, default private)."""
        answer = await self._post(
            "/callback",
            user_id=user_id,
            message_id=message_id,
            data=data,
            chat_id=chat_id or user_id,
        )
        return int(answer["update_id"])

    async def push_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (for shapes the helpers do not build)."""
        return int((await self._post("/update", **update))["update_id"])

    async def events(
        self, chat_id: int | None = None, *, after: int = 0, count: int = 0, wait: float = 0
    ) -> list[Event]:
        """Return what the bot did after `after`, waiting up to `wait` s for `count` events."""
        params: dict[str, Any] = {"after": after, "count": count, "wait": wait}
        if chat_id is not None:
            params["chat_id"] = chat_id
        # The sandbox holds the request up to `wait`: the client must wait longer than that.
        response = await self._http.get("/events", params=params, timeout=wait + 60)
        response.raise_for_status()
        events: list[Event] = response.json()["events"]
        return events

    async def last_seq(self) -> int:
        """Return the sequence number of the newest event."""
        response = await self._http.get("/events", params={"after": 1 << 62})
        return int(response.json()["last_seq"])

    async def converse(
        self,
        user_id: int,
        text: str | None = None,
        *,
        replies: int = 1,
        timeout: float = 15,
        settle: float = 0,
        **extra: Any,
    ) -> list[Event]:
        """Send a message and wait for the bot's `replies` events in that chat.

        With `settle`, keep collecting until the chat has been quiet that long. With
        `chat_id=` (a group), the replies are awaited in that chat.
        """
        chat_id = int(extra.get("chat_id") or user_id)
        after = await self.last_seq()
        await self.send(user_id, text, **extra)
        events = await self.expect(chat_id, after=after, count=replies, timeout=timeout)
        while settle:
            more = await self.events(chat_id, after=events[-1]["seq"], count=1, wait=settle)
            if not more:
                break
            events.extend(more)
        return events

    async def click(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        replies: int = 1,
        timeout: float = 15,
        chat_id: int | None = None,
    ) -> list[Event]:
        """Press a button and wait for `replies` visible events in that chat.

        A bare answerCallbackQuery (no text) only stops the button's spinner, so it is skipped.
        """
        chat = chat_id or user_id
        after = await self.last_seq()
        await self.press(user_id, message_id, data, chat_id=chat)
        visible: list[Event] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(visible) < replies:
            remaining = deadline - asyncio.get_running_loop().time()
            events = await self.expect(chat, after=after, count=1, timeout=max(remaining, 0))
            after = events[-1]["seq"]
            visible += [e for e in events if not _is_bare_answer(e)]
        return visible

    async def expect(
        self, chat_id: int, *, after: int, count: int = 1, timeout: float = 15
    ) -> list[Event]:
        """Wait for `count` events in `chat_id` after `after`, or fail loudly."""
        events = await self.events(chat_id, after=after, count=count, wait=timeout)
        if len(events) < count:
            raise ConversationTimeout(f"expected {count} events in chat {chat_id}, got {events}")
        return events

    async def upload(self, content: bytes, name: str, mime: str) -> str:
        """Store a file in the sandbox as if a user had uploaded it; return its file_id."""
        response = await self._http.post(
            "/files", params={"name": name, "mime": mime}, content=content
        )
        response.raise_for_status()
        return str(response.json()["file_id"])

    async def download(self, file_id: str) -> bytes:
        """Read back a file the bot sent."""
        response = await self._http.get(f"/files/{file_id}")
        response.raise_for_status()
        return response.content

    async def set_faults(self, rules: list[dict[str, Any]], latency: float | None = None) -> None:
        """Replace the fault rules (and optionally the added latency)."""
        body: dict[str, Any] = {"rules": rules}
        if latency is not None:
            body["latency"] = latency
        await self._post("/faults", **body)

    async def open_chats(self, chat_ids: list[int]) -> None:
        """Make chats known, as if each user had pressed Start (without queuing updates)."""
        await self._post("/chats", chat_ids=chat_ids)

    async def block(self, chat_id: int, blocked: bool = True) -> None:
        """Make a user block (or unblock) the bot."""
        await self._post("/block", chat_id=chat_id, blocked=blocked)

    async def set_flood(self, **limits: Any) -> None:
        """Change the flood ceilings."""
        await self._post("/flood", **limits)

    async def commands(self, scope: str = "default") -> list[dict[str, str]] | None:
        """Return the command menu set for a scope ("default" or "chat:<id>")."""
        response = await self._http.get("/commands", params={"scope": scope})
        commands: list[dict[str, str]] | None = response.json()["commands"]
        return commands

    async def calls(
        self, method: str | None = None, *, after: int = 0, count: int = 0, wait: float = 0
    ) -> list[Event]:
        """Return the Bot API calls the bot made (all but successful getUpdates), oldest first.

        Each has seq, method, params (uploads by file name), ok, status, description,
        retry_after and at. Waits up to `wait` s for `count` of them.
        """
        params: dict[str, Any] = {"after": after, "count": count, "wait": wait}
        if method is not None:
            params["method"] = method
        response = await self._http.get("/calls", params=params)
        response.raise_for_status()
        calls: list[Event] = response.json()["calls"]
        return calls

    async def bot_info(self) -> dict[str, Any]:
        """Return what the bot set about itself: descriptions, commands, webhook, flood."""
        response = await self._http.get("/bot")
        response.raise_for_status()
        info: dict[str, Any] = response.json()
        return info

    async def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Return a chat's messages (the user's and the bot's) as they are now, oldest first."""
        response = await self._http.get("/messages", params={"chat_id": chat_id})
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    async def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """Return the reply keyboard the chat shows under its text box, if any."""
        response = await self._http.get("/keyboard", params={"chat_id": chat_id})
        response.raise_for_status()
        keyboard: dict[str, Any] | None = response.json()["keyboard"]
        return keyboard

    async def stats(self) -> dict[str, int]:
        """Return the sandbox's counters."""
        response = await self._http.get("/stats")
        stats: dict[str, int] = response.json()
        return stats
