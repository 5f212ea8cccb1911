"""Reading a head's chat message as a report: "35", "được 35 người", "thôn 2 được 35 người".

The reader finds the one or two figures a message carries and which is which. Numbers that
belong to a place ("thôn 2", "Thôn 6a", the sender's own unit name), a date or a time are not
figures. When it is not sure (three numbers, two figures said to be the same thing, a question,
an increment instead of a total) it says so, so that the bot asks: it never guesses. It stores
nothing either: the head confirms what it read, and the report goes the way of /baocao.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.services.reports.free_text_words import (
    BOUNDARY_MARKS,
    BOUNDARY_WORDS,
    COMPLETED_LABELS,
    D_WITH_STROKE,
    ENROLLED_LABELS,
    GLUED_PEOPLE,
    INCREMENT_WORDS,
    NEGATIVE_WORDS,
    OTHER_UNITS,
    PASS_OVER,
    PEOPLE_WORDS,
    PERCENT_PHRASES,
    QUESTION_PHRASES,
    RANGE_JOINERS,
    TIME_WORDS,
    UNIT_WORDS,
)
from bot.services.reports.number_words import (
    ASCII_DIGIT_WORDS,
    DIGIT_WORDS,
    HALF,
    MULTIPLIERS,
    TENS,
    ZERO_FILLERS,
)
from bot.services.reports.numbers import (
    NumberRefusal,
    Refusal,
    normalise,
    parse_count,
    split_figures,
)

MAX_TEXT = 2000


class Verdict(enum.StrEnum):
    """What the message is, as a report."""

    FIGURES = "figures"
    NO_FIGURES = "no_figures"
    UNSURE = "unsure"


class Doubt(enum.StrEnum):
    """Why the reader will not offer figures (the bot asks instead)."""

    TOO_MANY = "too_many"
    QUESTION = "question"
    CONFLICT = "conflict"
    ONLY_COMPLETED = "only_completed"
    INCREMENT = "increment"
    REFUSED = "refused"


class Label(enum.Enum):
    """What the words around a figure say it counts."""

    ENROLLED = "enrolled"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Reading:
    """The reader's verdict: the figures, or why it is unsure (with the refusal, if any)."""

    verdict: Verdict
    enrolled: int | None = None
    completed: int | None = None
    doubt: Doubt | None = None
    refusal: NumberRefusal | None = None

    @property
    def figures(self) -> tuple[int, ...]:
        """The figures read, enrolled first."""
        return tuple(f for f in (self.enrolled, self.completed) if f is not None)


NO_FIGURES = Reading(Verdict.NO_FIGURES)


def _unsure(doubt: Doubt, refusal: NumberRefusal | None = None) -> Reading:
    """A reading the bot must ask about."""
    return Reading(Verdict.UNSURE, doubt=doubt, refusal=refusal)


def fold_in_place(text: str) -> str:
    """Fold diacritics away character by character, so positions stay the same."""
    folded = []
    for char in text:
        if char in D_WITH_STROKE:
            folded.append("d")
            continue
        base = unicodedata.normalize("NFD", char)[:1] or " "
        folded.append(" " if unicodedata.category(base) == "Mn" else base.lower()[:1] or " ")
    return "".join(folded)


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of folded words and phrases (longest first), spaces flexible."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(word).replace(r"\ ", r"\s+") for word in ordered)


