"""The question-answer suite: load the YAML cases, ask every turn through the real pipeline (a thread per
case, so follow-ups see the turn before), and judge each answer against what the case says a right answer
holds. Shared by tests/qa/test_qa.py and ``bench/accuracy.py --qa`` so both judge the same way."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
SUITES = {"main": HERE / "main.yaml", "heldout": HERE / "heldout.yaml"}
DAY = "2026-11-20"  # every snapshot of the suite is captured on this day, at 09:30:00Z
DEMO = HERE.parent.parent / "app" / "demo" / "shop"
INTENTS = ("diagnose", "status", "occurrence", "onset", "remediation", "ranking", "review")
ONSET_TOLERANCE = timedelta(minutes=5)
Ref = tuple[str, str | None, str]


@dataclass
class Turn:
    question: str
    intent: str
    subject: Ref | None = None
    subject_healthy: bool | None = None
    verdict: str | None = None
    onset: datetime | None = None
    culprit: Ref | None = None
    missing: str | None = None  # a subject that does not exist in the cluster
    first_row: str | None = None  # ranking: the name the first row of the table must carry
    unrecognised: bool = False


@dataclass
class Case:
    id: str
    snapshot: str  # "demo" or a scenario name of tests/scenarios
    turns: list[Turn]
    suite: str = "main"


def parse_ref(text: str | None) -> Ref | None:
    """``Kind/namespace/name`` or ``Kind/name`` (cluster-scoped)."""
    if not text:
        return None
    parts = text.split("/")
    if len(parts) == 2:
        return (parts[0], None, parts[1])
    if len(parts) == 3:
        return (parts[0], parts[1], parts[2])
    raise ValueError(f"{text!r} is not Kind/namespace/name or Kind/name")


def _onset(value: Any) -> datetime | None:
    if value is None:
        return None
    hour, minute = str(value).split(":")
    return datetime.fromisoformat(f"{DAY}T{int(hour):02d}:{int(minute):02d}:00+00:00")


def load(suite: str) -> list[Case]:
    """The cases of one suite file; raises ValueError naming the case and field that is wrong."""
    document = yaml.safe_load(SUITES[suite].read_text(encoding="utf-8"))
    cases = []
    for item in document["cases"]:
        turns = []
        for raw in item["turns"]:
            if raw["intent"] not in INTENTS:
                raise ValueError(f"case {item['id']}: unknown intent {raw['intent']!r}")
            turns.append(
                Turn(
                    question=raw["q"],
                    intent=raw["intent"],
                    subject=parse_ref(raw.get("subject")),
                    subject_healthy=raw.get("subject_healthy"),
                    verdict=raw.get("verdict"),
                    onset=_onset(raw.get("onset")),
                    culprit=parse_ref(raw.get("culprit")),
                    missing=raw.get("missing"),
                    first_row=raw.get("first_row"),
                    unrecognised=bool(raw.get("unrecognised")),
                )
            )
        cases.append(Case(id=item["id"], snapshot=item["snapshot"], turns=turns, suite=suite))
    return cases


@dataclass
class Result:
    case: Case
    index: int
    turn: Turn
    got: dict[str, Any]  # answer, findings[0] and elsewhere of the document, for reports
    intent_ok: bool
    right: bool  # subject and verdict (or subject_healthy) right
    onset_ok: bool | None  # None: the case gives no onset
    wrong_cause: str | None  # why the answer puts something other than the subject as the cause
    seconds: float
    problems: list[str] = field(default_factory=list)


def _ref(value: Any) -> Ref | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return (value["kind"], value.get("namespace"), value["name"])
    return (value.kind, value.namespace, value.name)


def _show(ref: Ref | None) -> str:
    if ref is None:
        return "none"
    kind, namespace, name = ref
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def _since(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


_CAUSE_WORDS = re.compile(r"most likely cause|caused by|because of|the cause is", re.I)


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]


def judge(turn: Turn, document: dict[str, Any]) -> tuple[bool, bool, bool | None, str | None, list[str]]:
    """(intent right, subject+verdict right, onset right, wrong cause, problems) for one answer."""
    answer = document.get("answer") or {}
    findings = document.get("findings") or []
    problems: list[str] = []
    intent_ok = answer.get("intent") == turn.intent
    if not intent_ok:
        problems.append(f"intent {answer.get('intent')} (want {turn.intent})")
    subject = _ref(answer.get("subject"))
    text = answer.get("text") or ""
    wrong_cause = None
    if turn.missing:
        subject_ok = subject is None and turn.missing.lower() in text.lower() and not findings
        if not subject_ok:
            said = f"subject {_show(subject)}, text {text[:80]!r}"
            problems.append(f"missing {turn.missing!r} not said ({said})")
        if findings:
            wrong_cause = f"a subject that does not exist got findings: {findings[0]['title']}"
        verdict_ok = True
    else:
        subject_ok = subject == turn.subject
        if not subject_ok:
            problems.append(f"subject {_show(subject)} (want {_show(turn.subject)})")
        if turn.verdict is not None:
            verdict_ok = answer.get("verdict") == turn.verdict
            if not verdict_ok:
                problems.append(f"verdict {answer.get('verdict')} (want {turn.verdict})")
        elif turn.subject_healthy is not None:
            verdict_ok = answer.get("subject_healthy") == turn.subject_healthy
        else:
            verdict_ok = True
        if turn.subject_healthy is True and findings:
            wrong_cause = f"healthy subject, yet findings: {findings[0]['title']}"
        elif turn.culprit is not None and (not findings or _ref(findings[0]["resource"]) != turn.culprit):
            top = _show(_ref(findings[0]["resource"])) if findings else "no findings"
            wrong_cause = f"first finding {top} (want culprit {_show(turn.culprit)})"
    if turn.subject_healthy is not None and answer.get("subject_healthy") != turn.subject_healthy:
        problems.append(f"subject_healthy {answer.get('subject_healthy')} (want {turn.subject_healthy})")
    if _CAUSE_WORDS.search(first_sentence(text)) and (turn.subject_healthy or turn.missing):
        wrong_cause = wrong_cause or f"first sentence names a cause: {first_sentence(text)!r}"
    onset_ok = None
    if turn.onset is not None:
        since = _since(answer.get("since"))
        onset_ok = since is not None and abs(since - turn.onset) <= ONSET_TOLERANCE
        if not onset_ok:
            problems.append(f"since {answer.get('since')} (want {turn.onset:%H:%M})")
    if turn.first_row and turn.first_row not in _first_row(text):
        problems.append(f"first row {_first_row(text)!r} (want {turn.first_row})")
        subject_ok = False
    if turn.unrecognised and "recognis" not in text.lower():
        problems.append("an unrecognised question is not said to be one")
        subject_ok = False
    if wrong_cause:
        problems.append(f"wrong cause: {wrong_cause}")
    return intent_ok, subject_ok and verdict_ok, onset_ok, wrong_cause, problems


def _first_row(text: str) -> str:
    """The first data row of the answer's table (lines after the header row)."""
    rows = [line for line in text.splitlines() if line.count("|") >= 2 or line.startswith("  ")]
    data = [row for row in rows if not set(row.strip()) <= set("|-: ") and "restarts" not in row.lower()]
    return data[0] if data else ""


