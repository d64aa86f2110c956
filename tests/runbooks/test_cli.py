"""`kubewhy runbook ...` and `kubewhy history ...` as scripts call them (contracts section 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from tests.runbooks.conftest import DEMO

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "KUBEWHY_DATABASE_URL": f"sqlite:///{tmp_path / 'history.db'}",
        "KUBEWHY_RUNBOOKS_DIR": str(tmp_path / "runbooks"),
        "KUBEWHY_LLM": "none",
        "KUBECONFIG": str(tmp_path / "no-kubeconfig"),  # history list: no current cluster but --snapshot's
    }


def kubewhy(env: dict[str, str], *args: str, code: int = 0):
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_list_prints_the_contract_fields(env) -> None:
    doc = json.loads(kubewhy(env, "runbook", "list", "-o", "json").stdout)
    names = [item["name"] for item in doc]
    assert len(names) >= 10 and names == sorted(names)
    item = next(i for i in doc if i["name"] == "latency-after-deploy")
    assert {"name", "title", "description", "params"} <= set(item)
    assert {"name": "window", "required": False, "default": "3h"} in item["params"]
    assert item["origin"] == "bundled" and item["overrides_bundled"] is False


def test_run_prints_the_diagnosis_and_records_it(env) -> None:
    args = (
        "runbook",
        "run",
        "service-unreachable",
        "namespace=shop",
        "service=cart",
        "--snapshot",
        str(DEMO),
    )
    doc = json.loads(kubewhy(env, *args, "-o", "json").stdout)
    assert doc["findings"][0]["category"] == "ServiceNoEndpoints"
    assert {"question", "cluster", "answered_at", "engine", "summary", "evidence", "stats"} <= set(doc)

    again = kubewhy(env, *args, "--diff")
    assert "Changes since #1 (#2):" in again.stderr and "added: 0" in again.stderr

    listed = json.loads(kubewhy(env, "history", "list", "--snapshot", str(DEMO), "-o", "json").stdout)
    expected = [(2, "service-unreachable", "runbook"), (1, "service-unreachable", "runbook")]
    assert [(r["id"], r["runbook"], r["surface"]) for r in listed] == expected
    assert listed[0]["runbook_params"] == {"namespace": "shop", "service": "cart"}
    shown = json.loads(kubewhy(env, "history", "show", "1", "-o", "json").stdout)
    assert shown["diagnosis"] == doc
    assert shown["calls"][0]["tool"] == "k8s_service" and shown["calls"][0]["output_chars"] > 0

    diff = json.loads(kubewhy(env, "history", "diff", "1", "--against", "2", "-o", "json").stdout)
    assert diff["added"] == diff["resolved"] == [] and len(diff["unchanged"]) == len(doc["findings"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("runbook", "run", "nope"), "no runbook called 'nope'"),
        (("runbook", "run", "pvc-pending", "namespace=data"), "needs pvc="),
        (("runbook", "run", "pvc-pending", "namespace"), "expected key=value"),
        (("runbook", "run", "node-not-ready", "node=Bad_Name"), "does not match the pattern"),
        (("history", "show", "42"), "no answer with id 42"),
    ],
)
def test_bad_input_exits_2_with_one_line(env, args, message) -> None:
    result = kubewhy(env, *args, code=2)
    assert message in result.stderr and result.stdout == ""


def test_validate_reports_file_and_line(env, tmp_path: Path) -> None:
    good = Path(__file__).resolve().parents[2] / "app" / "runbooks" / "builtin" / "pvc-pending.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("tool: k8s_describe", "tool: k8s_descrbe"))
    assert kubewhy(env, "runbook", "validate", str(good)).exit_code == 0
    doc = json.loads(kubewhy(env, "runbook", "validate", str(good), str(bad), "-o", "json", code=1).stdout)
    [problem] = doc["problems"]
    line = bad.read_text().splitlines().index("    tool: k8s_descrbe") + 1
    assert doc["ok"] is False and problem["file"] == str(bad) and problem["line"] == line
    assert "unknown tool 'k8s_descrbe'" in problem["message"]


def test_save_from_history_then_run_the_saved_runbook(env) -> None:
    question = "why does payments keep restarting in shop?"
    kubewhy(env, "ask", question, "--snapshot", str(DEMO), "-o", "json")
    saved = json.loads(
        kubewhy(env, "runbook", "save", "--from-history", "1", "--name", "pay", "-o", "json").stdout
    )
    assert saved["params"] == ["namespace", "workload"] and Path(saved["path"]).is_file()
    listed = kubewhy(env, "runbook", "list").stdout
    assert "pay " in listed and "[user]" in listed
    doc = json.loads(
        kubewhy(
            env,
            "runbook",
            "run",
            "pay",
            "workload=payments",
            "namespace=shop",
            "--snapshot",
            str(DEMO),
            "-o",
            "json",
        ).stdout
    )
    assert doc["question"] == question and doc["findings"][0]["resource"]["name"] == "payments"
    audit = json.loads(kubewhy(env, "history", "audit", "--run", "2", "-o", "json").stdout)
    assert audit and all(e["run_id"] == 2 and e["surface"] == "runbook" for e in audit)


def test_history_diff_runs_the_runbook_again(env) -> None:
    args = (
        "runbook",
        "run",
        "pvc-pending",
        "namespace=shop",
        "pvc=none",
        "--snapshot",
        str(DEMO),
        "-o",
        "json",
    )
    kubewhy(env, *args)
    doc = json.loads(kubewhy(env, "history", "diff", "1", "--snapshot", str(DEMO), "-o", "json").stdout)
    assert doc["before"] == 1 and doc["after"] == 2 and doc["added"] == doc["resolved"] == []
    assert "pvc-pending" in kubewhy(env, "history", "list", "-A").stdout
    shown = kubewhy(env, "runbook", "show", "pvc-pending").stdout
    assert shown.startswith("# ") and "bundled runbook" in shown and "tool: k8s_describe" in shown
