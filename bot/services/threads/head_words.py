"""What a head's message means when it carries no figures: thanks, a greeting, a question.

Read on the folded text (case and diacritics away), so "Cảm ơn", "cam on" and "CÁM ƠN" are the
same. A question the bot can answer itself (the deadline, the course link, how residents
register, what to report) is answered; anything else is offered to the officers. A number
typed with a letter O or l ("3O") is caught, so the head learns why it was not read.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.services.common.folding import fold


class Meaning(enum.StrEnum):
    """What the message is."""

    THANKS = "thanks"
    GREETING = "greeting"
    DEADLINE = "deadline"
    COURSE = "course"
    REGISTER = "register"
    WHAT_TO_REPORT = "what_to_report"
    MISTYPED_NUMBER = "mistyped_number"
    OTHER = "other"


@dataclass(frozen=True)
class Understood:
    """The meaning, and for a mistyped number what the head probably typed."""

    meaning: Meaning
    number: int | None = None


# Short messages that only thank or agree; compared whole, punctuation and emoji removed.
THANKS = frozenset(
    {
        "cam on", "cam on ban", "cam on a", "cam on anh", "cam on chi", "cam on bot",
        "cam on nhieu", "cam on nhe", "thanks", "thank you", "tks", "ok", "oke", "okay",
        "vang", "da", "da vang", "vang a", "da a", "u", "uh", "uhm", "dong y", "nhan roi",
        "da nhan", "ro roi", "duoc roi",
    }
)  # fmt: skip
GREETINGS = ("chao", "xin chao", "hello", "hi", "alo", "a lo")
# Up to this many words, a message that starts with a greeting is only a greeting.
GREETING_WORDS = 4
# Digits with a letter O, o, l or I among them, standing alone: "3O", "4O", "1l0".
MISTYPED = re.compile(r"(?<![\w])(?=[0-9oOlI]*[0-9])(?=[0-9oOlI]*[oOlI])[0-9oOlI]{2,7}(?![\w])")
LOOKALIKES = str.maketrans("oOlI", "0011")
WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> str:
    """The folded words, single-spaced, without punctuation or emoji."""
    return " ".join(WORD.findall(fold(text)))


def _has(words: str, *phrases: str) -> bool:
    """Whether any phrase occurs as whole words."""
    padded = f" {words} "
    return any(f" {phrase} " in padded for phrase in phrases)


def _question(words: str) -> Meaning:
    """Which question the bot can answer itself, or OTHER."""
    asks_when = _has(words, "khi nao", "bao gio", "ngay nao", "thu may", "may gio", "luc nao")
    if _has(words, "han nop", "han bao cao", "thoi han") or (
        asks_when and _has(words, "bao cao", "nop", "han")
    ):
        return Meaning.DEADLINE
    asks_how = _has(words, "lam sao", "the nao", "nhu the nao", "cach", "huong dan", "lam gi")
    if _has(words, "dang ky", "dang ki", "tai khoan", "vneid") and (
        asks_how or _has(words, "nguoi dan", "dan", "ba con")
    ):
        return Meaning.REGISTER
    if _has(words, "link", "duong dan", "trang web", "website", "hoc o dau", "vao dau", "dia chi"):
        return Meaning.COURSE
    if _has(words, "bao cao") and (asks_how or _has(words, "gi", "so gi", "sao")):
        return Meaning.WHAT_TO_REPORT
    return Meaning.OTHER


def understand(text: str) -> Understood:
    """What a message with no figures in it means."""
    mistyped = MISTYPED.search(text)
    if mistyped is not None:
        return Understood(Meaning.MISTYPED_NUMBER, int(mistyped.group().translate(LOOKALIKES)))
    words = _words(text)
    if not words:
        # "?" alone asks for help; an emoji alone (👍) agrees.
        return Understood(Meaning.OTHER if "?" in text else Meaning.THANKS)
    thanking = words.split()[0] in ("cam", "thanks") and _has(words, "cam on", "thanks")
    if words in THANKS or (thanking and "?" not in text):
        return Understood(Meaning.THANKS)
    if len(words.split()) <= GREETING_WORDS and any(_has(words, g) for g in GREETINGS):
        return Understood(Meaning.GREETING)
    return Understood(_question(words))
