"""The built-in diagnostician's checks as one tool, so the model starts from strong evidence."""

from __future__ import annotations

from pydantic import Field

from tools.budget import fit_lines
from tools.contracts.tool import ToolContext, ToolError, ToolOutput, ToolParams
from tools.registry import tool


class HealthChecksParams(ToolParams):
    namespace: str | None = None
    workload: str | None = Field(None, description="the object asked about")
    question: str | None = Field(None, description="the operator's words")


@tool("health_checks", "kubernetes", HealthChecksParams)
def health_checks(ctx: ToolContext, params: HealthChecksParams) -> ToolOutput:
    """The built-in diagnostician, every source: problems, likely cause first, with evidence."""
    try:
        from app.diagnose.engine import diagnose
    except ImportError as exc:
        raise ToolError(f"the built-in health checks are not available: {exc}") from None
    limit = ctx.settings.max_question_chars
    if params.question and len(params.question) > limit:
        raise ToolError(
            f"question is {len(params.question):,} characters; the limit is {limit:,} "
            "(KUBEWHY_MAX_QUESTION_CHARS)"
        )
    question = params.question or (
        f"what is wrong with {params.workload}?" if params.workload else "what is wrong?"
    )
    if params.workload and params.workload not in question:
        question = f"{question} (about {params.workload})"
    diagnosis = diagnose(ctx, question, namespace=params.namespace)
    lines = [f"summary: {diagnosis.summary}"]
    quotes = {item.id: item for item in diagnosis.evidence}
    if not diagnosis.findings:
        lines.append("no problems found by the built-in checks")
    for rank, finding in enumerate(diagnosis.findings, 1):
        lines.append(
            f"{rank}. [{finding.category}] {finding.title} | fix: {finding.resource} "
            f"| confidence {finding.confidence:.2f}"
        )
        lines.append(f"   why: {' '.join(finding.explanation.split())}")
        for evidence_id in finding.evidence:
            item = quotes.get(evidence_id)
            if item is None:
                continue
            args = " ".join(f"{k}={v}" for k, v in item.args.items())
            lines.append(f"   seen in {item.tool} {args}:".rstrip())
            lines.extend(f"     {line}" for line in item.excerpt.splitlines())
    if diagnosis.findings:
        lines.append("Cite this result's id with the lines above; narrow with namespace= or workload=.")
    text, truncated = fit_lines(lines, ctx.token_budget, "Pass namespace= or workload= to narrow the checks.")
    return ToolOutput(text=text, data=diagnosis.model_dump(mode="json"), truncated=truncated)
