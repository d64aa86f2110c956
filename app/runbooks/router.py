"""Suggest runbooks for a question: their ``match`` words and phrases in the question, alert names, and
the finding categories a diagnosis (or the question's router) already points at."""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.runbooks.loader import Library
from app.runbooks.model import Runbook

WORD_SCORE, PHRASE_SCORE, ALERT_SCORE, CATEGORY_SCORE = 1.0, 1.5, 3.0, 2.0


def score(
    runbook: Runbook, question: str, categories: Iterable[str] = (), alerts: Iterable[str] = ()
) -> float:
    """How well ``runbook`` fits; 0 means not at all."""
    text = question.lower()
    total = 0.0
    for word in runbook.match.words:
        needle = word.lower().strip()
        if needle and re.search(rf"(?<![\w-]){re.escape(needle)}(?![\w-])", text):
            total += PHRASE_SCORE if " " in needle else WORD_SCORE
    named_alerts = {a.lower() for a in alerts}
    for alert in runbook.match.alerts:
        if alert.lower() in named_alerts or re.search(rf"\b{re.escape(alert.lower())}\b", text):
            total += ALERT_SCORE
    wanted = {str(c) for c in categories}
    total += CATEGORY_SCORE * sum(1 for c in runbook.match.categories if c.value in wanted)
    return total


def suggest_runbooks(
    question: str,
    categories: Iterable[str] | None = None,
    *,
    alerts: Iterable[str] | None = None,
    library: Library | None = None,
    limit: int = 3,
) -> list[Runbook]:
    """The best-fitting runbooks for a question, best first (bundled ones when no library is given)."""
    from app.runbooks.loader import load_library

    library = library if library is not None else load_library(None)
    cats, named = list(categories or []), list(alerts or [])
    scored = [(score(e.runbook, question, cats, named), e.runbook) for e in library.sorted()]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1].name))
    return [runbook for _, runbook in ranked[:limit]]
