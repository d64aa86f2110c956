""" "Save as runbook": turn a finished conversation into a runbook to run again.

The tool calls become steps, in order (duplicates and failed calls left out). Values that came from the
question (a namespace, workload, service or node named in it) become required parameters, and every
argument and the question itself refer to them. Calls about one particular pod of such a workload are left
out: pod names change with every rollout, so the saved runbook would read a pod that no longer exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from app.runbooks.loader import load_text, user_runbooks_dir
from app.runbooks.model import NAME_PATTERN, BadParam, Param, Runbook, Step
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.contracts.wording import plural, verb

NOT_PARAMETERS = {"kind", "check", "window", "type", "reason", "since", "verdict", "side", "grep", "query"}
PARAM_NAMES = {
    "name": "workload",
    "pod": "workload",
    "container": "workload",
    "source": "workload",
    "destination": "workload",
}
PREFERRED = ["namespace", "workload", "service", "node", "pvc"]
Call = tuple[str, dict[str, Any]]


def _word(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.-]){re.escape(value)}(?![\w-])", re.IGNORECASE)


def _values(calls: Iterable[Call]) -> list[tuple[str, str]]:
    """(argument name, value piece) for every string argument, split at '/' (namespace/name peers)."""
    found = []
    for _tool, args in calls:
        for key, value in args.items():
            if key in NOT_PARAMETERS or not isinstance(value, str):
                continue
            for piece in value.split("/"):
                if len(piece) >= 2:
                    found.append((key, piece))
    return found


def _parameters(question: str, calls: list[Call]) -> dict[str, str]:
    """value -> parameter name, for values the question names (named after the most telling argument)."""
    keys: dict[str, list[str]] = {}
    for key, value in _values(calls):
        if _word(value).search(question):
            keys.setdefault(value, []).append(key)
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for value, found in keys.items():
        base = min((PARAM_NAMES.get(k, k) for k in found), key=_rank)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        chosen[value] = name
        used.add(name)
    return chosen


def _rank(name: str) -> int:
    return PREFERRED.index(name) if name in PREFERRED else len(PREFERRED)


_JINJA_OPENERS = ("{{", "{%", "{#")


def _templated(value: Any, params: dict[str, str]) -> Any:
    """``value`` as a template that gives it back with the parameters in it. Braces the question or a
    tool argument already held are kept as text: the saved runbook never runs what someone typed."""
    if not isinstance(value, str):
        return value
    if any(opener in value for opener in _JINJA_OPENERS):
        value = value.replace("{", "{{ '{' }}")
    for literal in sorted(params, key=len, reverse=True):
        value = _word(literal).sub(lambda _m, p=params[literal]: "{{ params." + p + " }}", value)
    return value


def _about_a_pod(args: dict[str, Any], params: dict[str, str]) -> bool:
    """A call about one pod of a parameterized workload (``payments-7d9f8c6b5-x2lqp``)."""
    for value in args.values():
        if isinstance(value, str):
            for literal in params:
                if re.fullmatch(re.escape(literal) + r"-[a-z0-9]{4,10}(-[a-z0-9]{4,6})?", value):
                    return True
    return False


def runbook_from_calls(
    question: str, calls: Iterable[Call], name: str, *, title: str | None = None, cluster: str | None = None
) -> Runbook:
    """A runbook that repeats ``calls`` with the question's names as parameters. Raises BadParam for a bad
    name and RunbookError if the result would not validate."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise BadParam(f"runbook name {name!r}: use lower-case letters, digits and '-' (e.g. checkout-db)")
    unique: list[Call] = []
    for tool, args in calls:
        if (tool, args) not in unique:
            unique.append((tool, dict(args)))
    params = _parameters(question, unique)
    steps, left_out = [], 0
    for tool, args in unique:
        if _about_a_pod(args, params):
            left_out += 1
            continue
        steps.append(Step(tool=tool, args={k: _templated(v, params) for k, v in args.items()}))
    if not steps:
        raise BadParam("the conversation made no tool call that can be repeated, so there is nothing to save")
    where = f" on {cluster}" if cluster else ""
    note = (
        f" {plural(left_out, 'call')} about individual pods {verb(left_out, 'was', 'were')} left out "
        "(pod names change)."
        if left_out
        else ""
    )
    runbook = Runbook(
        name=name,
        title=title or _title(question),
        description=f"Saved from the question{where}: {question}{note}",
        question=_templated(question, params),
        params=[
            Param(name=p, required=True, description=f"e.g. {value} (named in the saved question)")
            for value, p in params.items()
        ],
        steps=steps,
    )
    load_text(runbook_yaml(runbook), f"<saved runbook {name}>")  # the same checks as a file on disk
    return runbook


def runbook_from_ledger(question: str, ledger: Ledger, name: str, **kwargs: Any) -> Runbook:
    """A runbook from a finished conversation's evidence ledger (failed calls left out)."""
    calls = [(e.result.tool, dict(e.result.args)) for e in ledger.entries.values() if e.result.ok]
    return runbook_from_calls(question, calls, name, **kwargs)


def runbook_from_history(run: Any, name: str, **kwargs: Any) -> Runbook:
    """A runbook from a stored run (``app.store.StoredRun``, read with ``get_run``)."""
    calls = [(c.tool, dict(c.args)) for c in run.calls if not c.error]
    return runbook_from_calls(run.question, calls, name, cluster=run.cluster, **kwargs)


def _title(question: str) -> str:
    text = " ".join(question.split()).rstrip("?")
    text = text[:1].upper() + text[1:]
    return text if len(text) <= 80 else text[:77] + "..."


def runbook_yaml(runbook: Runbook) -> str:
    data = runbook.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"name": runbook.name, "title": runbook.title, **data}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)


def save_runbook(runbook: Runbook, settings: Settings, *, overwrite: bool = False) -> Path:
    """Write ``runbook`` to the user's runbook folder; refuses to replace a file unless ``overwrite``."""
    folder = user_runbooks_dir(settings)
    path = folder / f"{runbook.name}.yaml"
    if path.exists() and not overwrite:
        raise BadParam(f"{path} exists already; choose another name or overwrite it")
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(runbook_yaml(runbook), encoding="utf-8")
    return path
