"""The agent fills the same structure as the built-in diagnostician (contracts section 2, "The direct
answer"): the intent, subject, verdict and onset of its final answer, the subject's findings apart from
what lies elsewhere, all checked against the ledger; and a follow-up from a thread reaches the model as
the earlier turn's subject and culprit. Through the real openai client against the scripted server."""

from __future__ import annotations

from app.agent.loop import run_agent
from app.engine import Session, ask
from tools.contracts.diagnosis import Answer, Diagnosis, Finding, ResourceRef

from .conftest import PODS_TOOL, context_for, settings_for, start
from .scripted_server import Reply

CRASH_LINE = "checkout-7d9f8c6b5-x2lqp  0/1  CrashLoopBackOff  restarts=7"
CHECKOUT = {"kind": "Deployment", "namespace": "shop", "name": "checkout"}


def finding(name: str, evidence: list[str]) -> dict:
    return {
        "title": f"{name} is in CrashLoopBackOff",
        "category": "AppCrash",
        "resource": {"kind": "Deployment", "namespace": "shop", "name": name},
        "confidence": 0.9,
        "explanation": "The container exits and restarts.",
        "evidence": evidence,
    }


def final(**fields) -> Reply:
    answer = {
        "summary": "Yes. checkout is crash-looping since 09:05. More detail follows.",
        "findings": [finding("checkout", ["e1"])],
        "evidence": [{"id": "e1", "excerpt": CRASH_LINE}],
        "next_steps": [],
    }
    answer.update(fields)
    return Reply(tool_calls=[("final_answer", answer)])


def test_the_models_direct_answer_and_elsewhere_are_kept_and_checked(scripted, pods_tool):
    direct = {
        "text": "Yes. checkout has restarted 7 times since 09:05.",
        "intent": "Occurrence",  # case is forgiven
        "subject": CHECKOUT,
        "subject_healthy": False,
        "verdict": "yes",
        "since": "2026-11-20T09:05:00Z",
    }
    server = start(
        scripted,
        [
            Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
            final(answer=direct, elsewhere=[finding("cart", ["e1", "e99"])]),
        ],
    )
    diagnosis = run_agent(context_for(settings_for(server)), "is checkout restarting?")
    assert diagnosis.contract_problems() == []
    answer = diagnosis.answer
    assert answer.text == direct["text"] and answer.intent == "occurrence" and answer.verdict == "yes"
    assert answer.subject == ResourceRef(**CHECKOUT) and answer.subject_healthy is False
    assert answer.since == "2026-11-20T09:05:00Z"
    [elsewhere] = diagnosis.elsewhere
    assert elsewhere.resource.name == "cart" and elsewhere.evidence == ["e1"]  # e99 was never read
    assert [f.resource.name for f in diagnosis.findings] == ["checkout"]
    document = diagnosis.model_dump(mode="json")
    answer_fields = {"text", "intent", "subject", "subject_healthy", "verdict", "since", "changes"}
    assert set(document["answer"]) == answer_fields  # `changes`: an optional field added by extension


def test_an_answer_without_the_direct_fields_gets_them_from_the_question(scripted, pods_tool):
    server = start(scripted, [final(answer={"text": "x", "intent": "gremlin"}), final()])
    diagnosis = run_agent(context_for(settings_for(server)), "is checkout still restarting?")
    # the first final answer had an unknown intent: it was sent back, and the second one has no answer
    assert "intent" in server.requests[1].messages[-1]["content"]
    assert diagnosis.answer.text == "Yes. checkout is crash-looping since 09:05."  # the summary's first
    assert diagnosis.answer.intent == "occurrence"  # as the router reads the question
    assert diagnosis.answer.subject is None and diagnosis.answer.since is None


def test_a_healthy_verdict_with_findings_is_not_believed_and_a_bad_time_is_dropped(scripted, pods_tool):
    direct = {"text": "checkout is fine.", "intent": "status", "subject": CHECKOUT, "subject_healthy": True,
              "verdict": "yes", "since": "this morning"}  # fmt: skip
    server = start(scripted, [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final(answer=direct)])
    diagnosis = run_agent(context_for(settings_for(server)), "is checkout ok?")
    assert diagnosis.findings and diagnosis.answer.subject_healthy is False
    assert diagnosis.answer.since is None


def test_a_thread_follow_up_tells_the_model_the_earlier_subject_and_culprit(scripted, pods_tool):
    server = start(scripted, [final()])
    settings = settings_for(server)
    earlier = Diagnosis(
        question="why are orders failing at checkout?",
        cluster="shop-prod",
        answered_at="2026-11-20T09:30:00Z",
        engine="offline",
        summary="checkout is failing.",
        answer=Answer(
            text="checkout is failing: a policy drops it.",
            intent="diagnose",
            subject=ResourceRef(**CHECKOUT),
            subject_healthy=False,
        ),
        findings=[
            Finding(
                title="policy drops checkout",
                category="NetworkPolicyBlocked",
                resource=ResourceRef(kind="NetworkPolicy", namespace="data", name="postgres-allow-catalog"),
                confidence=0.9,
                explanation="drops",
            )
        ],
    )
    session = Session(settings=settings, ctx=context_for(settings), sources=[])
    ask(session, "how do I fix it?", previous=earlier)
    task = server.requests[0].messages[1]["content"]
    assert "Question: how do I fix it?" in task
    assert "Its subject: Deployment shop/checkout" in task
    assert (
        "Its culprit (the first finding's object to fix): NetworkPolicy data/postgres-allow-catalog" in task
    )
