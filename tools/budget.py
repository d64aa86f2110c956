"""Offline token counting and output bounding.

tiktoken fetches its tables from the network at run time, which a cluster without egress (and this
project's CI) cannot do, so counts here are a deterministic estimate of cl100k-style BPE tokens. Text is
split the way cl100k's pre-tokenizer splits it (a word with the space or quote before it, up to three
digits, a run of punctuation, line breaks), then each piece is priced: a word by its length, a
punctuation run by threes (JSON's ``": "`` and ``"},`` are one or two tokens, not four). On kubewhy's
prompts, tool schemas, tool output, logs and YAML it stays within about 15% of cl100k, erring high
(tests/test_token_counter.py measures it when the ``bpe-openai`` package is installed).
"""

from __future__ import annotations

import re

from tools.contracts.wording import plural

_PIECES = re.compile(
    r"'(?:s|t|re|ve|m|ll|d)|[^\r\n\w]?[^\W\d_]+|\d{1,3}| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+|_+"
)
WORD_CHARS_PER_TOKEN = 6
PUNCTUATION_PER_TOKEN = 3


def count_tokens(text: str) -> int:
    """Estimated cl100k tokens of ``text`` (within ~15% on typical prompts and tool output)."""
    total = 0
    for piece in _PIECES.findall(text):
        core = piece.lstrip(" ")
        if not core or core.isspace():
            total += 1
        elif core[0].isalpha() or core[1:2].isalpha():
            word = core if core[0].isalpha() else core[1:]
            total += 1 + (len(word) - 1) // WORD_CHARS_PER_TOKEN
        elif core.isdigit():
            total += 1
        else:
            total += (len(core) + PUNCTUATION_PER_TOKEN - 1) // PUNCTUATION_PER_TOKEN
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
            kept.append(f"... {plural(left, 'more line')} not shown. {omitted_hint}")
            return "\n".join(kept), True
        kept.append(line)
        used += cost
    return "\n".join(kept), False
