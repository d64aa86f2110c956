"""Hostile runbooks: templates that would take gigabytes, sandbox escapes, Python-object YAML tags and alias
bombs. Each is refused quickly, with one line naming the file and line, by `runbook validate`, by a run,
by the page's editor and by "save as runbook"; nothing runs and no traceback is printed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.runbooks import RunbookError, load_text, runbook_from_calls, runbook_yaml
from app.runbooks.runner import check_ready, question_of
from app.runbooks.template import TemplateProblem, render

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "app" / "demo" / "shop"
MEMORY_LIMIT = 2 * 1024**3  # the CLI runs with this much address space: a 3 GB string cannot hide


def runbook(question: str, extra: str = "") -> str:
    return (
        "name: hostile\n"
        "title: Hostile\n"
        f"{extra}"
        f"question: {question}\n"
        "steps:\n"
        "  - tool: k8s_events\n"
        "    args: {namespace: shop}\n"
    )


def kubewhy(*args: str, runbooks: Path | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "PYTHONPATH": str(ROOT), "KUBEWHY_LLM": "none"}
    if runbooks is not None:
        env["KUBEWHY_RUNBOOKS_DIR"] = str(runbooks)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
        preexec_fn=limit,
    )


HOSTILE = {  # template -> a word the refusal names
    "\"{{ 'a' * 3000000000 }}\"": "3,000,000,000",
    "\"why {{ 'x' | center(3000000000) }}\"": "center",
    "\"{{ '%3000000000s' % 1 }}\"": "width",
    "\"{{ '{:>3000000000}'.format(1) }}\"": "width",
    '"{{ lipsum(3000000000) }}"': "lipsum",
    "\"{{ range(100000) | join('x' * 100000) }}\"": "characters",
    "\"{{ ''.__class__.__mro__ }}\"": "private",
    "\"{{ ''.__class__ }}\"": "private",
    "\"{{ ('' | attr('__class__')).__base__ }}\"": "private",
    "\"{{ params['__class__'] }}\"": "private",
    '"{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}"': "loops",
    "\"{% set x = 'a' * 99999 %}{{ x ~ x ~ x }}\"": "set",
}


@pytest.mark.parametrize("template", list(HOSTILE))
def test_validate_refuses_hostile_templates_with_file_and_line(tmp_path, template):
    path = tmp_path / "hostile.yaml"
    path.write_text(runbook(template))
    started = time.perf_counter()
    done = kubewhy("runbook", "validate", str(path))
    assert time.perf_counter() - started < 30
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr + done.stdout
    [line] = [line for line in done.stdout.splitlines() if line.strip()]
    assert line.startswith(f"{path}:3: question: ")
    assert HOSTILE[template] in line
    assert "ok" not in done.stderr.split(":")[-1]


def test_a_run_with_a_huge_parameter_is_refused_before_anything_runs(tmp_path):
    folder = tmp_path / "runbooks"
    folder.mkdir()
    extra = "params:\n  - {name: n, type: integer, default: 1}\n"
    (folder / "hostile.yaml").write_text(runbook("\"{{ 'a' * params.n }}\"", extra))
    assert kubewhy("runbook", "validate", str(folder / "hostile.yaml")).returncode == 0  # n=1 is fine
    started = time.perf_counter()
    done = kubewhy("runbook", "run", "hostile", "n=3000000000", "--snapshot", str(DEMO), runbooks=folder)
    assert time.perf_counter() - started < 30
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "runbook hostile was not run" in done.stderr
    assert "question: template" in done.stderr and "3,000,000,000" in done.stderr
    assert "running runbook" not in done.stderr  # refused before connecting to anything


def test_a_step_template_that_grows_at_run_time_is_skipped_with_the_reason():
    context = {"params": {}, "steps": {"big": {"text": "x" * 50_000}}}
    started = time.perf_counter()
    with pytest.raises(TemplateProblem, match="at most 100,000"):
        render("{{ steps.big.text.replace('x', 'yyyyyyyyyy') }}", context)
    with pytest.raises(TemplateProblem, match="at most 100,000"):
        render("{{ steps.big.text * 3 }}", context)
    assert time.perf_counter() - started < 1
    assert render("{{ steps.big.text | length }}", context) == 50_000  # reading big data is fine


def test_python_object_tags_give_one_line_and_run_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "tagged.yaml"
    path.write_text(runbook(f'!!python/object/apply:os.system ["touch {marker}"]'))
    done = kubewhy("runbook", "validate", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "ConstructorError" not in done.stderr + done.stdout
    [line] = [line for line in done.stdout.splitlines() if line.strip()]
    assert line.startswith(f"{path}:3: ") and "python/object/apply:os.system" in line
    assert not marker.exists()


def test_an_alias_bomb_is_refused_in_milliseconds():
    lines = ["name: bomb", "title: Bomb", "steps:", "  - tool: k8s_events", "    args:"]
    lines += ["      namespace: shop"]
    lines += ["      kind:", "        l0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"        l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    started = time.perf_counter()
    with pytest.raises(RunbookError, match="aliases expand to more than"):
        load_text("\n".join(lines), "bomb.yaml")
    assert time.perf_counter() - started < 1


def test_the_page_editor_names_the_line_of_a_hostile_template():
    from streamlit.testing.v1 import AppTest

    def page(text: str) -> None:
        from app.ui.runbook_editor import validate_text

        validate_text(text, "mine.yaml")

    app = AppTest.from_function(page, args=(runbook("\"{{ 'a' * 3000000000 }}\""),), default_timeout=30).run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert any(e.startswith("mine\\.yaml\\:3\\:") and "3\\,000\\,000\\,000" in e for e in errors), errors
    assert not app.success


def test_saving_a_question_with_template_braces_keeps_them_as_text():
    question = "why does checkout in shop fail {{ 'a' * 3000000000 }} {% for x in y %}?"
    saved = runbook_from_calls(question, [("k8s_events", {"namespace": "shop"})], "checkout-fails")
    started = time.perf_counter()
    check_ready(saved, {"namespace": "prod"})
    shown = question_of(saved, {"namespace": "prod"})
    assert time.perf_counter() - started < 1
    assert shown == question.replace("shop", "prod")
    load_text(runbook_yaml(saved), "saved.yaml")  # the file it becomes validates too
