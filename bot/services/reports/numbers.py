"""Reading the figures village heads type: digits, thousands separators and Vietnamese words.

One pure function, `parse_count`, reads one figure; `split_figures` cuts a command's text into
figures. Both raise `NumberRefusal` with a reason code that the texts layer words.
"""

from __future__ import annotations

import enum
import re
import unicodedata

from bot.services.reports.number_words import (
    ASCII_DIGIT_WORDS,
    DIGIT_WORDS,
    FILLERS,
    HALF,
    MULTIPLIERS,
    NEGATIVE_WORDS,
    PERCENT_WORDS,
    RANGE_WORDS,
    TENS,
    ZERO_FILLERS,
)

MAX_WITHOUT_ADULTS = 1_000_000
# Longer than any figure typed in words ("một triệu hai trăm …"): refused before reading.
MAX_TEXT = 120


class Refusal(enum.StrEnum):
    """Why a figure was refused."""

    EMPTY = "empty"
    NEGATIVE = "negative"
    DECIMAL = "decimal"
    RANGE = "range"
    PERCENT = "percent"
    NOT_A_NUMBER = "not_a_number"
    TOO_MANY = "too_many"
    ABOVE_ADULTS = "above_adults"
    ABOVE_LIMIT = "above_limit"
    COMPLETED_ABOVE_ENROLLED = "completed_above_enrolled"


class Figure(enum.StrEnum):
    """Which figure a refusal is about."""

    ENROLLED = "enrolled"
    COMPLETED = "completed"


class NumberRefusal(ValueError):
    """The text is not an acceptable figure: a reason code and the values it names."""

    def __init__(self, reason: Refusal, **values: object) -> None:
        """Keep the reason and its values (e.g. the figure and the limit)."""
        super().__init__(reason.value)
        self.reason = reason
        self.values = values


EMPTY = Refusal.EMPTY
NEGATIVE = Refusal.NEGATIVE
DECIMAL = Refusal.DECIMAL
RANGE = Refusal.RANGE
PERCENT = Refusal.PERCENT
NOT_A_NUMBER = Refusal.NOT_A_NUMBER

GROUPED = re.compile(r"^\d{1,3}(?:[. ]\d{3})+$", re.ASCII)
PLAIN = re.compile(r"^\d+$", re.ASCII)


