"""Benchmark the agent loop on snapshot scenarios with a scripted model that follows the tools' hints.

    python bench/bench_agent.py [--snapshot app/demo/shop] [--truth app/demo/shop_truth.yaml] [--repeat 3]

For each problem in the truth file (the demo's ``shop_truth.yaml`` by default) the agent answers the
problem's question through the real loop, tools and evidence ledger, against the snapshot served by the
snapshot API server, its flow files and a real Prometheus over its metrics. The model is an in-process
script that investigates the way the prompt asks: it starts broad (``health_checks`` and
``k8s_overview``), then follows the hints the tools print (``flows_policy names the NetworkPolicy...``,
``k8s_list kind=pods namespace=...``), at most three rounds, then answers citing the lines that name
the culprit.

Reported per scenario: tool calls, tokens of tool output handed to the model, the largest prompt
(system prompt + tool definitions + conversation), model steps, and the agent's own work per step:
wall time minus the time inside the model and inside the tools, plus the per-question set-up (tool
definitions, prompts), divided by the steps. Targets (issue 6): median tool output under 8,000 tokens;
own work per step under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402

from app.agent.loop import AgentRun  # noqa: E402
from app.toolset import all_tools  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402
from tools.flows.connect import open_flow_source  # noqa: E402
from tools.kubernetes.connect import open_kube, tool_context  # noqa: E402
from tools.prometheus.local import PrometheusUnavailable, start_local_prometheus  # noqa: E402

DEMO = ROOT / "app" / "demo" / "shop"
TRUTH = ROOT / "app" / "demo" / "shop_truth.yaml"
MAX_ROUNDS = 3
MAX_CALLS_PER_ROUND = 4
HINT = re.compile(r"\b((?:k8s|prom|flows)_[a-z_]+|health_checks)\b((?:[ \t]+[a-z_]+=[^\s,;]+)*)")
RESULT_HEAD = re.compile(r"^\[(e\d+)\] (\S+)")


class HintFollowingModel(BaseChatModel):
    """A scripted chat model: starts broad, follows the tools' hints, then answers."""

    question: str
    culprit: dict[str, str]
    category: str

    @property
    def _llm_type(self) -> str:
        return "hint-following-script"

    def bind_tools(self, tools: Any, **kwargs: Any) -> HintFollowingModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any):
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        rounds = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
        last = messages[-1]
        if isinstance(last, HumanMessage) and "final answer" in str(last.content):
            return self._answer(messages)
        if not rounds:
            return _calls([("health_checks", {"question": self.question}), ("k8s_overview", {})])
        if len(rounds) >= MAX_ROUNDS:
            return self._answer(messages)
        called = {(c["name"], json.dumps(c["args"], sort_keys=True)) for m in rounds for c in m.tool_calls}
        latest = [m for m in messages[messages.index(rounds[-1]) + 1 :] if isinstance(m, ToolMessage)]
        wanted: list[tuple[str, dict[str, Any]]] = []
        for message in latest:
            for name, args in self._hints(str(message.content)):
                key = (name, json.dumps(args, sort_keys=True))
                if key not in called and len(wanted) < MAX_CALLS_PER_ROUND:
                    called.add(key)
                    wanted.append((name, args))
        return _calls(wanted) if wanted else self._answer(messages)

    def _hints(self, text: str) -> list[tuple[str, dict[str, Any]]]:
        specs = {spec.name: spec for spec in all_tools()}
        found = []
        for match in HINT.finditer(text.split("\n", 1)[-1]):  # skip the "[eN] tool args" header line
            spec = specs.get(match.group(1))
            if spec is None:
                continue
            args: dict[str, Any] = {}
            for pair in match.group(2).split():
                key, _, value = pair.partition("=")
                if value and "..." not in value and "{" not in value:
                    args[key] = value.rstrip(".")
            fields = spec.params.model_fields
            if "namespace" in fields and "namespace" not in args:
                args["namespace"] = self.culprit.get("namespace")
            for key in ("name", "workload"):
                if key in fields and fields[key].is_required() and key not in args:
                    args[key] = self.culprit["name"]
            args = {k: v for k, v in args.items() if v is not None and k in fields}
            try:
                spec.params.model_validate(args)
            except ValueError:
                continue
            found.append((spec.name, args))
        return found

    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        evidence = []
        for message in messages:
            if not isinstance(message, ToolMessage):
                continue
            head = RESULT_HEAD.match(str(message.content))
            lines = [line.strip() for line in str(message.content).splitlines()[1:]]
            quote = next((line for line in lines if self.culprit["name"] in line), None)
            if head and quote:
                evidence.append({"id": head.group(1), "excerpt": quote})
        answer = {
            "summary": f"{self.culprit['kind']} {self.culprit['name']} is the cause.",
            "findings": [
                {
                    "title": f"{self.category} on {self.culprit['name']}",
                    "category": self.category,
                    "resource": self.culprit,
                    "confidence": 0.8,
                    "explanation": "Scripted by the benchmark.",
                    "evidence": [item["id"] for item in evidence[:3]],
                }
            ],
            "evidence": evidence[:3],
        }
        return _calls([("final_answer", answer)])


