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

    async def send(self, user_id: int, text: str | None = None, **extra: Any) -> int:
        """Have `user_id` send a message (text, document=…, sticker=…); return the update id."""
        answer = await self._post("/message", user_id=user_id, text=text, **extra)
        return int(answer["update_id"])

    async def press(self, user_id: int, message_id: int, data: str) -> int:
        """Have `user_id` press a button under one of the bot's messages."""
        answer = await self._post("/callback", user_id=user_id, message_id=message_id, data=data)
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
        response = await self._http.get("/events", params=params)
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

        With `settle`, keep collecting until the chat has been quiet that long.
        """
        after = await self.last_seq()
        await self.send(user_id, text, **extra)
        events = await self.expect(user_id, after=after, count=replies, timeout=timeout)
        while settle:
            more = await self.events(user_id, after=events[-1]["seq"], count=1, wait=settle)
            if not more:
                break
            events.extend(more)
        return events

    async def click(
        self, user_id: int, message_id: int, data: str, *, replies: int = 1, timeout: float = 15
    ) -> list[Event]:
        """Press a button and wait for `replies` visible events in that chat.

        A bare answerCallbackQuery (no text) only stops the button's spinner, so it is skipped.
        """
        after = await self.last_seq()
        await self.press(user_id, message_id, data)
        visible: list[Event] = []
        deadline = asyncio.get_running_loop().time() + timeout
        while len(visible) < replies:
            remaining = deadline - asyncio.get_running_loop().time()
            events = await self.expect(user_id, after=after, count=1, timeout=max(remaining, 0))
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

    async def stats(self) -> dict[str, int]:
        """Return the sandbox's counters."""
        response = await self._http.get("/stats")
        stats: dict[str, int] = response.json()
        return stats
