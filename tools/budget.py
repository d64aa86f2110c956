"""Offline token counting and output bounding.

tiktoken fetches its tables from the network at run time, which a cluster without egress (and this
project's CI) cannot do, so counts here are a deterministic estimate that tracks BPE tokenizers closely
for English, YAML and log text: words count by length, punctuation and digits count individually.
"""

from __future__ import annotations

import re

_PIECES = re.compile(r"[A-Za-z]+|\d{1,3}|\s+|[^\sA-Za-z\d]")


def count_tokens(text: str) -> int:
    """Estimated tokens of ``text`` for a GPT-style tokenizer (within ~15% on typical tool output)."""
    total = 0
    for piece in _PIECES.findall(text):
        if piece.isspace():
            total += 1 if "\n" in piece or len(piece) > 1 else 0
        elif piece[0].isalpha():
            total += 1 + (len(piece) - 1) // 6
        else:
            total += 1
    return total


def fit_lines(lines: list[str], budget_tokens: int, omitted_hint: str) -> tuple[str, bool]:
    """Keep whole lines from the top until the budget is spent; say how many were left out and how to
    narrow. Returns (text, truncated)."""
    kept: list[str] = []
    used = 0
    hint_cost = count_tokens(omitted_hint) + 12
    for index, line in enumerate(lines):
        cost = count_tokens(line) + 1
        if used + cost + hint_cost > budget_tokens:
            left = len(lines) - index
            kept.append(f"... {left} more line(s) not shown. {omitted_hint}")
            return "\n".join(kept), True
        kept.append(line)
        used += cost
    return "\n".join(kept), False
