"""Regular expressions that come from outside (a model's tool call, a person, a runbook) run on RE2.

Python's `re` backtracks: `^(?:.|..)*%%%` on one long log line never returns, and it holds the
interpreter lock while it tries, so one question would freeze the page or the Slack bot for everyone.
RE2 runs in time linear in the text. It has no backreferences and no lookarounds (they are what makes
backtracking necessary); a pattern using them is refused with a message that says so.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

import re2

MAX_PATTERN_CHARS = 1000


class PatternError(ValueError):
    """A pattern kubewhy will not run; the message says why and how to rewrite it."""


class Pattern(Protocol):
    def search(self, text: str) -> object | None: ...

    def fullmatch(self, text: str) -> object | None: ...


def outside_pattern(pattern: str, *, ignore_case: bool = False) -> Pattern:
    """Compile `pattern` for linear-time matching; PatternError when RE2 cannot run it."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(
            f"the pattern is {len(pattern):,} characters long; the limit is {MAX_PATTERN_CHARS:,}"
        )
    return _compiled(pattern, ignore_case)


@lru_cache(maxsize=32)  # each keeps RE2's DFA cache, at most 8 MiB (its default max_mem)
def _compiled(pattern: str, ignore_case: bool) -> Pattern:
    options = re2.Options()
    options.log_errors = False  # the error goes back to the caller, not to stderr
    options.case_sensitive = not ignore_case
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        raise PatternError(_reason(pattern, exc)) from None


def _reason(pattern: str, exc: Exception) -> str:
    detail = exc.args[0] if exc.args else exc
    why = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
    if any(f"operator: {look}" in why for look in ("(?=", "(?!", "(?<=", "(?<!")):
        why = "lookarounds ((?=...), (?!...), (?<=...), (?<!...)) are not supported"
    elif any(f"escape sequence: \\{digit}" in why for digit in "123456789"):
        why = "backreferences (\\1, \\2, ...) are not supported"
    return (
        f"{pattern!r} is not a pattern kubewhy runs: {why} (patterns run on RE2, in linear time; "
        "plain alternatives such as 'error|fatal' work)"
    )
