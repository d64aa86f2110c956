"""Run a runbook on a session: check everything first, run its steps, then let an engine conclude.

Nothing runs until the parameters are valid and every step argument that depends only on parameters
passes its tool's own validation (a bad runbook is never half-run). Then the steps run in order, each
result recorded in the evidence ledger. Without a model the built-in diagnostician concludes over the same
ledger (its evidence ids continue after the steps') and the steps' results are cited where they back a
finding; with a model, the results and the runbook's guidance seed the agent, which may look further.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from app.engine import Asker, Prelude, ask
from app.runbooks.cite_steps import cite_steps, in_order
from app.runbooks.loader import LoadedRunbook, Problem, RunbookError
from app.runbooks.model import BadParam, Runbook, coerce_param
from app.runbooks.target import runbook_target
from app.runbooks.template import TemplateProblem, condition, references, render, template_strings
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext, ToolResult
from tools.contracts.wording import plural


@dataclass
class StepOutcome:
    number: int
    tool: str
    id: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    result: ToolResult | None = None
    evidence_id: str | None = None
    skipped: str | None = None  # why the step did not run

    def view(self) -> dict[str, Any]:
        """What later templates see as ``steps.<id>``."""
        result = self.result
        return {
            "tool": self.tool,
            "args": self.args,
            "skipped": self.skipped is not None,
            "ok": bool(result and result.ok),
            "error": result.error if result else None,
            "text": result.text if result else "",
            "data": result.data if result else None,
            "truncated": bool(result and result.truncated),
        }


@dataclass
class RunbookRun:
    runbook: Runbook
    params: dict[str, Any]
    question: str
    steps: list[StepOutcome]
    diagnosis: Diagnosis
    ledger: Ledger
    started_at: datetime
    run_id: int | None = None  # the history row, when the run was recorded


def resolve_params(runbook: Runbook, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameter values to run with: given ones checked and typed, defaults filled in. Every missing
    or invalid value is named in one BadParam, so an empty form is answered with one message."""
    given = dict(given or {})
    unknown = [key for key in given if runbook.param(key) is None]
    if unknown:
        known = ", ".join(p.name for p in runbook.params) or "none"
        raise BadParam(f"runbook {runbook.name} has no parameter {unknown[0]!r} (parameters: {known})")
    values: dict[str, Any] = {}
    missing, invalid = [], []
    for param in runbook.params:
        if param.name in given and given[param.name] not in (None, ""):
            try:
                values[param.name] = coerce_param(param, given[param.name])
            except BadParam as exc:
                invalid.append(str(exc))
        elif param.required:
            missing.append(f"{param.name}=..." + (f" ({param.description})" if param.description else ""))
        else:
            values[param.name] = param.default
    if missing or invalid:
        needs = f"runbook {runbook.name} needs {_and(missing)}" if missing else ""
        raise BadParam("; ".join(filter(None, [needs, *invalid])))
    return values


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def question_of(runbook: Runbook, params: Mapping[str, Any]) -> str:
    if runbook.question:
        return " ".join(str(render(runbook.question, {"params": dict(params), "steps": {}})).split())
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return f"{runbook.title}" + (f" ({shown})" if shown else "")


def check_ready(runbook: Runbook, params: Mapping[str, Any], file: str = "<runbook>") -> None:
    """Refuse to start when a step's parameter-only arguments would be rejected by its tool."""
    from app.toolset import get_tool

    problems = []
    context = {"params": dict(params), "steps": {}}
    if runbook.question:
        try:
            render(runbook.question, context)
        except TemplateProblem as exc:
            problems.append(Problem(file, None, f"question: {exc}"))
    for index, step in enumerate(runbook.steps):
        if _uses_steps(step.args) or (step.when is not None and not _may_run(step.when, context)):
            continue
        try:
            args = _clean(render(step.args, context))
            get_tool(step.tool).params.model_validate(args)
        except TemplateProblem as exc:
            problems.append(Problem(file, None, f"steps[{index}] ({step.tool}): {exc}"))
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
            )
            problems.append(
                Problem(file, None, f"steps[{index}] ({step.tool}) with these parameters: {reasons}")
            )
    if problems:
        raise RunbookError(problems)


def _may_run(when: str, context: dict[str, Any]) -> bool:
    """False only when the condition depends on parameters alone and is false for these."""
    if any(ref.root == "steps" for ref in references(when, expression=True)):
        return True
    try:
        return condition(when, context)
    except TemplateProblem:
        return True


def _uses_steps(args: dict[str, Any]) -> bool:
    return any(ref.root == "steps" for text in template_strings(args) for ref in references(text))


def _clean(args: Any) -> dict[str, Any]:
    """Arguments with empty values left out, so an unset optional parameter means 'not given'."""
    return {k: v for k, v in (args or {}).items() if v is not None and v != ""}


