"""With a model, the steps' results and the runbook's guidance seed the agent: the model reads them with
their evidence ids, may cite them without calling anything, and the result is a section-2 diagnosis."""

from __future__ import annotations

from pydantic import SecretStr

from app.runbooks import load_library, run_runbook
from tests.agent.scripted_server import Reply, ScriptedModel

LOG_LINE = "panic: config: required environment variable STRIPE_API_KEY is not set"


def test_steps_seed_the_agent(demo_session) -> None:
    answer = {
        "summary": "payments crashes because STRIPE_API_KEY is missing.",
        "findings": [
            {
                "title": "payments exits: STRIPE_API_KEY is not set",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "payments"},
                "confidence": 0.9,
                "explanation": "The previous instance's log ends with the panic.",
                "evidence": ["e3"],
            }
        ],
        "evidence": [{"id": "e3", "excerpt": LOG_LINE}],
        "next_steps": [],
    }
    with ScriptedModel([Reply(tool_calls=[("final_answer", answer)])]) as server:
        settings = demo_session.settings.model_copy(
            update={
                "llm": "openai",
                "model": server.model,
                "openai_base_url": server.base_url,
                "openai_api_key": SecretStr("sk-test"),
                "max_retries": 0,
            }
        )
        original = demo_session.ctx.settings
        demo_session.ctx.settings = settings
        try:
            run = run_runbook(
                demo_session,
                load_library(None).get("pod-restarting"),
                {"namespace": "shop", "workload": "payments"},
                use_llm=True,
            )
        finally:
            demo_session.ctx.settings = original
        [request] = server.requests
    prompt = "\n".join(str(m.get("content")) for m in request.messages)
    assert "Pod keeps restarting" in prompt and "Decide between an application crash" in prompt  # guidance
    assert "[e3] k8s_logs" in prompt and LOG_LINE in prompt  # the step's result, with its id

    diagnosis = run.diagnosis
    assert diagnosis.engine == "llm:scripted-model" and diagnosis.contract_problems() == []
    [evidence] = diagnosis.evidence
    assert (evidence.id, evidence.tool, evidence.excerpt) == ("e3", "k8s_logs", LOG_LINE)
    assert diagnosis.stats.tool_calls == len(run.steps)  # the steps; the model called nothing more
