"""The one text catalog: complete in every language, and the only home of the bot's words."""

from __future__ import annotations

import ast
import re
import shutil
import string
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import bot.texts.catalog as catalog
from bot.texts import available_languages, translator

ROOT = Path(__file__).resolve().parent.parent
CODE = ("bot", "handlers", "scheduler", "models")
KEYWORDS = {"N_": None, "t": None, "plain": None, "say": None}
VIETNAMESE = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE
)
# Data, not interface: what people type and the bot reads, and the default commune name.
VOCABULARY = {
    "bot/services/reports/number_words.py": "Vietnamese number words as heads type them",
    "bot/services/reports/free_text_words.py": "words heads write around figures in chat",
    "bot/settings.py": "the commune's name, a default setting",
    "bot/cli/demo_script.py": "what the demo's people type (its narration is in the catalog)",
    "models/communes.py": "the word a unit file writes before a commune's name",
}
# The sandbox imitates Telegram and its users, the playground a phone's Telegram app: they are
# not the bot's interface.
NOT_THE_BOT = ("bot/sandbox/", "bot/playground/")


def _catalogs() -> dict[str, dict[str, str]]:
    """Every language's entries: key → text."""
    found = {}
    for language in available_languages():
        path = catalog.LOCALES / language / "LC_MESSAGES" / f"{catalog.DOMAIN}.po"
        with path.open("rb") as handle:
            entries = read_po(handle)
        found[language] = {str(m.id): str(m.string) for m in entries if m.id}
    return found


def _keys_in_code() -> set[str]:
    """The message keys the code uses, as Babel extracts them (`make messages`)."""
    keys: set[str] = set()
    for folder in CODE[:3]:
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=()
        ):
            if isinstance(message, str):
                keys.add(message)
    return keys


def test_every_language_has_exactly_the_keys_the_code_uses() -> None:
    used = _keys_in_code()
    assert len(used) > 300
    for language, entries in _catalogs().items():
        assert sorted(used - entries.keys()) == [], f"missing in {language}"
        assert sorted(entries.keys() - used) == [], f"unused entries in {language}"
        assert [k for k, v in entries.items() if not v.strip()] == [], f"empty in {language}"


def test_translations_keep_the_same_fields_and_are_nfc() -> None:
    catalogs = _catalogs()
    reference = catalogs["vi"]
    for language, entries in catalogs.items():
        for key, text in entries.items():
            assert unicodedata.is_normalized("NFC", text), (language, key)
            fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            expected = {name for _, name, _, _ in string.Formatter().parse(reference[key]) if name}
            assert fields == expected, (language, key)


def test_vietnamese_is_the_default_and_english_is_complete() -> None:
    assert available_languages()[0] == "vi"
    assert "en" in available_languages()
    assert translator(None).language == "vi"
    assert translator("fr").language == "vi"
    assert translator("en").plain("button.report") == "📝 Report"
    assert translator("vi").plain("button.report") == "📝 Báo cáo"


def _docstrings(tree: ast.AST) -> set[int]:
    """The constants that are docstrings (they explain code, they are not shown to users)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def _vietnamese_strings(path: Path) -> list[str]:
    """Vietnamese words in a module's string constants, docstrings aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and len(node.value) > 1
        and VIETNAMESE.search(node.value)
    ]


def test_no_vietnamese_interface_text_outside_the_catalog() -> None:
    offenders = {}
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in VOCABULARY or relative.startswith(NOT_THE_BOT):
                continue
            found = _vietnamese_strings(path)
            if found:
                offenders[relative] = found[:3]
    assert offenders == {}


def test_a_translator_adds_a_language_with_one_po_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locales = tmp_path / "locales"
    shutil.copytree(catalog.LOCALES, locales, ignore=shutil.ignore_patterns("*.mo"))
    ede = locales / "ede" / "LC_MESSAGES"
    ede.mkdir(parents=True)
    (ede / "binhdan.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "language.name"\nmsgstr "Klei Êđê"\n\n'
        'msgid "button.report"\nmsgstr "📝 Hriê"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(catalog, "LOCALES", locales)
    catalog.available_languages.cache_clear()
    catalog.translator.cache_clear()
    try:
        assert "ede" in catalog.available_languages()
        ede_translator = catalog.translator("ede")
        assert ede_translator.plain("language.name") == "Klei Êđê"
        assert ede_translator.plain("button.report") == "📝 Hriê"
        # Untranslated entries fall back to Vietnamese instead of showing a key.
        assert ede_translator.plain("button.ack") == "✅ Đã nhận"
    finally:
        catalog.available_languages.cache_clear()
        catalog.translator.cache_clear()