def normalise(text: str) -> str:
    """NFKC (full-width digits become ASCII), lower case, unify dashes and spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    return " ".join(text.replace("\u00a0", " ").split())


def _refuse_shapes(text: str) -> None:
    """Refuse negatives, percentages, ranges and decimals before reading digits."""
    if not text:
        raise NumberRefusal(EMPTY)
    if text.startswith("-") or text.startswith(NEGATIVE_WORDS):
        raise NumberRefusal(NEGATIVE)
    if "%" in text or any(word in text for word in PERCENT_WORDS):
        raise NumberRefusal(PERCENT)
    if re.search(r"\d\s*(?:-|~|/)\s*\d", text) or any(w in text.split() for w in RANGE_WORDS):
        raise NumberRefusal(RANGE)
    if (
        re.search(r"\d,\d", text)
        or re.search(r"\d\.\d{1,2}(?!\d)", text)
        or re.search(r"\d\.\d{4,}", text)
    ):
        raise NumberRefusal(DECIMAL)


def _strip_fillers(text: str) -> list[str]:
    """Drop words like "người" and "khoảng"; keep the rest in order."""
    return [token for token in text.replace(",", " ").split() if token not in FILLERS]


def _digits_value(tokens: list[str]) -> int | None:
    """Read "1250", "1.250" or "1 250" (all tokens digits); None if the tokens are not that."""
    joined = " ".join(tokens)
    if PLAIN.match(joined):
        return int(joined)
    if GROUPED.match(joined):
        return int(re.sub(r"[. ]", "", joined))
    return None


def _token_value(token: str) -> int | None:
    """Value of a digit word or a run of digits."""
    if token.isascii() and token.isdigit():
        return int(token)
    grouped = _digits_value([token])
    if grouped is not None:
        return grouped
    if token in DIGIT_WORDS:
        return DIGIT_WORDS[token]
    return ASCII_DIGIT_WORDS.get(token)


class _WordReader:
    """Accumulate Vietnamese number words: "một trăm hai mươi" → 120, "1 nghìn 2" → 1200."""

    def __init__(self) -> None:
        self.total = 0
        self.current = 0
        self.pending: int | None = None
        self.last_unit = 1
        self.after_zero_filler = False
        self.tokens_since_unit = 0

    def digit(self, value: int) -> None:
        if self.pending is not None:
            raise NumberRefusal(NOT_A_NUMBER)
        self.pending = value
        self.tokens_since_unit += 1

    def tens(self) -> None:
        self.current += 10 * (self.pending if self.pending is not None else 1)
        self.pending, self.last_unit, self.tokens_since_unit = None, 10, 0

    def multiplier(self, unit: int) -> None:
        if unit == 100:
            self.current += 100 * (self.pending if self.pending is not None else 1)
        else:
            group = self.current + (self.pending or 0)
            self.total += (group or 1) * unit
            self.current = 0
        self.pending, self.last_unit, self.tokens_since_unit = None, unit, 0
        self.after_zero_filler = False

    def half(self) -> None:
        if self.last_unit < 100 or self.pending is not None:
            raise NumberRefusal(NOT_A_NUMBER)
        self.current += self.last_unit // 2

    def result(self) -> int:
        if self.pending is not None:
            colloquial = (
                self.last_unit >= 100
                and not self.after_zero_filler
                and self.pending < 10
                and self.tokens_since_unit == 1
            )
            # "hai trăm mốt" is 210 and "1 nghìn 2" is 1200: a lone digit after a unit
            # stands for the next lower place.
            self.current += self.pending * (self.last_unit // 10 if colloquial else 1)
        return self.total + self.current


def _words_value(tokens: list[str]) -> int:
    """Read a mix of number words and digits, or refuse."""
    reader = _WordReader()
    for token in tokens:
        value = _token_value(token)
        if value is not None:
            reader.digit(value)
        elif token in TENS:
            reader.tens()
        elif token in MULTIPLIERS:
            reader.multiplier(MULTIPLIERS[token])
        elif token in ZERO_FILLERS:
            reader.after_zero_filler = True
        elif token in HALF:
            reader.half()
        else:
            raise NumberRefusal(NOT_A_NUMBER)
    return reader.result()


def _refuse_foreign(text: str, normalised: str) -> None:
    """Only ASCII and full-width digits are read (NFKC makes the latter ASCII); cap the length.

    Other scripts' digits ("፩", "٣") would reach int() or regexes in surprising ways.
    """
    if len(text) > MAX_TEXT or any(ch.isdigit() and not ch.isascii() for ch in normalised):
        raise NumberRefusal(NOT_A_NUMBER)


def parse_count(text: str) -> int:
    """Read one non-negative whole figure from what a person typed, or raise NumberRefusal."""
    normalised = normalise(text)
    _refuse_foreign(text, normalised)
    _refuse_shapes(normalised)
    tokens = _strip_fillers(normalised)
    if not tokens:
        raise NumberRefusal(NOT_A_NUMBER if normalised else EMPTY)
    value = _digits_value(tokens)
    return value if value is not None else _words_value(tokens)


def check_range(value: int, maximum: int | None, *, figure: Figure) -> None:
    """Refuse a figure above the unit's adults (or above a million when unknown)."""
    if maximum is not None and value > maximum:
        raise NumberRefusal(Refusal.ABOVE_ADULTS, figure=figure, value=value, limit=maximum)
    if value > MAX_WITHOUT_ADULTS:
        raise NumberRefusal(
            Refusal.ABOVE_LIMIT, figure=figure, value=value, limit=MAX_WITHOUT_ADULTS
        )


def _continues(figure: list[str], token: str) -> bool:
    """Whether a three-digit token is the next thousands group of `figure`."""
    if not re.fullmatch(r"\d{3}", token) or len(figure[-1]) > 3 or "." in figure[-1]:
        return False
    so_far = int("".join(figure))
    return int(token) > so_far


def split_figures(text: str) -> list[str]:
    """Cut "120 45", "1 250 45" or "120, 45" into one text per figure.

    A group of exactly three digits after a space continues the previous number ("1 250")
    only when it could not be the completed figure, i.e. when it is larger than the number
    so far ("304 101" is 304 enrolled and 101 completed; "1 250" is 1.250).
    """
    if len(text) > MAX_TEXT:
        return [text]  # parse_count refuses it with its usual reason
    normalised = normalise(text)
    if re.search(r"[;|+]|,\s", normalised):
        return [part.strip() for part in re.split(r"[;|+]|,\s", normalised) if part.strip()]
    tokens = normalised.split()
    if not tokens or not all(re.fullmatch(r"[\d.]+", t) for t in tokens if t not in FILLERS):
        return [normalised] if normalised else []
    figures: list[list[str]] = []
    for token in tokens:
        if token in FILLERS:
            continue
        if figures and _continues(figures[-1], token):
            figures[-1].append(token)
        else:
            figures.append([token])
    return [" ".join(parts) for parts in figures]
