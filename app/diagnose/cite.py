"""Turn a candidate's fact citations into evidence: call the registered tool that shows the fact, record
its result in the ledger, and excerpt the lines that contain the cited text (verbatim tool output)."""

from __future__ import annotations

import re
from typing import Any

from app.diagnose.candidate import Candidate, Cite
from app.diagnose.facts import FactRef
from tools.contracts.evidence import Ledger
from tools.contracts.tool import ToolContext
from tools.flows.tools import flows_dns, flows_http, flows_policy, flows_query
from tools.kubernetes.tools import k8s_describe, k8s_events, k8s_logs
from tools.prometheus.tools import prom_check
from tools.registry import run_tool, spec_of

# metric fact name -> curated prom_check name that shows it
METRIC_CHECKS = {
    "cpu_throttling": "cpu_throttling",
    "memory_working_set_ratio": "memory_vs_limit",
    "container_restarts": "restarts",
    "http_error_ratio": "http_error_ratio",
    "http_latency_p95": "http_latency_quantiles",
    "http_request_rate": "http_request_rate",
    "node_filesystem_avail_ratio": "node_pressure",
    "node_memory_available_ratio": "node_pressure",
    "conntrack_ratio": "node_pressure",
    "coredns_rcode_rate": "coredns_rcodes",
    "hubble_drop_rate": "hubble_drops",
}
FLOW_TOOLS = {"drops": "flows_policy", "dns": "flows_dns", "http": "flows_http", "rst": "flows_query"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
# the tools that show a cited fact (the diagnostician itself is a tool: this is not the whole set)
SHOWING_TOOLS = {
    spec.name: spec
    for spec in map(
        spec_of,
        (k8s_describe, k8s_events, k8s_logs, prom_check, flows_dns, flows_http, flows_policy, flows_query),
    )
}


def tool_call_for(ref: FactRef, candidate: Candidate) -> tuple[str, dict[str, Any]] | None:
    """Which tool call shows this fact to a person (and to a model)."""
    key = ref.key
    if ref.kind == "object" and len(key) == 3:
        kind, namespace, name = key
        args: dict[str, Any] = {"kind": kind, "name": name}
        if namespace:
            args["namespace"] = namespace
        return "k8s_describe", args
    if ref.kind == "events" and len(key) == 2:
        namespace, name = key
        args = {"name": name}
        if namespace:
            args["namespace"] = namespace
        return "k8s_events", args
    if ref.kind == "log" and len(key) == 4:
        namespace, pod, container, which = key
        return "k8s_logs", {
            "namespace": namespace,
            "pod": pod,
            "container": container,
            "previous": which == "previous",
        }
    if ref.kind == "metric" and key:
        check = METRIC_CHECKS.get(key[0])
        if check is None:
            return None
        args = {"check": check}
        if len(key) == 3:  # read for the namespace and workload it names (cite_metric_of)
            namespace, workload = key[1:]
            args.update(
                {"namespace": namespace, "workload": workload} if workload else {"namespace": namespace}
            )
        else:
            args.update(_metric_scope(candidate))
        return "prom_check", args
    if ref.kind == "flows" and key:
        tool = FLOW_TOOLS.get(key[0], "flows_query")
        namespace = _flow_namespace(candidate)
        args = {"namespace": namespace} if namespace else {}
        if tool == "flows_query":
            args["verdict"] = "DROPPED" if key[0] == "drops" else None
            args = {k: v for k, v in args.items() if v}
        return tool, args
    return None


def _metric_scope(candidate: Candidate) -> dict[str, str]:
    for ref in (candidate.resource, *candidate.affected):
        if ref.kind in WORKLOAD_KINDS and ref.namespace:
            return {"namespace": ref.namespace, "workload": ref.name}
        if ref.kind == "Node":
            return {"node": ref.name}
        if ref.kind == "Pod" and ref.namespace:
            return {"namespace": ref.namespace, "pod": ref.name}
    return {"namespace": candidate.resource.namespace} if candidate.resource.namespace else {}


def _flow_namespace(candidate: Candidate) -> str | None:
    # Drops and errors are seen best from the side that suffers them: the affected workload.
    for ref in (*candidate.affected, candidate.resource):
        if ref.namespace:
            return ref.namespace
    return None


def cite_candidate(ctx: ToolContext, ledger: Ledger, candidate: Candidate) -> list[tuple[str, str]]:
    """Evidence (id, excerpt) for every citation of a candidate that a tool could show. A cite by key
    quotes the lines the renderer printed for that key (``data.printed``); an object cited by its bare
    name is quoted by its key lines (its header holds the name) rather than every line that mentions the
    name. A key or text the tool's output does not print is kept in ``ledger.missed`` (a renderer that
    stopped printing it), never replaced by other lines of the output."""
    by_call: dict[str, list[str]] = {}
    keyed: dict[str, list[str]] = {}
    order: list[str] = []
    for cite in candidate.cites:
        evidence_id = _record(ctx, ledger, cite, _owner(cite, candidate))
        if evidence_id is None:
            continue
        if evidence_id not in by_call:
            by_call[evidence_id], keyed[evidence_id] = [], []
            order.append(evidence_id)
        if cite.key is not None:
            lines = ledger.printed(evidence_id, cite.key)
            if not lines:
                ledger.miss(evidence_id, cite.key)
            keyed[evidence_id] += lines
            continue
        by_name = cite.ref.kind == "object" and cite.needle.strip() == cite.ref.key[-1]
        by_call[evidence_id].append("" if by_name else cite.needle)
    cited = []
    for evidence_id in order:
        key_lines = ledger.key_lines(evidence_id)
        needles = [n for n in by_call[evidence_id] if n]
        if not needles and not key_lines and not keyed[evidence_id]:
            needles = [_object_name(ledger, evidence_id)]
        for needle in needles:
            if not _printed(ledger, evidence_id, needle):
                ledger.miss(evidence_id, needle)
        excerpt = ledger.cite(evidence_id, [*keyed[evidence_id], *_needles(needles)], key_lines)
        if excerpt:
            cited.append((evidence_id, excerpt))
    return cited


def _printed(ledger: Ledger, evidence_id: str, needle: str) -> bool:
    result = ledger.get(evidence_id)
    text = result.text if result is not None else ""
    return any(variant in text for variant in _needles([needle]))


def evidence_id_of(ledger: Ledger, cite: Cite, candidate: Candidate) -> str | None:
    """The evidence id under which ``cite`` of ``candidate`` was recorded (after :func:`cite_candidate`)."""
    call = tool_call_for(cite.ref, _owner(cite, candidate))
    return ledger.lookup(*call) if call is not None else None


def _owner(cite: Cite, candidate: Candidate) -> Candidate:
    """The candidate a cite was made for: a symptom folded into this cause keeps its own scope (the
    frontend's error ratio is read for the frontend, not for the Service that causes it)."""
    for symptom in candidate.caused:
        if cite in symptom.cites:
            return _owner(cite, symptom)
    return candidate


def _object_name(ledger: Ledger, evidence_id: str) -> str:
    result = ledger.get(evidence_id)
    return str((result.args if result is not None else {}).get("name") or "")


def _needles(needles: list[str]) -> list[str]:
    """Needles as they can appear in a tool's one-line rendering (long messages may be shortened)."""
    out = []
    for needle in needles:
        needle = needle.strip()
        out.append(needle)
        if len(needle) > 60:
            out.append(needle[:60])
    return out


def _record(ctx: ToolContext, ledger: Ledger, cite: Cite, candidate: Candidate) -> str | None:
    call = tool_call_for(cite.ref, candidate)
    if call is None:
        return None
    name, args = call
    existing = ledger.lookup(name, args)
    if existing is None:
        result = run_tool(ctx, SHOWING_TOOLS[name], args)
        if result.error:
            return None
        existing = ledger.record(result)
        if name == "k8s_logs" and cite.key is None and cite.needle and cite.needle[:60] not in result.text:
            # The line may have been summarized away; ask again for exactly that line.
            grep = re.escape(cite.needle.strip()[:80])
            again = run_tool(ctx, SHOWING_TOOLS[name], {**args, "grep": grep})
            if not again.error and cite.needle[:60] in again.text:
                existing = ledger.record(again)
    return existing
