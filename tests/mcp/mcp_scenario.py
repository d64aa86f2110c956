"""What every transport must serve on the demo snapshot, checked through the mcp SDK's client: the
catalogue, every tool called, the diagnostician's culprit, a runbook prompt and run, object resources
(a Secret without values), evidence read back, and bad input answered with one line."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from mcp import ClientSession, types

from app.runbooks import load_library
from app.toolset import all_tools

# Reasonable arguments for every registry tool on the demo (a tool missing here fails the test).
ARGS: dict[str, dict[str, Any]] = {
    "flows_dns": {"namespace": "shop"},
    "flows_drops": {"namespace": "shop"},
    "flows_http": {},
    "flows_pair": {"source": "shop/checkout", "destination": "data/postgres"},
    "flows_policy": {"namespace": "data"},
    "flows_query": {"namespace": "shop", "verdict": "DROPPED"},
    "flows_status": {},
    "health_checks": {"namespace": "shop"},
    "k8s_describe": {"kind": "Deployment", "name": "payments", "namespace": "shop"},
    "k8s_events": {"namespace": "shop"},
    "k8s_get": {"kind": "Service", "name": "cart", "namespace": "shop"},
    "k8s_list": {"kind": "Pod", "namespace": "shop"},
    "k8s_logs": {"namespace": "shop", "pod": "payments-lm2kvkchd7-d9zdb", "previous": True},
    "k8s_netpol": {"namespace": "data", "pod": "postgres-0"},
    "k8s_node": {},
    "k8s_overview": {"namespace": "shop"},
    "k8s_service": {"name": "cart", "namespace": "shop"},
    "k8s_workload": {"name": "checkout", "namespace": "shop"},
    "prom_alerts": {},
    "prom_check": {"check": "cpu_throttling", "namespace": "shop"},
    "prom_metrics": {"pattern": "http_.*"},
    "prom_query": {"query": "sum by (service) (rate(http_requests_total[5m]))"},
    "prom_query_range": {"query": "sum(rate(http_requests_total[5m]))"},
    "prom_targets": {},
}
# A line each tool's output must hold on the demo: proof it read real data, not an empty success.
EXPECT = {
    "flows_drops": "shop/checkout -> data/postgres:5432",
    "flows_policy": "postgres-allow-catalog",
    "k8s_logs": "STRIPE_API_KEY",
    "k8s_service": "selector",
    "prom_query": 'service="checkout"',
}
CHECKOUT = "Why are customers' orders failing at checkout?"
EVIDENCE_HEAD = re.compile(r"^\[(e\d+)\] (\S+) (\{.*\})$")


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


async def check_catalogue(session: ClientSession) -> list[types.Tool]:
    """Every registry tool (all sources are connected on the demo) with the registry's exact schema and
    description, plus diagnose and run_runbook, all annotated read-only."""
    tools = (await session.list_tools()).tools
    by_name = {tool.name: tool for tool in tools}
    registry = {spec.name: spec for spec in all_tools()}
    assert set(by_name) == set(registry) | {"diagnose", "run_runbook"}
    for name, spec in registry.items():
        assert by_name[name].inputSchema == spec.json_schema(), name
        assert by_name[name].description == spec.description
    for tool in tools:
        hints = tool.annotations
        assert hints is not None and hints.readOnlyHint is True and hints.destructiveHint is False
        assert hints.idempotentHint is True and hints.openWorldHint is False  # a snapshot is a closed world
    runbooks = load_library(None).sorted()
    assert by_name["run_runbook"].inputSchema["properties"]["name"]["enum"] == [e.name for e in runbooks]
    return tools


async def call_every_tool(session: ClientSession) -> dict[str, str]:
    """Each registry tool once; every answer starts with its evidence id, as the agent sees it."""
    assert set(ARGS) == {spec.name for spec in all_tools()}
    texts: dict[str, str] = {}
    for name, args in ARGS.items():
        result = await session.call_tool(name, args)
        text = text_of(result)
        assert not result.isError, f"{name}: {text[:300]}"
        head = EVIDENCE_HEAD.match(text.splitlines()[0])
        assert head and head.group(2) == name, text[:200]
        structured = result.structuredContent or {}
        assert structured["evidence_id"] == head.group(1) and structured["tool"] == name
        assert "error:" not in text.splitlines()[1][:10]
        texts[name] = text
    for name, needle in EXPECT.items():
        assert needle in texts[name], f"{name} lacks {needle!r}: {texts[name][:500]}"
    ids = [EVIDENCE_HEAD.match(t.splitlines()[0]).group(1) for t in texts.values()]  # type: ignore[union-attr]
    assert len(set(ids)) == len(ids)  # one id per distinct call
    return texts


async def check_diagnose(session: ClientSession) -> dict[str, Any]:
    """The built-in diagnostician names the demo's culprit (app/demo/shop_truth.yaml)."""
    result = await session.call_tool("diagnose", {"question": CHECKOUT})
    assert not result.isError, text_of(result)
    doc = result.structuredContent or {}
    top = doc["findings"][0]
    assert top["category"] == "NetworkPolicyBlocked"
    assert top["resource"] == {"kind": "NetworkPolicy", "namespace": "data", "name": "postgres-allow-catalog"}
    assert doc["engine"] == "offline" and doc["cluster"] == "shop-prod"
    ids = {e["id"] for e in doc["evidence"]}
    assert set(top["evidence"]) <= ids
    assert "NetworkPolicy data/postgres-allow-catalog" in text_of(result)  # its text form
    for evidence in doc["evidence"]:  # every cited id can be read back, excerpt verbatim
        read = await session.read_resource(f"kubewhy://shop-prod/evidence/{evidence['id']}")
        recorded = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert recorded["tool"] == evidence["tool"]
        for line in evidence["excerpt"].splitlines():
            assert line.strip() in recorded["text"]
    return doc


