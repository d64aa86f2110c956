"""Inputs that are too big or broken: a 100 KB question, binary garbage in logs, a snapshot with 10,000
malformed files, a runbook with 10,000 steps. Each gets a clear answer or a clear refusal, never a crash,
in bounded time and memory (peak RSS measured in a child process)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from app.diagnose.engine import diagnose
from app.engine import BadQuestion, check_question
from app.runbooks.loader import RunbookError, load_text
from app.runbooks.model import MAX_STEPS
from app.toolset import call_tool
from devkit.malformed import MALFORMED, huge_runbook_text, write_malformed_snapshot
from tools.contracts.settings import Settings

HUNDRED_KB = "why is checkout failing? " * 4096  # 100 KiB
_PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024\n"
    "print(json.dumps({'code': done.returncode, 'out': done.stdout, 'err': done.stderr, 'peak_mb': peak}))\n"
)


def run_measured(*command: str, timeout: float = 60) -> dict:
    """Run a command in a fresh Python whose only child it is, so ru_maxrss is that command's peak."""
    script = "import json\n" + _PEAK
    done = subprocess.run(
        [sys.executable, "-c", script, *command], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_100_kb_question_is_refused_clearly():
    assert len(HUNDRED_KB.encode()) == 100 * 1024
    with pytest.raises(BadQuestion, match=r"the question is 102,\d{3} characters long; the limit is 4,000"):
        check_question(HUNDRED_KB, Settings())


def test_a_100_kb_question_on_the_command_line_is_one_line_and_exit_2(evil_dir):
    started = time.monotonic()
    done = subprocess.run(
        ["kubewhy", "ask", HUNDRED_KB, "--snapshot", str(evil_dir), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "characters long" in lines[0] and "Traceback" not in done.stderr
    assert len(lines[0]) < 400  # the question is not echoed back
    assert time.monotonic() - started < 20


def test_binary_garbage_in_logs_reads_and_diagnoses(evil):
    ctx = evil.context()
    pods = evil.kube.list_objects("Pod", namespace="shop", label_selector="app=checkout")
    crashing = next(
        p["metadata"]["name"] for p in pods if p["status"]["containerStatuses"][0]["restartCount"]
    )
    for args in ({}, {"tail": 5}, {"grep": "garbage"}, {"grep": "\x00"}, {"since": "1h"}):
        result = call_tool(ctx, "k8s_logs", {"namespace": "shop", "pod": crashing, **args})
        assert result.error is None, result.error
        if "grep" not in args or args["grep"] == "garbage":
            assert "after the garbage: still logging" in result.text
        assert len(result.text) < 60_000
    diagnosis = diagnose(ctx, "why is checkout failing?")
    assert diagnosis.contract_problems() == [] and diagnosis.findings


def test_a_snapshot_with_10000_malformed_files_reports_each_in_bounded_memory(tmp_path):
    root = write_malformed_snapshot(tmp_path / "broken", 10_000)
    started = time.monotonic()
    measured = run_measured("kubewhy", "snapshot", "check", str(root), "--output", "json")
    seconds = time.monotonic() - started
    assert measured["code"] != 0 and "Traceback" not in measured["err"]
    report = json.loads(measured["out"])
    assert report["ok"] is False
    files = {problem["file"] for problem in report["problems"]}
    assert len(files) == 10_000  # every bad file is named; one does not hide the rest
    assert all(problem["message"] for problem in report["problems"])
    assert measured["peak_mb"] < 400, measured["peak_mb"]
    assert seconds < 30
    problems, peak = len(report["problems"]), measured["peak_mb"]
    print(f"10,000 malformed files: {problems} problems, peak RSS {peak} MB, {seconds:.1f} s")


def test_ask_on_the_malformed_snapshot_answers_from_what_it_could_read(tmp_path):
    """The loader skips what it cannot parse; `ask` still answers (the skipped files are not mentioned in
    the answer: see docs/security.md, open points)."""
    root = write_malformed_snapshot(tmp_path / "broken", len(MALFORMED) * 100)
    done = subprocess.run(
        ["kubewhy", "ask", "why?", "--snapshot", str(root), "--output", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr
    answer = json.loads(done.stdout)
    assert answer["cluster"] == "broken" and answer["findings"] == []


def test_a_runbook_with_10000_steps_is_refused_with_its_line():
    started = time.monotonic()
    with pytest.raises(RunbookError) as refused:
        load_text(huge_runbook_text(10_000), "huge.yaml")
    assert f"at most {MAX_STEPS} items" in str(refused.value) and "huge.yaml:" in str(refused.value)
    assert time.monotonic() - started < 20


def test_a_runbook_with_10000_steps_on_the_command_line(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(huge_runbook_text(10_000), encoding="utf-8")
    measured = run_measured("kubewhy", "runbook", "validate", str(path))
    assert measured["code"] != 0 and "Traceback" not in measured["err"]
    assert f"at most {MAX_STEPS}" in measured["err"] + measured["out"]
    assert measured["peak_mb"] < 600, measured["peak_mb"]
