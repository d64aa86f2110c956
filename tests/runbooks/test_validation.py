"""A runbook that does not validate is refused with its file, line and reason, and never half-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.runbooks import BadParam, RunbookError, load_file, load_text, resolve_params, run_runbook
from tools.contracts.evidence import Ledger

GOOD = """\
name: check-web
title: Check the web tier
params:
  - name: namespace
    required: true
  - name: tail
    type: integer
    default: 50
steps:
  - id: web
    tool: k8s_workload
    args: {name: web, namespace: "{{ params.namespace }}"}
  - tool: k8s_logs
    when: "steps.web.ok"
    args: {namespace: "{{ params.namespace }}", pod: "{{ steps.web.data.pods[0].name }}", tail: "{{ params.tail }}"}
"""  # noqa: E501


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(RunbookError) as caught:
        load_text(text, "bad.yaml")
    assert all(p.file == "bad.yaml" for p in caught.value.problems)
    return [(p.line, p.message) for p in caught.value.problems]


def replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def test_the_good_one_loads() -> None:
    runbook = load_text(GOOD)
    assert [s.tool for s in runbook.steps] == ["k8s_workload", "k8s_logs"]
    assert runbook.param("tail").default == 50


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("tool: k8s_workload", "tool: k8s_workloads", 11, "unknown tool 'k8s_workloads'"),
        ("{name: web, namespace", "{nme: web, namespace", 12, "has no argument 'nme'"),
        ("{name: web, namespace", "{namespace", 12, "needs the argument 'name'"),
        ('tail: "{{ params.tail }}"}', "tail: many}", 15, "argument 'tail'"),
        (
            '{{ params.namespace }}"}\n  - tool',
            '{{ params.nmspace }}"}\n  - tool',
            12,
            "unknown parameter 'nmspace'",
        ),
        ('when: "steps.web.ok"', 'when: "steps.logs.ok"', 14, "'logs' is not an earlier step's id"),
        ('when: "steps.web.ok"', 'when: "steps.web.ok and"', 14, "does not compile"),
        ("    type: integer", "    type: int", 7, "params.1.type"),
        ("    default: 50", "    default: fifty", 8, "not a valid integer"),
        ("title: Check the web tier", "title: Check the web tier\ncolour: blue", 3, "unknown field"),
        ("name: check-web", "name: Check Web", 1, "String should match pattern"),
        ("  - id: web", "  - id: web\n    description: [unclosed", 12, "not valid YAML"),
    ],
)
def test_refused_with_line_and_reason(old: str, new: str, line: int, reason: str) -> None:
    found = problems(replace(old, new))
    assert any(at == line and reason in message for at, message in found), found


def test_every_problem_is_reported_at_once() -> None:
    text = replace("tool: k8s_workload", "tool: nope").replace("pod:", "pood:")
    found = problems(text)
    assert [line for line, _ in found] == [11, 15, 15]


def test_duplicate_step_ids_point_at_the_second() -> None:
    text = GOOD.replace("  - tool: k8s_logs", "  - id: web\n    tool: k8s_logs")
    assert any(line == 13 and "used twice" in message for line, message in problems(text))


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\ntitle: y\nsteps: []\n")
    with pytest.raises(RunbookError) as caught:
        load_file(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:3: steps: ")


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({}, "needs namespace="),
        ({"namespace": "shop", "tail": "x"}, "tail='x' is not a valid integer"),
        ({"namespace": "shop", "colour": "blue"}, "has no parameter 'colour'"),
    ],
)
def test_bad_parameters_are_refused(given: dict, reason: str) -> None:
    with pytest.raises(BadParam, match=reason):
        resolve_params(load_text(GOOD), given)


def test_enum_and_pattern() -> None:
    runbook = load_text(
        GOOD.replace(
            "  - name: tail\n",
            "  - name: mode\n    enum: [fast, slow]\n  - name: ref\n    pattern: 'v[0-9]+'\n  - name: tail\n",
        )
    )
    assert resolve_params(runbook, {"namespace": "a", "mode": "fast", "ref": "v2"})["mode"] == "fast"
    with pytest.raises(BadParam, match="not one of: fast, slow"):
        resolve_params(runbook, {"namespace": "a", "mode": "medium"})
    with pytest.raises(BadParam, match="does not match the pattern"):
        resolve_params(runbook, {"namespace": "a", "ref": "latest"})


def test_never_half_run(demo_session) -> None:
    """A later step whose arguments the tool rejects stops the run before the first step runs."""
    text = GOOD + '  - tool: k8s_list\n    args: {kind: Pod, limit: "{{ params.namespace }}"}\n'
    ledger = Ledger()
    with pytest.raises(RunbookError, match=r"steps\[2\] \(k8s_list\) with these parameters: limit"):
        run_runbook(demo_session, load_text(text), {"namespace": "shop"}, ledger=ledger)
    assert len(ledger) == 0


def test_a_template_failing_at_run_time_skips_only_that_step(demo_session) -> None:
    text = GOOD.replace("steps.web.data.pods[0].name", "steps.web.data.pods | sum").replace(
        "web,", "payments,"
    )
    run = run_runbook(demo_session, load_text(text), {"namespace": "shop"})
    first, second = run.steps
    assert first.result.ok and first.evidence_id == "e1"
    assert "TypeError" in second.skipped and second.result is None
    assert run.diagnosis.contract_problems() == []