async def check_runbooks(session: ClientSession) -> None:
    prompts = {p.name: p for p in (await session.list_prompts()).prompts}
    library = load_library(None)
    assert set(prompts) == {entry.name for entry in library.sorted()}
    restarting = prompts["pod-restarting"]
    declared = library.get("pod-restarting").runbook.params
    assert [(a.name, bool(a.required)) for a in restarting.arguments or []] == [
        (p.name, p.required) for p in declared
    ]
    prompt = await session.get_prompt("pod-restarting", {"namespace": "shop", "workload": "payments"})
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert '"name": "pod-restarting"' in text and "k8s_workload" in text and "payments" in text

    result = await session.call_tool(
        "run_runbook", {"name": "pod-restarting", "params": {"namespace": "shop", "workload": "payments"}}
    )
    assert not result.isError, text_of(result)
    doc = result.structuredContent or {}
    assert doc["summary"].startswith("Runbook pod-restarting ran")
    top = doc["findings"][0]
    assert (top["category"], top["resource"]["name"]) == ("AppCrash", "payments")


async def check_resources(session: ClientSession) -> None:
    listed = {str(r.uri) for r in (await session.list_resources()).resources}
    assert {f"kubewhy://shop-prod/sources/{s}" for s in ("kubernetes", "prometheus", "flows")} <= listed
    status = json.loads(
        (await session.read_resource("kubewhy://shop-prod/sources/prometheus")).contents[0].text
    )  # type: ignore[union-attr]
    assert status["connected"] is True and "Prometheus at http://127.0.0.1:" in status["detail"]
    templates = [t.uriTemplate for t in (await session.list_resource_templates()).resourceTemplates]
    assert "kubewhy://shop-prod/{namespace}/{kind}/{name}" in templates

    read = await session.read_resource("kubewhy://shop-prod/data/NetworkPolicy/postgres-allow-catalog")
    policy = yaml.safe_load(read.contents[0].text)  # type: ignore[union-attr]
    assert policy["kind"] == "NetworkPolicy" and policy["metadata"]["name"] == "postgres-allow-catalog"
    node = yaml.safe_load(
        (await session.read_resource("kubewhy://shop-prod/_/Node/worker-2")).contents[0].text
    )  # type: ignore[union-attr]
    assert node["kind"] == "Node" and node["metadata"]["name"] == "worker-2"

    secret = (await session.read_resource("kubewhy://shop-prod/shop/Secret/checkout-db")).contents[0].text  # type: ignore[union-attr]
    assert "kind: Secret" in secret and "name: checkout-db" in secret
    assert "password:" in secret and "username:" in secret  # the keys, never the values
    raw = ("ZGVtby1vbmx5", "Y2hlY2tvdXQ=", "demo-only")  # its values, base64 and decoded
    assert not any(value in secret for value in raw)
    assert "username: checkout" not in secret