def snapshot_of(case: Case, scenario_dir: Callable[[str], Path]) -> Path:
    return DEMO if case.snapshot == "demo" else scenario_dir(case.snapshot)


def run(cases: Iterable[Case], scenario_dir: Callable[[str], Path], log: Callable[[str], None] | None = None):
    """Ask every turn of every case (one session per snapshot; one conversation per case)."""
    from app.engine import ask
    from devkit.scenarios.judge import open_snapshot

    by_snapshot: dict[str, list[Case]] = {}
    for case in cases:
        by_snapshot.setdefault(case.snapshot, []).append(case)
    results: list[Result] = []
    for group in by_snapshot.values():
        with open_snapshot(snapshot_of(group[0], scenario_dir)) as session:
            for case in group:
                previous = None
                for index, turn in enumerate(case.turns):
                    started = time.perf_counter()
                    diagnosis = ask(session, turn.question, previous=previous, use_llm=False).diagnosis
                    seconds = time.perf_counter() - started
                    document = diagnosis.model_dump(mode="json")
                    intent_ok, right, onset_ok, wrong, problems = judge(turn, document)
                    got = {
                        "answer": document.get("answer"),
                        "top": (document.get("findings") or [{}])[0].get("title"),
                    }
                    result = Result(case, index, turn, got, intent_ok, right, onset_ok, wrong, seconds)
                    result.problems = problems
                    results.append(result)
                    if log and problems:
                        log(f"{case.id}#{index + 1} {turn.question!r}: " + "; ".join(problems))
                    previous = diagnosis
    return results


def figures(results: list[Result]) -> dict[str, dict[str, Any]]:
    """Per intent and overall: questions, subject+verdict right, intent right, onset within 5 min, wrong
    causes."""
    out: dict[str, dict[str, Any]] = {}
    for label in (*INTENTS, "all"):
        subset = [r for r in results if label == "all" or r.turn.intent == label]
        if not subset:
            continue
        timed = [r for r in subset if r.onset_ok is not None]
        out[label] = {
            "questions": len(subset),
            "right": sum(r.right for r in subset),
            "intent_right": sum(r.intent_ok for r in subset),
            "onset_known": len(timed),
            "onset_right": sum(bool(r.onset_ok) for r in timed),
            "wrong_cause": sum(r.wrong_cause is not None for r in subset),
        }
    return out


def coverage(cases: list[Case]) -> dict[str, int]:
    turns = [t for c in cases for t in c.turns]
    return {
        "questions": len(turns),
        "chains": sum(len(c.turns) > 1 for c in cases),
        "healthy_subject": sum(t.subject_healthy is True for t in turns),
        "missing_subject": sum(t.missing is not None for t in turns),
        **{f"intent_{i}": sum(t.intent == i for t in turns) for i in INTENTS},
    }
