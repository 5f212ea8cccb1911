"""A small Markdown subset rendered to Telegram HTML, for directives read from files.

Parsed by markdown-it-py (CommonMark, raw HTML off) and rendered here to the tags Telegram
accepts:

- `**đậm**` / `__đậm__` → bold; `*nghiêng*` / `_nghiêng_` → italic; `~~gạch~~` → strikethrough;
- `` `mã` `` → code, fenced or indented code blocks → pre;
- `[chữ](https://…)` → a link (http, https, tg and mailto only; other links keep their text);
- `# Tiêu đề` → a bold line; `- mục` and `1. mục` → "•" and numbered lines; `> trích` → a quote.

Everything else (tables, images, HTML tags) is shown as plain text, escaped.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.texts.formatting import escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

SAFE_LINKS = ("http://", "https://", "tg://", "mailto:")
RULE = "——————"
INDENT = "    "
# A list longer than this is cut between its items, so a message never ends inside a tag.
MAX_BLOCK = 3500
INLINE_TAGS = {"strong": "b", "em": "i", "s": "s"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """CommonMark with raw HTML off (shown as text) and ~~strikethrough~~ on."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def markdown_blocks(text: str) -> list[str]:
    """Render Markdown to Telegram HTML, one string per block (paragraph, list, quote…)."""
    from markdown_it.tree import SyntaxTreeNode

    tree = SyntaxTreeNode(_parser().parse(text))
    blocks: list[str] = []
    for node in tree.children:
        rendered = _block(node, 0, quoted=False)
        if node.type in ("bullet_list", "ordered_list") and len(rendered) > MAX_BLOCK:
            blocks.extend(_list_items(node, 0))
        else:
            blocks.append(rendered)
    return [block for block in blocks if block.strip()]


def _inline(node: SyntaxTreeNode) -> str:
    """The inline content of a block: text, emphasis, code and links."""
    parts: list[str] = []
    for child in node.children:
        kind = child.type
        if kind == "inline":
            parts.append(_inline(child))
        elif kind == "text":
            parts.append(escape(child.content))
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind in INLINE_TAGS:
            tag = INLINE_TAGS[kind]
            parts.append(f"<{tag}>{_inline(child)}</{tag}>")
        elif kind == "code_inline":
            parts.append(f"<code>{escape(child.content)}</code>")
        elif kind == "link":
            parts.append(_link(child))
        elif kind == "image":
            parts.append(_inline(child))  # its alt text
        else:
            parts.append(escape(child.content))
    return "".join(parts)


def _link(node: SyntaxTreeNode) -> str:
    """A link Telegram can open, or just its text."""
    label = _inline(node)
    href = str(node.attrs.get("href", "")).strip()
    if not href.lower().startswith(SAFE_LINKS):
        return label
    return f'<a href="{html.escape(href, quote=True)}">{label or escape(href)}</a>'


def _list_items(node: SyntaxTreeNode, depth: int) -> list[str]:
    """Each item of a list: its marker ("•" or "3."), its text, then what is nested in it."""
    ordered = node.type == "ordered_list"
    start = int(str(node.attrs.get("start", 1))) if ordered else 1
    items: list[str] = []
    for index, item in enumerate(node.children):
        marker = f"{start + index}." if ordered else "•"
        parts = [_block(child, depth + 1, quoted=False) for child in item.children]
        first = parts[0] if parts else ""
        rest = [
            part if child.type in ("bullet_list", "ordered_list") else INDENT * (depth + 1) + part
            for child, part in zip(item.children[1:], parts[1:], strict=True)
        ]
        items.append("\n".join([f"{INDENT * depth}{marker} {first}", *rest]))
    return items


def _block(node: SyntaxTreeNode, depth: int, *, quoted: bool) -> str:
    """One block as Telegram HTML."""
    kind = node.type
    if kind == "paragraph":
        return _inline(node)
    if kind == "heading":
        return f"<b>{_inline(node)}</b>"
    if kind in ("bullet_list", "ordered_list"):
        return "\n".join(_list_items(node, depth))
    if kind == "blockquote":
        inner = "\n".join(_block(child, depth, quoted=True) for child in node.children)
        # Telegram does not nest quotes: an inner quote is plain text inside the outer one.
        return inner if quoted else f"<blockquote>{inner}</blockquote>"
    if kind in ("fence", "code_block"):
        return f"<pre>{escape(node.content.rstrip(chr(10)))}</pre>"
    if kind == "hr":
        return RULE
    return escape(node.content)