async def check_bad_input(session: ClientSession) -> None:
    """Unknown tools, bad arguments, unknown runbooks and URIs: one clear line each; the server lives on."""
    cases = [
        ("no_such_tool", {}, "unknown tool 'no_such_tool'; offered tools: "),
        ("k8s_get", {"kind": 7}, "invalid arguments for k8s_get: kind: Input should be a valid string"),
        ("k8s_list", {"kind": "Pod", "bogus": 1}, "bogus: Extra inputs are not permitted"),
        ("diagnose", {"question": "   "}, "the question is empty"),
        ("diagnose", {}, "invalid arguments for diagnose: question: Field required"),
        ("run_runbook", {"name": "nope"}, "no runbook called 'nope'"),
        ("run_runbook", {"name": "pod-restarting", "params": {"x": 1}}, "has no parameter 'x'"),
        ("k8s_get", {"kind": "Deployment", "name": "nope", "namespace": "shop"}, "nope"),
        ("k8s_get", {"kind": "Pod", "name": "x" * 1_000_000, "namespace": "shop"}, "characters cut"),
        (
            "run_runbook",
            {"name": "pod-restarting", "params": {"namespace": "y" * 500_000, "workload": "w"}},
            "y",
        ),
    ]
    for name, args, needle in cases:
        result = await session.call_tool(name, args)
        text = text_of(result)
        assert result.isError, f"{name} {args}: {text[:200]}"
        assert "\n" not in text and text.startswith("error: ") and needle in text, text[:300]
        assert len(text) < 2_100  # a hostile argument is not echoed back whole
    for uri, needle in [
        ("kubewhy://other-cluster/shop/Pod/x", "this server reads cluster 'shop-prod'"),
        ("kubewhy://shop-prod/shop/Deployment/nope", "nope"),
        ("kubewhy://shop-prod/evidence/e999", "no evidence 'e999'"),
        ("kubewhy://shop-prod/a/b/c/d/e", "expected kubewhy://shop-prod/<namespace>/<kind>/<name>"),
    ]:
        try:
            await session.read_resource(uri)
        except Exception as exc:  # McpError: the server answered with an error, and is still there
            assert needle in str(exc), str(exc)
        else:
            raise AssertionError(f"{uri} was read")
    try:
        await session.get_prompt("pod-restarting", {"namespace": "shop"})
    except Exception as exc:
        assert "needs workload=" in str(exc), str(exc)
    else:
        raise AssertionError("a prompt without its required argument was given")
    assert (await session.send_ping()) is not None  # still serving


async def exercise(session: ClientSession) -> dict[str, Any]:
    """The whole scenario; returns what transports check further (the audit log, the culprit)."""
    tools = await check_catalogue(session)
    texts = await call_every_tool(session)
    doc = await check_diagnose(session)
    await check_runbooks(session)
    await check_resources(session)
    await check_bad_input(session)
    return {"tools": tools, "texts": texts, "diagnosis": doc}
