"""Reading what the page rendered: Markdown comes escaped (app.ui.safe.md), so compare its plain text."""

from __future__ import annotations

import re
from typing import Any

from app.ui.safe import WORD_JOINER

_ESCAPE = re.compile(r"\\(.)")


def plain(markdown: str) -> str:
    """The characters a reader sees for escaped Markdown (escapes and word joiners removed)."""
    return _ESCAPE.sub(r"\1", markdown).replace(WORD_JOINER, "")


def texts(node: Any) -> list[str]:
    """Plain text of every Markdown element, caption and code block under ``node``, in page order."""
    out = [plain(item.value) for item in node.markdown]
    out += [plain(item.value) for item in node.caption]
    out += [item.value for item in node.code]
    return out


def contains(node: Any, needle: str) -> bool:
    return any(needle in text for text in texts(node))


def answer_parts(message: Any) -> list[Any]:
    """A chat message's parts in page order, without the chat page's scroll script (it draws nothing)."""
    from app.ui.shell import SCROLL_KEY

    return [
        part
        for part in message.children.values()
        if SCROLL_KEY not in str(getattr(getattr(part, "proto", None), "id", ""))
    ]
