"""A conversation whose state lives in the shared state, so any process can continue it.

It routes as PTB's ConversationHandler does with `allow_reentry=True`, and its callbacks return
the same values (a new state, `ConversationHandler.END`, or None to stay): entry points first,
then the handlers of the person's state, then the fallbacks. The state is kept per chat and
person in `SharedState` (bot/telegram/conversations/shared_state.py), which loads it before
the update and writes it after, instead of in PTB's memory, which several processes cannot
share.

One question at a time: when an entry point or a fallback opens a question, the person's other
conversations end, as their question was dropped. Otherwise a person could be inside two at
once (asked for the enrolled figure by /baocao, then sharing a model with /chiase), and the one
registered first would take the text typed for the other. One that asks nothing (a report
given with its figures, "✅ Duyệt") leaves the others as they were. A pending "↩️ Trả lời" is a
draft, not a conversation: handlers/threads.py drops it on any command or other button.

After `conversation_timeout` seconds without an answer, the handlers of the
`ConversationHandler.TIMEOUT` state run (in the process that asked) and the conversation ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackContext,
    ConversationHandler,
    Job,
)

from bot.telegram.conversations.shared_state import Key, SharedState, State, key_of

END = ConversationHandler.END
TIMEOUT = ConversationHandler.TIMEOUT
Handler = BaseHandler[Any, Any, Any]


@dataclass(frozen=True)
class Match:
    """What `check_update` found: the person's key, the handler to run and its own check."""

    key: Key
    handler: Handler
    check: object
    opens: bool


@dataclass(frozen=True)
class Waiting:
    """A timeout job's data: the update that asked, its context, and the state it asked in."""

    update: Update
    context: Any
    state: State


async def _never(update: object, context: object) -> None:
    """The callback BaseHandler requires; a conversation runs its handlers' callbacks."""


class Conversation(BaseHandler[Update, Any, None]):
    """Entry points, states and fallbacks, with the state in the shared state (see the module)."""

    def __init__(
        self,
        *,
        name: str,
        shared: SharedState,
        entry_points: Sequence[Handler],
        states: dict[object, list[Handler]],
        fallbacks: Sequence[Handler],
        conversation_timeout: float,
    ) -> None:
        """A conversation called `name` (the key its states are stored under)."""
        super().__init__(_never)
        self.name = name
        self.entry_points = list(entry_points)
        self.states = states
        self.fallbacks = list(fallbacks)
        self.conversation_timeout = conversation_timeout
        self._shared = shared
        self._jobs: dict[Key, Job[Any]] = {}
        shared.register(self)

    def check_update(self, update: object) -> Match | None:
        """The handler this update goes to, as PTB's ConversationHandler would choose it."""
        key = key_of(update)
        if key is None or not isinstance(update, Update) or update.channel_post is not None:
            return None
        found = _first(self.entry_points, update)
        if found is not None:
            return Match(key, *found, opens=True)
        state = self._shared.state(self.name, key)
        if state is None:
            return None
        found = _first(self.states.get(state, []), update)
        if found is not None:
            return Match(key, *found, opens=False)
        found = _first(self.fallbacks, update)
        return Match(key, *found, opens=True) if found is not None else None

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, Any, Any, Any, Any, Any],
        check_result: object,
        context: Any,
    ) -> None:
        """Run the chosen handler and move to the state it returns."""
        assert isinstance(check_result, Match)
        key = check_result.key
        self.cancel_timeout(key)
        stop: ApplicationHandlerStop | None = None
        try:
            new_state = await check_result.handler.handle_update(
                update, application, check_result.check, context
            )
        except ApplicationHandlerStop as raised:
            new_state, stop = raised.state, raised
        if new_state == END:
            self._shared.set_state(self.name, key, None)
        elif new_state is not None:
            self._shared.set_state(self.name, key, new_state)
            if check_result.opens:
                self._shared.end_others(key, keep=self.name)
        current = self._shared.state(self.name, key)
        if current is not None:
            self._ask_again_later(key, Waiting(update, context, current), application)
        if stop is not None:
            raise stop

    def cancel_timeout(self, key: Key) -> None:
        """Forget the person's pending timeout here."""
        job = self._jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()

    def end(self, key: Key) -> None:
        """End the person's conversation here, as if its question was dropped."""
        if self._shared.state(self.name, key) is not None:
            self._shared.set_state(self.name, key, None)
        self.cancel_timeout(key)

    def _ask_again_later(
        self, key: Key, waiting: Waiting, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> None:
        """Run the timeout handlers if the person is still here after the timeout."""
        if application.job_queue is None or not self.conversation_timeout:
            return
        self._jobs[key] = application.job_queue.run_once(
            self._time_out,
            self.conversation_timeout,
            data=waiting,
            name=timeout_job_name(self.name, key),
        )

    async def _time_out(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        """The person did not answer in time: say so (the TIMEOUT handlers), then end."""
        job = context.job
        assert job is not None and isinstance(job.data, Waiting)
        waiting = job.data
        key = key_of(waiting.update)
        if key is None or self._jobs.get(key) is not job:
            return  # answered (or ended) meanwhile
        del self._jobs[key]
        if self._shared.state(self.name, key) != waiting.state:
            return
        for handler in self.states.get(TIMEOUT, []):
            check = handler.check_update(waiting.update)
            if check is not None and check is not False:
                with contextlib.suppress(ApplicationHandlerStop):
                    await handler.handle_update(
                        waiting.update, context.application, check, waiting.context
                    )
        self._shared.set_state(self.name, key, None)
        await self._shared.write(None)


def timeout_job_name(name: str, key: Key) -> str:
    """A timeout job's name, apart from the schedules' (`schedule:<id>`, scheduler/jobs.py)."""
    return f"conversation-timeout:{name}:{key[0]}:{key[1]}"


def _first(handlers: Sequence[Handler], update: Update) -> tuple[Handler, object] | None:
    """The first handler that takes the update, with its check result."""
    for handler in handlers:
        check = handler.check_update(update)
        if check is not None and check is not False:
            return handler, check
    return None