WORD_START = r"(?<![^\W_])"
WORD_END = r"(?![^\W_])"
NUMBER = r"\d+(?:[.,]\d+)*[a-z]?"
# "thôn 2", "Thôn 6a", "tổ dân phố số 3": a place, never a figure.
PLACES = re.compile(rf"{WORD_START}(?:{_alternatives(UNIT_WORDS)})\s*(?:so\s*)?{NUMBER}{WORD_END}")
# "ngày 5", "tháng 11", "năm 2026", "lúc 8": dates, times, ordinals ("đăng ký" is not "kỳ").
TIMES = re.compile(
    rf"{WORD_START}(?<!dang )(?:{_alternatives(TIME_WORDS)})\s*(?:so\s*)?:?\s*{NUMBER}{WORD_END}"
)
# 27/11, 27/11/2026, 17:00, 8h30, 8h, phone numbers.
CLOCK = re.compile(rf"{WORD_START}\d{{1,2}}(?::\d{{2}}|h\d{{0,2}}){WORD_END}")
DATE = re.compile(rf"{WORD_START}(\d{{1,2}})/(\d{{1,2}})(?:/\d{{2,4}})?{WORD_END}")
PHONE = re.compile(rf"{WORD_START}(?:\+?84|0)\d{{8,10}}{WORD_END}")
# "2 tuần", "5 hộ", "3 thôn", "50%": counts of something else.
NOT_PEOPLE = re.compile(rf"{WORD_START}{NUMBER}\s*(?:{_alternatives(OTHER_UNITS)}){WORD_END}")
# "35ng", "120người": a figure glued to its people word.
GLUED = re.compile(rf"(\d)({'|'.join(GLUED_PEOPLE)})(?![^\W_])")
DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
TOKEN = re.compile(r"(?<!\w)\d+(?:[.,]\d+)*(?!\w)|\w+|[^\w\s]")
INCREMENT = re.compile(rf"{WORD_START}(?:{_alternatives(INCREMENT_WORDS)}){WORD_END}")
NUMBER_WORDS = frozenset(
    {*DIGIT_WORDS, *ASCII_DIGIT_WORDS, *TENS, *MULTIPLIERS, *ZERO_FILLERS, *HALF}
)
STRUCTURE_WORDS = frozenset({*TENS, *MULTIPLIERS, *HALF})
LABELS = (
    (Label.COMPLETED, re.compile(rf"^(?:{_alternatives(COMPLETED_LABELS)}){WORD_END}")),
    (Label.ENROLLED, re.compile(rf"^(?:{_alternatives(ENROLLED_LABELS)}){WORD_END}")),
)
LABELS_BEFORE = (
    (Label.COMPLETED, re.compile(rf"{WORD_START}(?:{_alternatives(COMPLETED_LABELS)})$")),
    (Label.ENROLLED, re.compile(rf"{WORD_START}(?:{_alternatives(ENROLLED_LABELS)})$")),
)


@dataclass(frozen=True)
class _Token:
    """One token of the message: its text as typed (normalised) and folded."""

    text: str
    folded: str

    @property
    def is_digits(self) -> bool:
        """A run of digits, perhaps with . or , inside ("1.250", "12,5")."""
        return DIGITS.fullmatch(self.text) is not None

    @property
    def is_number_word(self) -> bool:
        """A Vietnamese number word ("ba", "mươi", "trăm")."""
        return self.text in NUMBER_WORDS

    @property
    def is_boundary(self) -> bool:
        """A mark or word that ends a clause."""
        return self.folded in BOUNDARY_MARKS or self.folded in BOUNDARY_WORDS


@dataclass(frozen=True)
class _Span:
    """Tokens [start, end) that make one or more figures."""

    start: int
    end: int
    values: tuple[int, ...]


def _blank(text: str, pattern: re.Pattern[str], *, dates_only: bool = False) -> str:
    """Replace each match of `pattern` (found in the folded text) with spaces."""
    pieces = list(text)
    for match in pattern.finditer(fold_in_place(text)):
        if dates_only and not _is_date(match):
            continue
        for index in range(match.start(), match.end()):
            pieces[index] = " "
    return "".join(pieces)


def _is_date(match: re.Match[str]) -> bool:
    """A day/month pair that can be a date ("27/11"), not a ratio ("35/50")."""
    day, month = int(match.group(1)), int(match.group(2))
    return 1 <= day <= 31 and 1 <= month <= 12


