"""What one investigation costs in prompt characters, tokens and money.

    python bench/bench_cost.py [--snapshot app/demo/shop] [--model gpt-4o-mini]

A scripted model, served over HTTP by devkit/scripted_model.py and driven through the real ``openai``
client, replays the investigation of issue 18 on the demo: list the pods of ``shop``, describe the
``payments`` Deployment, read the crashed pod's previous log, read the namespace's events, then give the
answer (five model requests). It calls the tools the agent offers: the ``k8s`` family with ``op=list``,
``describe``, ``logs``, ``events`` (recorded as k8s_list, k8s_describe, k8s_logs, k8s_events). Every
source is connected: the snapshot API server, a local Prometheus over the snapshot's metrics (when the
binary is installed) and the snapshot's flow files.

Reported, from the requests the server logged: characters and estimated tokens (kubewhy's offline
counter, tools.budget.count_tokens; cl100k and o200k alongside when ``bpe-openai`` is installed) of
the system prompt and the tool schemas, of the first request, of each tool output, and of the prompts
summed over all requests; the cached-prefix share (tokens of each prompt already sent as a prefix
of an earlier one, the part a provider's automatic prompt cache can serve, counted by the server under
OpenAI's rule: at least 1,024 tokens, in blocks of 128); the money under the default price table.

Targets (issue 18): first request <= 3,000 tokens (system + schemas <= 12,000 chars); the whole
investigation <= 15,000 prompt tokens summed and < 55,000 chars; every tool output <= 1,500 tokens.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.agent.loop import AgentRun  # noqa: E402
from app.engine import open_session  # noqa: E402
from devkit.scripted_model import (  # noqa: E402
    CACHE_BLOCK_TOKENS,
    CACHE_MIN_TOKENS,
    Reply,
    ScriptedModel,
    common_prefix,
    prompt_text,
)
from tools.budget import count_tokens  # noqa: E402
from tools.contracts.pricing import DEFAULT_PRICES  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402

DEMO = ROOT / "app" / "demo" / "shop"
QUESTION = "Why does the new payments pod keep restarting?"
NAMESPACE, WORKLOAD = "shop", "payments"
CRASHING_POD = re.compile(rf"^\s*({WORKLOAD}-\S+)\s+0/1\b", re.MULTILINE)
EVIDENCE_HEAD = re.compile(r"^\[(e\d+)\]", re.MULTILINE)


def _encoding(name: str) -> Any:
    try:
        import bpe_openai

        return bpe_openai.get_encoding(name)
    except Exception:  # optional: the offline counter is the measure
        return None


# cl100k (GPT-4, GPT-3.5) and o200k (GPT-4o, 4.1, 5 and the o-series: the default price table's models)
ENCODINGS = {name: encoding for name in ("cl100k", "o200k") if (encoding := _encoding(f"{name}_base"))}


def measure(text: str) -> str:
    figures = f"{len(text):>7,} chars {count_tokens(text):>7,} tok"
    for name, encoding in ENCODINGS.items():
        figures += f" {len(encoding.encode(text)):>7,} {name}"
    return figures


def tool_texts(body: dict[str, Any]) -> list[str]:
    return [m.get("content") or "" for m in body["messages"] if m.get("role") == "tool"]


def investigation(body: dict[str, Any]) -> Reply:
    """The scripted model: one call per request, in the order of issue 18, then the answer."""
    step = sum(1 for m in body["messages"] if m.get("role") == "assistant")
    seen = "\n".join(tool_texts(body))
    if step == 0:
        return Reply(tool_calls=[("k8s", {"op": "list", "kind": "pods", "namespace": NAMESPACE})])
    if step == 1:
        args = {"op": "describe", "kind": "deployment", "name": WORKLOAD, "namespace": NAMESPACE}
        return Reply(tool_calls=[("k8s", args)])
    if step == 2:
        found = CRASHING_POD.search(seen)
        pod = found.group(1) if found else WORKLOAD
        return Reply(
            tool_calls=[("k8s", {"op": "logs", "namespace": NAMESPACE, "pod": pod, "previous": True})]
        )
    if step == 3:
        return Reply(tool_calls=[("k8s", {"op": "events", "namespace": NAMESPACE})])
    return Reply(tool_calls=[("final_answer", answer(body))], usage=(100, 300))


def answer(body: dict[str, Any]) -> dict[str, Any]:
    evidence = []
    for text in tool_texts(body):
        head = EVIDENCE_HEAD.match(text)
        quote = next((line.strip() for line in text.splitlines()[1:] if "panic:" in line), None)
        quote = quote or next((line.strip() for line in text.splitlines()[1:] if "BackOff" in line), None)
        if head and quote:
            evidence.append({"id": head.group(1), "excerpt": quote})
    return {
        "summary": "The new payments pod crashes at start: STRIPE_API_KEY is not set.",
        "findings": [
            {
                "title": "payments 2.8.0 needs STRIPE_API_KEY",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": NAMESPACE, "name": WORKLOAD},
                "confidence": 0.9,
                "explanation": "Scripted by the benchmark.",
                "evidence": [item["id"] for item in evidence],
            }
        ],
        "evidence": evidence,
    }


def cached_tokens(earlier: list[str], prompt: str) -> int:
    """Tokens of ``prompt`` a provider's prompt cache can serve: its longest prefix already sent, under
    OpenAI's rule (nothing below 1,024 tokens, then blocks of 128)."""
    seen = max((common_prefix(prompt, before) for before in earlier), default=0)
    prefix = count_tokens(prompt[:seen])
    return prefix // CACHE_BLOCK_TOKENS * CACHE_BLOCK_TOKENS if prefix >= CACHE_MIN_TOKENS else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--snapshot", type=Path, default=DEMO)
    parser.add_argument("--model", default="gpt-4o-mini", help="the model whose price is applied")
    options = parser.parse_args()

    with ScriptedModel(investigation, model=options.model, prompt_cache=True) as server:
        settings = Settings(
            llm="openai",
            model=options.model,
            openai_base_url=server.base_url,
            openai_api_key="bench",
            max_retries=0,
        )
        with open_session(settings, snapshot=options.snapshot) as session:
            run = AgentRun(session.ctx, QUESTION)
            diagnosis = run.run()
            unavailable = dict(session.ctx.unavailable)
        bodies = [request.body for request in server.requests]

    first = bodies[0]
    system = next(m["content"] for m in first["messages"] if m["role"] == "system")
    schemas = json.dumps(first.get("tools") or [])
    prompts = [prompt_text(body) for body in bodies]
    print(f"snapshot: {options.snapshot}  question: {QUESTION!r}  model requests: {len(bodies)}")
    print(f"sources not connected: {unavailable or 'none'}")
    print(f"system prompt              {measure(system)}")
    print(f"tool schemas ({len(first.get('tools') or [])} tools)      {measure(schemas)}")
    print(f"system + schemas           {measure(system + schemas)}")
    print(f"first request              {measure(prompts[0])}")
    print("tool output per call:")
    last = bodies[-1]
    calls = {
        call["id"]: call["function"]
        for m in last["messages"]
        if m.get("role") == "assistant"
        for call in m.get("tool_calls") or []
    }
    outputs = [m for m in last["messages"] if m.get("role") == "tool"]
    for message in outputs:
        function = calls.get(message.get("tool_call_id"), {})
        label = f"{function.get('name', '?')} {function.get('arguments', '')}"
        print(f"  {measure(message.get('content') or '')}  {label}")
    summed = "".join(prompts)
    print(f"prompts summed over {len(prompts)} requests {measure(summed)}")
    cached = [cached_tokens(prompts[:index], prompt) for index, prompt in enumerate(prompts)]
    total = sum(count_tokens(prompt) for prompt in prompts)
    print(f"cached prefix: {sum(cached):,} of {total:,} prompt tokens ({sum(cached) / total:.0%})")
    stats = diagnosis.stats
    reported = getattr(stats, "cached_input_tokens", None)
    print(
        f"stats: {stats.input_tokens:,} input tokens"
        + (f", {reported:,} cached" if reported is not None else "")
        + f", {stats.output_tokens:,} output tokens, cost_usd={getattr(stats, 'cost_usd', 'n/a')}"
    )
    output = stats.output_tokens
    print("cost of this investigation under the default price table (USD):")
    for name, price in DEFAULT_PRICES.items():
        cost = price.cost_usd(total, sum(cached), output)
        uncached = price.cost_usd(total, 0, output)
        marker = "  <- --model" if name == options.model else ""
        print(f"  {name:14} ${cost:.5f}  (without the cache ${uncached:.5f}){marker}")
    print(
        f"answer: {diagnosis.summary[:100]}  findings: {len(diagnosis.findings)}  engine: {diagnosis.engine}"
    )


if __name__ == "__main__":
    main()
