"""The offline token counter tracks cl100k on kubewhy's own texts: the system prompt, the tool schemas
the model reads, tool output from the demo and a log. Measured against the real cl100k tokenizer
(``bpe-openai`` ships its tables, so nothing is downloaded)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.agent.loop import tool_definitions
from app.toolset import all_tools, call_tool
from tools.budget import count_tokens
from tools.contracts.settings import Settings
from tools.kubernetes.connect import open_kube, tool_context

bpe_openai = pytest.importorskip("bpe_openai")
ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "app" / "demo" / "shop"
CALLS = [
    ("k8s_list", {"kind": "pods", "namespace": "shop"}),
    ("k8s_describe", {"kind": "deployment", "name": "payments", "namespace": "shop"}),
    ("k8s_events", {"namespace": "shop"}),
    ("k8s_get", {"kind": "networkpolicy", "name": "postgres-allow-catalog", "namespace": "data"}),
]


def kubewhy_texts() -> dict[str, str]:
    schemas, _ = tool_definitions(tuple(all_tools()))
    texts = {
        "system prompt": (ROOT / "prompts" / "system.md").read_text(),
        "tool schemas": json.dumps(list(schemas)),
        "a log": next((DEMO / "logs").rglob("*.log")).read_text()[:20_000],
    }
    with open_kube(Settings(llm="none"), snapshot=DEMO) as connection:
        ctx = tool_context(Settings(llm="none"), connection)
        for name, args in CALLS:
            texts[name] = call_tool(ctx, name, args).text
    return texts


def test_the_estimate_stays_within_15_percent_of_cl100k():
    encoding = bpe_openai.get_encoding("cl100k_base")
    for label, text in kubewhy_texts().items():
        real = len(encoding.encode(text))
        assert real > 50, label
        assert 0.85 <= count_tokens(text) / real <= 1.15, (label, count_tokens(text), real)


def test_json_punctuation_is_not_priced_per_character():
    assert count_tokens('{"type": "string"}') <= 7  # cl100k: {" type ": " string "}
    assert count_tokens("") == 0
