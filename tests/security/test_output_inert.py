"""Terminal and Markdown injection: cluster text (an annotation, an event, a log line) carrying terminal
escapes, an OSC 8 hyperlink, bidi overrides, C0/C1 controls, Markdown links and images and HTML, repeated by
a model into its answer. Every surface prints it inert: `ask -o text` (no control character), `-o markdown`
(no link, image or HTML), Slack blocks (no link, mention or code span) and the page (escaped Markdown, clean
code blocks). The property test feeds generated hostile text through every surface's escaping."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from app.render import render_markdown, render_text
from app.slack.blocks import diagnosis_messages
from app.ui.safe import md, md_line, plain
from devkit.synth import ClusterBuilder
from devkit.synth.writer import write_snapshot
from tests.agent.scripted_server import Reply
from tests.security.sec_support import ask_cli, start_model
from tools.contracts.diagnosis import Diagnosis, Evidence, Finding, NextStep, ResourceRef

OSC8 = "\x1b]8;;http://evil.example/login\x1b\\click-me\x1b]8;;\x1b\\"
COLOURS = "\x1b[31;1mCRITICAL\x1b[0m \x1b[2J\x1b[1A\x1b[2K"
BIDI = "\u202eexe.lmth\u202c \u2066isolated\u2069 \u200fmark"
C1 = "\x9b31mC1-CSI \x9d8;;http://evil.example/c1\x9cc1-link\x9d8;;\x9c \x85next"
C0 = "bell\x07 back\x08space carriage\rreturn nul\x00 del\x7f"
MARKDOWN = "[Fix here](http://evil.example/login) ![t](http://evil.example/t.png) <http://evil.example/auto>"
HTML = "<script>alert(1)</script><img src=x onerror=alert(1)> <a href='http://evil.example'>x</a>"
BREAKOUT = "\n```\n[escaped the fence](http://evil.example)\n```\n"
PAYLOAD = " ".join([OSC8, COLOURS, BIDI, C1, C0, MARKDOWN, HTML])
CAPTURED_AT = "2026-11-20T09:30:00Z"

_BIDI_CHARS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ALLOWED_TAGS = {"p", "strong", "em", "code", "pre", "ul", "li", "br", "hr"}
_TAG = re.compile(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9]*)")
_CODE = re.compile(r"<pre><code[^>]*>.*?</code></pre>|<code>.*?</code>", re.DOTALL)
_BARE_LINK = re.compile(r"(?i)https?://|www\.|mailto:|[a-z0-9._%+-]@[a-z0-9]")


def controls(text: str) -> list[str]:
    """Every control character (C0, C1, DEL; tab and newline allowed) and bidi control in ``text``."""
    bad = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    return [f"U+{ord(c):04X}" for c in bad + _BIDI_CHARS.findall(text)]


def live_markdown(text: str) -> list[str]:
    """What in ``text`` is live once rendered as Markdown (HTML on): tags kubewhy does not write, and bare
    links a GFM autolinker would make outside code."""
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    tags = sorted({t.lower() for t in _TAG.findall(html)} - _ALLOWED_TAGS)
    outside_code = _CODE.sub("", html)
    return tags + _BARE_LINK.findall(outside_code)


def slack_texts(messages: list[Any]) -> list[str]:
    payload = json.dumps([{"text": m.text, "blocks": m.blocks} for m in messages], ensure_ascii=False)
    return [json.loads(f'"{s}"') for s in re.findall(r'"text": "((?:[^"\\]|\\.)*)"', payload)]


def assert_inert_everywhere(diagnosis: Diagnosis) -> None:
    text = render_text(diagnosis)
    assert controls(text) == [], text[:400]
    markdown = render_markdown(diagnosis)
    assert controls(markdown) == [], markdown[:400]
    assert live_markdown(markdown) == [], markdown[:600]
    for value in slack_texts(diagnosis_messages(diagnosis)):
        assert controls(value) == [], value[:300]
        assert "<" not in value and ">" not in value, value[:300]  # no link, mention or <!channel>


# --- the CLI, with planted text and a model that repeats it ---------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    b = ClusterBuilder("ansi-prod", CAPTURED_AT, seed=77, kubernetes_version="v1.31.2")
    b.node("worker-1", cpu="4", memory="16Gi", created="60d")
    b.namespace("shop")
    checkout = b.deployment(
        "shop",
        "checkout",
        "registry.example.com/shop/checkout:2.0.1",
        port=8080,
        annotations={"kubewhy.io/note": PAYLOAD},
    )
    pod = checkout.pods[0]
    pod.crash_loop(since="25m", previous_log=["starting checkout", PAYLOAD, "panic: config missing"])
    b.event(pod, "BackOff", f"Back-off restarting failed container {PAYLOAD}")
    return write_snapshot(b, tmp_path_factory.mktemp("ansi") / "ansi-prod"), pod.name


def repeating_model(pod: str):
    """Reads the planted text, then repeats it in every field of its answer."""

    def script(body: dict[str, Any]) -> Reply:
        if not any(m.get("role") == "tool" for m in body["messages"]):
            return Reply(
                tool_calls=[
                    ("k8s_logs", {"namespace": "shop", "pod": pod, "previous": True}),
                    ("k8s_events", {"namespace": "shop"}),
                ]
            )
        logs_id = next(m["content"][1:3] for m in body["messages"] if m.get("role") == "tool")
        answer = {
            "summary": f"checkout crashes. {PAYLOAD}{BREAKOUT}",
            "findings": [
                {
                    "title": f"checkout {OSC8} {BIDI}",
                    "category": "AppCrash",
                    "resource": {"kind": "Deployment", "namespace": "shop", "name": f"checkout{COLOURS}"},
                    "confidence": 0.7,
                    "explanation": f"{PAYLOAD}{BREAKOUT}",
                    "evidence": [logs_id],
                }
            ],
            "evidence": [{"id": logs_id, "excerpt": PAYLOAD}],
            "next_steps": [
                {"description": f"Fix it {MARKDOWN} {OSC8}", "command": f"kubectl get pods {COLOURS}"},
                {"description": HTML, "command": None},
            ],
        }
        return Reply(tool_calls=[("final_answer", answer)])

    return script


@pytest.mark.parametrize("output", ["text", "markdown"])
def test_ask_prints_planted_and_repeated_text_inert(planted, models, tmp_path, output):
    snapshot, pod = planted
    model = start_model(models, repeating_model(pod))
    done = ask_cli(snapshot, model, output, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(model.requests) == 2  # the agent answered (not the fallback)
    shown = done.stdout
    assert controls(shown) == [], [line for line in shown.splitlines() if controls(line)][:5]
    assert controls(done.stderr) == []
    assert "click-me" in shown and "CRITICAL" in shown  # the words stay, their escapes go
    assert "[U+202E]" in shown  # a bidi override is shown, not obeyed
    if output == "markdown":
        assert live_markdown(shown) == [], shown[:800]
        assert "escaped the fence" in shown


# --- the page --------------------------------------------------------------------------------------------


def hostile_diagnosis(text: str) -> Diagnosis:
    """A diagnosis with ``text`` in every field a cluster or a model can fill."""
    return Diagnosis(
        question=text,
        cluster=f"prod{text}",
        answered_at=CAPTURED_AT,
        engine=f"llm:{text}",
        summary=text,
        findings=[
            Finding(
                title=text,
                category="AppCrash",
                resource=ResourceRef(kind="Deployment", namespace=f"shop{text}", name=text),
                confidence=0.7,
                explanation=text,
                evidence=["e1"],
            )
        ],
        evidence=[Evidence(id="e1", source="logs", tool="k8s_logs", args={"pod": text}, excerpt=text)],
        next_steps=[NextStep(description=text, command=f"kubectl get pods {text}")],
    )


def test_the_page_shows_hostile_text_inert():
    from streamlit.testing.v1 import AppTest

    def page(diagnosis_json: str) -> None:
        from app.ui.card import render_card
        from app.ui.evidence import render_evidence
        from tools.contracts.diagnosis import Diagnosis

        shown = Diagnosis.model_validate_json(diagnosis_json)
        render_card(shown, {}, "k")
        render_evidence(shown, {}, "k")

    diagnosis = hostile_diagnosis(PAYLOAD + BREAKOUT)
    app = AppTest.from_function(page, args=(diagnosis.model_dump_json(),), default_timeout=30).run()
    assert not app.exception, app.exception
    markdown = [m.value for m in app.markdown] + [c.value for c in app.caption]
    code = [c.value for c in app.code]
    assert markdown and code
    for value in markdown:
        assert controls(value) == [], value[:200]
        assert live_markdown(value) == [], value[:300]
    for value in code:
        assert controls(value) == [], value[:200]  # a code block shows text, but a bidi override still works


# --- every surface, on generated hostile text ------------------------------------------------------------

ATOMS = [
    OSC8,
    "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07",
    "\x1b[31m",
    "\x1b[?1049h",
    "\x1bP+q\x1b\\",
    "\x1b]0;title\x07",
    "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07",
    "\x1b",
    "\x9b2J",
    "\x9d8;;http://x\x9c",
    "\u202e",
    "\u2066",
    "\u200f",
    "\r",
    "\x00",
    "\x08",
    "\x7f",
    "\x85",
    "[x](http://evil.example)",
    "![i](http://evil.example/i.png)",
    "<http://evil.example>",
    "http://evil.example/x",
    "www.evil.example",
    "root@evil.example",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=x>",
    "&lt;script&gt;",
    "<!channel>",
    "<@U0ADMIN>",
    "<http://evil.example|safe>",
    "```",
    "`",
    "~~~",
    "\n",
    "\n    indented",
    "\n> quote",
    "\n# heading",
    "\n- item",
    "\n1. item",
    ":red[x]",
    "$x$",
    "**",
    "_",
    "\\",
    "|",
]
HOSTILE = st.lists(
    st.one_of(st.sampled_from(ATOMS), st.text(st.characters(codec="utf-8"), max_size=8)),
    min_size=1,
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_every_surface_makes_generated_hostile_text_inert(text):
    assert_inert_everywhere(hostile_diagnosis(text))
    for escaped in (md(text), md_line(text)):  # the page's Markdown escaping
        assert controls(escaped) == [] and live_markdown(escaped) == [], repr(escaped)
    assert controls(plain(text)) == []  # the page's code blocks