def run_steps(
    ctx: ToolContext, runbook: Runbook, params: Mapping[str, Any], ledger: Ledger
) -> list[StepOutcome]:
    from app.toolset import call_tool

    outcomes: list[StepOutcome] = []
    views: dict[str, dict[str, Any]] = {}
    for number, step in enumerate(runbook.steps, 1):
        outcome = StepOutcome(number=number, tool=step.tool, id=step.id)
        context = {"params": dict(params), "steps": views}
        try:
            if step.when is not None and not condition(step.when, context):
                outcome.skipped = f"condition not met: {step.when}"
            else:
                outcome.args = _clean(render(step.args, context))
        except TemplateProblem as exc:
            outcome.skipped = str(exc)
        if outcome.skipped is None:
            ctx.progress(f"runbook step {number}/{len(runbook.steps)}: {step.tool}")
            outcome.result = call_tool(ctx, step.tool, outcome.args)
            outcome.evidence_id = ledger.record(outcome.result)
        outcomes.append(outcome)
        if step.id is not None:
            views[step.id] = outcome.view()
    return outcomes


def run_runbook(
    session: Any,
    runbook: Runbook | LoadedRunbook,
    params: Mapping[str, Any] | None = None,
    *,
    use_llm: bool | None = None,
    ledger: Ledger | None = None,
    on_event: Callable[[Any], None] | None = None,
    chat_model: Any = None,
    asked_by: Asker | None = None,
    recorded_params: Mapping[str, Any] | None = None,
) -> RunbookRun:
    """Run ``runbook`` on an open session (``app.engine.open_session``) and return the run with its
    contracts-section-2 diagnosis. Raises BadParam or RunbookError before anything runs.

    The steps run here; then :func:`app.engine.ask` concludes over their ledger, and records the run in
    the history when ``asked_by`` says who asked, with ``recorded_params`` (default: the resolved ones)."""
    file = str(runbook.path) if isinstance(runbook, LoadedRunbook) else f"<runbook {runbook.name}>"
    book = runbook.runbook if isinstance(runbook, LoadedRunbook) else runbook
    values = resolve_params(book, params)
    check_ready(book, values, file)
    question = question_of(book, values)
    started_at, started = datetime.now(UTC), time.perf_counter()
    ledger = ledger if ledger is not None else Ledger()
    first = len(ledger)
    steps = run_steps(session.ctx, book, values, ledger)

    def conclude(diagnosis: Diagnosis, by_model: bool) -> Diagnosis:
        ran = sum(1 for s in steps if s.skipped is None)
        if by_model:
            tool_calls = diagnosis.stats.tool_calls + sum(1 for s in steps if s.result is not None)
        else:
            step_ids = [s.evidence_id for s in steps if s.evidence_id]
            diagnosis = cite_steps(diagnosis, ledger, list(dict.fromkeys(step_ids)))
            tool_calls = len(ledger)
        lead = f"Runbook {book.name} ran {ran} of {plural(len(steps), 'step')}."
        stats = diagnosis.stats.model_copy(
            update={"tool_calls": tool_calls, "duration_s": round(time.perf_counter() - started, 3)}
        )
        return in_order(
            diagnosis.model_copy(update={"summary": f"{lead} {diagnosis.summary}", "stats": stats})
        )

    namespace = values.get("namespace") if isinstance(values.get("namespace"), str) else None
    prelude = Prelude(
        briefing=briefing(book, values, steps),
        subject=runbook_target(book, values),
        started_at=started_at,
        recorded_from=first,
        runbook=book.name,
        runbook_params=dict(recorded_params) if recorded_params is not None else values,
    )
    answer = ask(
        session,
        question,
        asked_by=asked_by,
        namespace=namespace,
        use_llm=use_llm,
        on_event=on_event,
        ledger=ledger,
        prelude=prelude,
        finish=conclude,
        chat_model=chat_model,
    )
    return RunbookRun(book, values, question, steps, answer.diagnosis, ledger, started_at, answer.run_id)


def briefing(runbook: Runbook, params: Mapping[str, Any], steps: list[StepOutcome]) -> str:
    """What the model reads before it starts: the guidance and every step's result with its id."""
    from prompts import load_prompt

    shown = [
        {
            "number": s.number,
            "tool": s.tool,
            "skipped": s.skipped,
            "evidence_id": s.evidence_id,
            "args_json": json.dumps(s.result.args if s.result else s.args, sort_keys=True),
            "text": s.result.text if s.result else "",
        }
        for s in steps
    ]
    given = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None) or "no parameters"
    return load_prompt(
        "runbook",
        title=runbook.title,
        runbook=runbook.name,
        params=given,
        guidance=runbook.guidance,
        steps=shown,
    )
