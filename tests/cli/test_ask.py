"""`kubewhy ask` as scripts call it: stdout holds only the document, exit codes follow the contract."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.demo import SHOP_SNAPSHOT

KUBEWHY = [sys.executable, "-m", "app.cli"]


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "KUBEWHY_LLM": "none", **(env_extra or {})}
    return subprocess.run([*KUBEWHY, *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def checkout_answer() -> subprocess.CompletedProcess[str]:
    return run("ask", "why are orders failing at checkout?", "--snapshot", str(SHOP_SNAPSHOT), "-o", "json")


def test_json_output_is_exactly_the_contract_document(checkout_answer):
    assert checkout_answer.returncode == 0, checkout_answer.stderr
    doc = json.loads(checkout_answer.stdout)  # nothing but the document on stdout
    assert set(doc) == {
        "question", "cluster", "answered_at", "engine", "summary", "answer",
        "findings", "elsewhere", "evidence", "next_steps", "stats",
    }  # fmt: skip
    # the contract's answer fields, and `changes` (an optional field added by extension, issue 17)
    assert set(doc["answer"]) == {
        "text",
        "intent",
        "subject",
        "subject_healthy",
        "verdict",
        "since",
        "changes",
    }
    assert [(c["at"], c["kind"]) for c in doc["answer"]["changes"]] == [("2026-11-20T08:52:00Z", "policy")]
    assert doc["answer"]["intent"] == "diagnose"
    assert doc["answer"]["subject"] == {"kind": "Deployment", "namespace": "shop", "name": "checkout"}
    assert doc["answer"]["subject_healthy"] is False
    assert doc["answer"]["since"] == "2026-11-20T08:52:00Z"  # the policy's creation and the first drop
    assert doc["summary"].startswith(doc["answer"]["text"])
    for finding in doc["elsewhere"]:  # the other problems of the cluster, in the same shape
        assert set(finding) == set(doc["findings"][0])
        assert set(finding["evidence"]) <= {item["id"] for item in doc["evidence"]}
    assert doc["engine"] == "offline"
    assert doc["cluster"] == "shop-prod"
    assert doc["answered_at"] == "2026-11-20T09:30:00Z"  # the snapshot's capturedAt is "now"
    top = doc["findings"][0]
    assert top["category"] == "NetworkPolicyBlocked"
    assert top["resource"] == {"kind": "NetworkPolicy", "namespace": "data", "name": "postgres-allow-catalog"}
    ids = {item["id"] for item in doc["evidence"]}
    for finding in doc["findings"]:
        assert finding["evidence"], finding["title"]
        assert set(finding["evidence"]) <= ids
    assert {item["source"] for item in doc["evidence"]} >= {"flows", "kubernetes"}
    assert all(set(step) == {"description", "command", "checked"} for step in doc["next_steps"])
    assert all(step["checked"] is True for step in doc["next_steps"])  # the diagnostician wrote them
    assert doc["stats"]["tool_calls"] == len(doc["evidence"]) or doc["stats"]["tool_calls"] >= len(ids)


def test_json_excerpts_are_verbatim_tool_output(checkout_answer):
    doc = json.loads(checkout_answer.stdout)
    for item in doc["evidence"][:4]:
        call = run(
            "tools", "call", item["tool"], "--args", json.dumps(item["args"]),
            "--snapshot", str(SHOP_SNAPSHOT), "-o", "json",
        )  # fmt: skip
        assert call.returncode == 0, call.stderr
        text = json.loads(call.stdout)["text"]
        for line in item["excerpt"].splitlines():
            assert line.strip() in text, (item["tool"], line)


def test_progress_goes_to_stderr_not_stdout(checkout_answer):
    assert "reading" in checkout_answer.stderr
    assert not checkout_answer.stdout.lstrip().startswith("…")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "the question is empty"),
        (["ask", "x" * 100_000], "100,000 characters"),
        (["ask", "why?", "--snapshot", "/no/such/snapshot"], "/no/such/snapshot: no such file"),
        (["ask", "why?", "--kubeconfig", "/no/such/kubeconfig"], "/no/such/kubeconfig: no such file"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_bad_snapshot_names_the_problem(tmp_path: Path):
    (tmp_path / "resources").mkdir()
    result = run("ask", "why?", "--snapshot", str(tmp_path))
    assert result.returncode == 2
    assert "snapshot.yaml" in result.stderr


def test_unknown_namespace_is_bad_input():
    result = run("ask", "why is it slow?", "--snapshot", str(SHOP_SNAPSHOT), "--namespace", "shopp")
    assert result.returncode == 2
    assert "--namespace shopp: no such namespace in shop-prod" in result.stderr


def test_text_output_answers_first_then_evidence_then_commands():
    result = run("ask", "why does the payments pod keep restarting?", "--snapshot", str(SHOP_SNAPSHOT))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("payments") < out.index("[e1]") < out.index("Next steps:")
    assert "STRIPE_API_KEY" in out  # the reason is only in the previous container's log
    assert "kubectl" in out.split("Next steps:")[1]


def test_unreachable_cluster_exits_3_with_one_line(tmp_path: Path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        f"clusters: [{{name: gone, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: u}}]\nusers: [{name: u, user: {}}]\n"
    )
    result = run("ask", "why is checkout failing?", "--kubeconfig", str(kubeconfig))
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert "cannot be read" in result.stderr.strip().splitlines()[-1]