def _calls(calls: list[tuple[str, dict[str, Any]]]) -> AIMessage:
    tool_calls = [
        {"name": name, "args": args, "id": f"call_{index}_{time.perf_counter_ns()}", "type": "tool_call"}
        for index, (name, args) in enumerate(calls)
    ]
    return AIMessage(content="", tool_calls=tool_calls)


def run_scenario(ctx: Any, problem: dict[str, Any]) -> dict[str, Any]:
    model = HintFollowingModel(
        question=problem["question"], culprit=problem["culprit"], category=problem["category"]
    )
    started = time.perf_counter()
    run = AgentRun(ctx, problem["question"], chat_model=model)
    setup_s = time.perf_counter() - started
    diagnosis = run.run()
    trace = run.trace
    steps = max(1, trace.model_calls)
    return {
        "id": problem["id"],
        "tool_calls": diagnosis.stats.tool_calls,
        "tool_output_tokens": trace.tool_output_tokens,
        "peak_prompt_tokens": run.budget.peak_prompt_tokens,
        "steps": trace.model_calls,
        "own_ms_per_step": (setup_s + trace.own_s) / steps * 1000,
        "tools_s": trace.tools_s,
        "tools": [entry.result.tool for entry in run.ledger.entries.values()],
        "valid": not diagnosis.contract_problems(),
        "fallback": trace.fallback,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--snapshot", type=Path, default=DEMO)
    parser.add_argument("--truth", type=Path, default=TRUTH)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (the median is reported)")
    options = parser.parse_args()

    problems = yaml.safe_load(options.truth.read_text())["problems"]
    settings = Settings(llm="openai", openai_api_key="bench", model="hint-following-script")
    with open_kube(settings, snapshot=options.snapshot) as connection:
        snapshot = connection.snapshot_server.snapshot
        prometheus = None
        try:
            prometheus = start_local_prometheus(snapshot.metrics_files, connection.fixed_now)
        except PrometheusUnavailable as exc:
            print(f"note: Prometheus not available ({exc}); prometheus tools will report it", file=sys.stderr)
        access = prometheus.access() if prometheus else None
        flows = open_flow_source(settings, snapshot.flow_files)
        ctx = tool_context(settings, connection, prometheus=access, flows=flows)
        try:
            rows = []
            for problem in problems:
                runs = [run_scenario(ctx, problem) for _ in range(options.repeat)]
                row = runs[-1] | {"own_ms_per_step": statistics.median(r["own_ms_per_step"] for r in runs)}
                rows.append(row)
        finally:
            if prometheus:
                prometheus.stop()

    print(f"snapshot: {options.snapshot}  scenarios: {len(rows)}  repeat: {options.repeat}")
    header = f"{'scenario':28} {'calls':>5} {'tool-out tok':>12} {'peak prompt':>11} {'steps':>5}"
    header += f" {'own ms/step':>11}"
    print(header)
    for row in rows:
        print(
            f"{row['id']:28} {row['tool_calls']:>5} {row['tool_output_tokens']:>12,} "
            f"{row['peak_prompt_tokens']:>11,} {row['steps']:>5} {row['own_ms_per_step']:>11.1f}"
            + ("" if row["valid"] else "  INVALID")
            + (f"  fallback: {row['fallback']}" if row["fallback"] else "")
        )
        print(f"{'':28} tools: {', '.join(row['tools'])}")
    median_tokens = statistics.median(r["tool_output_tokens"] for r in rows)
    worst_own = max(r["own_ms_per_step"] for r in rows)
    print(f"median tool output handed to the model: {median_tokens:,.0f} tokens (target < 8,000)")
    print(f"median tool calls: {statistics.median(r['tool_calls'] for r in rows):g}")
    print(f"agent's own work per step: worst {worst_own:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
