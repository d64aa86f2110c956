"""Suggest runbooks for a question: their ``match`` words and phrases in the question, alert names, the
finding categories the question's words point at, and, strongest of all, the categories a quick diagnosis
of the question found in the cluster.

Categories are weighed twice by rank. A diagnosis's first finding (its cause) counts more than the ones
after it, and a runbook's ``match.categories`` are listed main one first: a runbook made for a kind of
trouble fits better than one that only covers it among others (traffic-dropped is *for* a policy that
drops traffic; service-unreachable and dns-failing also check for one). A symptom word such as "failing"
hints at several kinds of trouble at once, so a hinted category counts less than a diagnosed one, and so
do the findings of a review (a question about a namespace or the whole cluster): they are several separate
problems, not one problem and its cause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.runbooks.loader import Library
from app.runbooks.model import Runbook

if TYPE_CHECKING:
    from tools.contracts.diagnosis import Diagnosis
    from tools.contracts.tool import ToolContext

WORD_SCORE, PHRASE_SCORE, ALERT_SCORE = 1.0, 1.5, 3.0
HINTED_SCORE = 1.0  # a category the question's words point at
DIAGNOSED_SCORE = 4.0  # the category of the diagnosis's first finding (later findings: 4/2, 4/3, ...)
REVIEWED_SCORE = HINTED_SCORE  # the same for a review's findings


def diagnosed_categories(diagnosis: Diagnosis | None) -> tuple[list[str], float]:
    """The categories of a diagnosis's findings, cause first (what it found elsewhere in the cluster is
    not what the question is about), and how much they weigh: a question about one object has one problem
    and its cause chain; a review of a namespace or the cluster lists separate problems."""
    if diagnosis is None:
        return [], 0.0
    found = list(dict.fromkeys(finding.category.value for finding in diagnosis.findings))
    subject = diagnosis.answer.subject
    about_one = subject is not None and subject.kind != "Namespace" and diagnosis.answer.intent != "review"
    return found, DIAGNOSED_SCORE if about_one else REVIEWED_SCORE


def score(
    runbook: Runbook,
    question: str,
    categories: Iterable[str] = (),
    alerts: Iterable[str] = (),
    diagnosed: Sequence[str] = (),
    diagnosed_weight: float = DIAGNOSED_SCORE,
) -> float:
    """How well ``runbook`` fits; 0 means not at all. ``categories`` are hinted by the question's words,
    ``diagnosed`` were found by a diagnosis of it (cause first), the first one worth ``diagnosed_weight``."""
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
    hinted = {str(c) for c in categories}
    found = {category: rank for rank, category in reversed(list(enumerate(map(str, diagnosed))))}
    for position, category in enumerate(c.value for c in runbook.match.categories):
        fit = 1.0 / (1 + position)  # the runbook's main category first
        if category in hinted:
            total += HINTED_SCORE * fit
        if category in found:
            total += diagnosed_weight / (1 + found[category]) * fit
    return total


def suggest_runbooks(
    question: str,
    categories: Iterable[str] | None = None,
    *,
    alerts: Iterable[str] | None = None,
    library: Library | None = None,
    limit: int = 3,
    diagnosis: Diagnosis | None = None,
) -> list[Runbook]:
    """The best-fitting runbooks for a question, best first (bundled ones when no library is given).
    ``diagnosis`` is a quick diagnosis of the question (the built-in diagnostician's), when one was made."""
    from app.runbooks.loader import load_library

    library = library if library is not None else load_library(None)
    cats, named = list(categories or []), list(alerts or [])
    found, weight = diagnosed_categories(diagnosis)
    scored = [(score(e.runbook, question, cats, named, found, weight), e.runbook) for e in library.sorted()]
    ranked = sorted((item for item in scored if item[0] > 0), key=lambda item: (-item[0], item[1].name))
    return [runbook for _, runbook in ranked[:limit]]


def hinted_categories(question: str, now: datetime) -> list[str]:
    """The kinds of trouble the question's words describe, by the built-in diagnostician's own router."""
    from app.diagnose.router import route

    return [category.value for category in route(question, [], now).hinted]


def suggest_for_question(
    ctx: ToolContext, question: str, *, library: Library | None = None, limit: int = 3
) -> tuple[list[Runbook], Diagnosis]:
    """Runbooks for ``question`` on the cluster behind ``ctx``: its words, and a quick diagnosis of it by
    the built-in diagnostician (read-only, no model), which is returned too."""
    from app.diagnose.engine import diagnose

    diagnosis = diagnose(ctx, question)
    hinted = hinted_categories(question, ctx.now())
    return suggest_runbooks(question, hinted, library=library, limit=limit, diagnosis=diagnosis), diagnosis