def _mask(text: str, unit_names: Iterable[str]) -> str:
    """Blank out unit names, places, dates, times and phone numbers; keep positions."""
    for name in unit_names:
        folded_name = " ".join(fold_in_place(normalise(name)).split())
        if folded_name:
            escaped = re.escape(folded_name).replace(r"\ ", r"\s+")
            text = _blank(text, re.compile(WORD_START + escaped + WORD_END))
    text = _blank(_blank(text, PLACES), DATE, dates_only=True)
    for pattern in (CLOCK, PHONE, TIMES, NOT_PEOPLE):
        text = _blank(text, pattern)
    return text


def _tokens(text: str) -> list[_Token]:
    """Split into digit runs, words and single marks."""
    return [_Token(m.group(), fold_in_place(m.group())) for m in TOKEN.finditer(text)]


def _span_values(tokens: list[_Token]) -> tuple[int, ...] | None:
    """The figures a run of number tokens makes; None when the words are not a count."""
    if all(token.is_digits for token in tokens):
        return tuple(
            parse_count(piece) for piece in split_figures(" ".join(t.text for t in tokens))
        )
    if not any(token.text in STRUCTURE_WORDS or token.is_digits for token in tokens):
        return None
    return (parse_count(" ".join(t.text for t in tokens)),)


def _people_word_at(tokens: list[_Token], index: int) -> bool:
    """Whether a people word ("người", "học viên") starts at `index`."""
    if index >= len(tokens):
        return False
    two = " ".join(t.folded for t in tokens[index : index + 2])
    return tokens[index].folded in PEOPLE_WORDS or two in PEOPLE_WORDS


def _spans(tokens: list[_Token]) -> list[_Span]:
    """Find the runs of number tokens that are counts, and read them (may refuse)."""
    spans: list[_Span] = []
    index = 0
    while index < len(tokens):
        if not (tokens[index].is_digits or tokens[index].is_number_word):
            index += 1
            continue
        end = index
        while end < len(tokens) and (tokens[end].is_digits or tokens[end].is_number_word):
            end += 1
        run = tokens[index:end]
        if any(t.is_digits for t in run) and not any(t.text in STRUCTURE_WORDS for t in run):
            # Digits among lone number words ("sau 2 tuần"): only the digits count.
            first = next(i for i, t in enumerate(run) if t.is_digits)
            last = max(i for i, t in enumerate(run) if t.is_digits)
            index, end, run = index + first, index + last + 1, run[first : last + 1]
        values = _span_values(run)
        if values is None and len(run) == 1 and _people_word_at(tokens, end):
            # A lone number word counts only as "ba người", never as "ba" (father) or "năm".
            values = (parse_count(run[0].text),)
        if values is not None:
            spans.append(_Span(index, end, values))
        index = end
    return spans


def _words_before(tokens: list[_Token], start: int, stop: int) -> str:
    """The folded words right before a figure, back to a clause boundary or `stop`."""
    words: list[str] = []
    index = start - 1
    while index >= stop and not tokens[index].is_boundary:
        words.insert(0, tokens[index].folded)
        index -= 1
    while words and words[-1] in PASS_OVER:
        words.pop()
    return " ".join(words)


def _words_after(tokens: list[_Token], end: int, stop: int) -> str:
    """The folded words right after a figure, up to a clause boundary or `stop`."""
    words: list[str] = []
    index = end
    while index < stop and not tokens[index].is_boundary:
        words.append(tokens[index].folded)
        index += 1
    while words and words[0] in PASS_OVER:
        words.pop(0)
    return " ".join(words)


def _label(text: str, patterns: tuple[tuple[Label, re.Pattern[str]], ...]) -> Label | None:
    """The first label the words name."""
    for label, pattern in patterns:
        if pattern.search(text):
            return label
    return None


