"""The Block Kit renderer: inert text, Slack's limits, and nothing lost when an answer is split."""

from __future__ import annotations

import json

from app.slack.blocks import (
    MAX_BLOCKS,
    MESSAGE_CHARS,
    SECTION_CHARS,
    code_sections,
    diagnosis_blocks,
    evidence_document,
    evidence_messages,
    pack,
    section,
    split_text,
)
from app.slack.mrkdwn import code, inert, plain_question
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.tool import ToolResult


def _diagnosis(**changes: object) -> Diagnosis:
    doc = {
        "question": "why?",
        "cluster": "lab",
        "answered_at": "2026-03-01T12:00:00Z",
        "engine": "offline",
        "summary": "api crashes",
        "findings": [
            {
                "title": "api keeps crashing",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "api"},
                "confidence": 0.7,
                "explanation": "exit code 1",
                "evidence": ["e1", "e9"],
            }
        ],
        "evidence": [
            {
                "id": "e1",
                "source": "logs",
                "tool": "k8s_logs",
                "args": {"pod": "api-1"},
                "excerpt": "FATAL boom",
            },
            {"id": "e2", "source": "kubernetes", "tool": "k8s_events", "args": {}, "excerpt": "BackOff"},
        ],
        "next_steps": [
            {"description": "edit it", "command": "kubectl -n shop edit deployment api", "checked": True}
        ],
    }
    doc.update(changes)
    return Diagnosis.model_validate(doc)


def _texts(blocks: list[dict]) -> str:
    out = []
    for block in blocks:
        out.append((block.get("text") or {}).get("text", ""))
        out += [e.get("text", "") for e in block.get("elements", [])]
    return "\n".join(out)


def test_cluster_text_is_inert() -> None:
    assert inert("<!channel> & <http://x|y>") == "&lt;!channel&gt; &amp; &lt;http://x|y&gt;"
    assert inert("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert code("a ``` b") == "```\na ''' b\n```"


def test_a_question_is_read_as_plain_words() -> None:
    text = "<@UBOT123> why is <http://shop.example|shop> slow &amp; <#C1|sre> down &lt;now&gt;?"
    assert plain_question(text) == "why is shop slow & down <now>?"


def test_split_text_keeps_every_character_and_the_limit() -> None:
    text = "\n".join(f"line {n} " + "y" * (n % 170) for n in range(400))
    pieces = split_text(text, 1000)
    assert all(len(piece) <= 1000 for piece in pieces)
    assert "\n".join(pieces) == text  # cut only at line ends here, nothing dropped


def test_split_never_cuts_inside_an_entity() -> None:
    text = "x" * 2996 + "&amp;" + "z" * 10
    first, second = split_text(text, 2999)
    assert first == "x" * 2996 and second.startswith("&amp;")


def test_long_excerpt_is_split_into_labelled_parts() -> None:
    raw = "\n".join("a" * 100 for _ in range(90))
    blocks = code_sections("*e1*", raw)
    assert len(blocks) == 4
    for number, block in enumerate(blocks, 1):
        text = block["text"]["text"]
        assert len(text) <= SECTION_CHARS
        assert text.startswith(f"*e1* · _part {number} of 4_\n```\n") and text.endswith("\n```")


def test_diagnosis_blocks_show_findings_evidence_and_next_steps() -> None:
    text = _texts(diagnosis_blocks(_diagnosis(), note="file below"))
    assert "*1. api keeps crashing*\n`AppCrash` · fix *Deployment shop/api* · confidence 70%" in text
    assert "*e1* · logs · k8s_logs pod=api-1\n```\nFATAL boom\n```" in text
    assert "evidence e9 was cited but not recorded" in text
    assert "*Other evidence read*" in text and "BackOff" in text  # uncited evidence is not dropped
    assert "• edit it\n```\nkubectl -n shop edit deployment api\n```" in text
    assert text.endswith("file below")


def test_pack_respects_block_and_size_limits() -> None:
    blocks = [section("s" * 2500) for _ in range(130)]
    messages = pack(blocks, "summary")
    assert len(messages) > 1
    for number, message in enumerate(messages, 1):
        assert len(message.blocks) <= MAX_BLOCKS
        assert len(json.dumps(message.blocks)) <= MESSAGE_CHARS
        assert f"part {number} of {len(messages)}" in _texts(message.blocks[-1:])
    assert sum(len(m.blocks) - 1 for m in messages) == 130
    assert messages[0].text == "summary"


def test_a_single_message_has_no_part_note() -> None:
    [message] = pack([section("short")], "summary")
    assert message.blocks == [section("short")]


def test_evidence_document_holds_every_result_redacted() -> None:
    results = {
        "e1": ToolResult(
            tool="k8s_logs", args={"pod": "api-1"}, source="logs", text="login password=pw1234\nok"
        ),
        "e2": ToolResult(
            tool="k8s_events", args={}, source="kubernetes", text="", error="forbidden", truncated=True
        ),
    }
    document = evidence_document(_diagnosis(), results)
    assert "===== e1 · logs · k8s_logs pod=api-1\nlogin password=***\nok" in document
    assert "===== e2 · kubernetes · k8s_events  · error: forbidden" in document
    assert "left part of its output out" in document
    assert "pw1234" not in document
    without = evidence_document(_diagnosis())
    assert "FATAL boom" in without and "BackOff" in without


def test_evidence_as_messages_keeps_every_line() -> None:
    document = "\n".join(f"result line {n} <b>" for n in range(3000))
    messages = evidence_messages(document)
    joined = "\n".join(_texts(m.blocks) for m in messages)
    assert all(f"result line {n} &lt;b&gt;" in joined for n in range(3000))


def test_what_changed_before_the_onset_is_listed_once_with_its_evidence() -> None:
    answer = {
        "text": "api crashes since 11:40",
        "intent": "onset",
        "since": "2026-03-01T11:40:00Z",
        "changes": [
            {"at": "2026-03-01T11:38:00Z", "what": "Deployment shop/api rolled out *v2*", "evidence": ["e2"]},
        ],
    }
    text = _texts(diagnosis_blocks(_diagnosis(answer=answer)))
    assert "*What changed before the onset (11:40)*" in text
    assert f"• 11:38 {inert('Deployment shop/api rolled out *v2*')} [e2]" in text  # cluster text stays inert
    assert text.count("rolled out") == 1
    assert "What changed" not in _texts(diagnosis_blocks(_diagnosis()))  # no onset, no changes: nothing