def _refusal_near(tokens: list[_Token], spans: list[_Span]) -> NumberRefusal | None:
    """Negatives, percentages and ranges written around the figures."""
    for number, span in enumerate(spans):
        before = tokens[span.start - 1].folded if span.start > 0 else ""
        after = " ".join(t.folded for t in tokens[span.end : span.end + 2])
        if before in NEGATIVE_WORDS or (before == "-" and number == 0 and span.start == 1):
            return NumberRefusal(Refusal.NEGATIVE)
        if after.startswith(PERCENT_PHRASES):
            return NumberRefusal(Refusal.PERCENT)
        if number + 1 < len(spans):
            between = [t.folded for t in tokens[span.end : spans[number + 1].start]]
            if between and all(word in RANGE_JOINERS for word in between):
                return NumberRefusal(Refusal.RANGE)
    return None


def _is_question(folded: str) -> bool:
    """A question is answered, not stored."""
    return "?" in folded or any(
        re.search(WORD_START + re.escape(phrase) + WORD_END, folded) for phrase in QUESTION_PHRASES
    )


def _mentions_increment(tokens: list[_Token], spans: list[_Span]) -> bool:
    """Whether a figure is said to be new or added ("thêm 10 người")."""
    for span in spans:
        near = " ".join(t.folded for t in tokens[max(span.start - 2, 0) : span.end + 3])
        if INCREMENT.search(near):
            return True
    return False


def _labels(tokens: list[_Token], spans: list[_Span]) -> list[Label | None]:
    """What each figure counts, from "đăng ký 35" (label first) or "35 người hoàn thành"."""
    before: list[Label | None] = []
    after: list[Label | None] = []
    for number, span in enumerate(spans):
        stop_back = spans[number - 1].end if number else 0
        stop_ahead = spans[number + 1].start if number + 1 < len(spans) else len(tokens)
        before.append(_label(_words_before(tokens, span.start, stop_back), LABELS_BEFORE))
        after.append(_label(_words_after(tokens, span.end, stop_ahead), LABELS))
    labelled_first = before[0] is not None and after[-1] is None
    if labelled_first and all(b is not None for b, a in zip(before, after, strict=True) if a):
        return before
    return [a if a is not None else b for b, a in zip(before, after, strict=True)]


def _assign(values: list[int], labels: list[Label | None]) -> Reading:
    """Decide which figure is enrolled and which completed."""
    if len(values) == 1:
        if labels[0] == Label.COMPLETED:
            # Kept, still unsure: it answers the "how many completed" question, not a report.
            return Reading(Verdict.UNSURE, completed=values[0], doubt=Doubt.ONLY_COMPLETED)
        return Reading(Verdict.FIGURES, enrolled=values[0])
    first, second = labels
    if first is not None and first == second:
        return _unsure(Doubt.CONFLICT)
    if first == Label.COMPLETED or second == Label.ENROLLED:
        return Reading(Verdict.FIGURES, enrolled=values[1], completed=values[0])
    return Reading(Verdict.FIGURES, enrolled=values[0], completed=values[1])


def read_report_text(text: str, unit_names: Iterable[str] = ()) -> Reading:
    """Read the figures of a chat message; numbers of `unit_names` and places never count."""
    normalised = GLUED.sub(r"\1 \2", normalise(text[:MAX_TEXT].replace("\n", " , ")))
    tokens = _tokens(_mask(normalised, unit_names))
    try:
        spans = _spans(tokens)
    except NumberRefusal as refusal:
        return _unsure(Doubt.REFUSED, refusal)
    if not spans:
        return NO_FIGURES
    if _is_question(fold_in_place(normalised)):
        return _unsure(Doubt.QUESTION)
    shape = _refusal_near(tokens, spans)
    if shape is not None:
        return _unsure(Doubt.REFUSED, shape)
    values = [value for span in spans for value in span.values]
    if len(values) > 2:
        return _unsure(Doubt.TOO_MANY)
    if _mentions_increment(tokens, spans):
        return _unsure(Doubt.INCREMENT)
    if len(spans) == 1 and len(values) == 2:
        # "35 10": a bare pair is enrolled then completed, as /baocao reads it.
        labels: list[Label | None] = [None, None]
    else:
        labels = _labels(tokens, spans)
    return _assign(values, labels)
