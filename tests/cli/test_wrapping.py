"""Text output wraps at spaces only: a name, an image reference or a command is never cut in two."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.demo import SHOP_SNAPSHOT
from app.render import render_text
from tools.contracts.diagnosis import Diagnosis, Finding, NextStep, ResourceRef, Stats

QUESTION = "why are orders failing at checkout?"


def ask(*extra: str) -> str:
    env = {**os.environ, "KUBEWHY_LLM": "none"}
    command = [sys.executable, "-m", "app.cli", "ask", QUESTION, "--snapshot", str(SHOP_SNAPSHOT), *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo() -> tuple[str, dict]:
    return ask(), json.loads(ask("-o", "json"))


def test_every_word_of_the_prose_survives_wrapping_whole(demo) -> None:
    text, doc = demo
    words = set(text.split())
    prose = [doc["summary"], *(finding["explanation"] for finding in doc["findings"])]
    cut = sorted({word for part in prose for word in part.split()} - words)
    assert cut == [], f"cut in two by the wrapping: {cut}"
    assert (
        "postgres-allow-catalog" in doc["summary"]
    )  # the name the issue saw cut ("postgres-allow-\ncatalog")
    assert not any(line.rstrip().endswith("postgres-allow-") for line in text.splitlines())


def test_commands_stay_on_one_line(demo) -> None:
    text, doc = demo
    lines = {line.strip() for line in text.splitlines()}
    commands = [" ".join(step["command"].split()) for step in doc["next_steps"] if step.get("command")]
    assert commands
    for command in commands:
        assert command in lines or any(line.endswith(command) for line in lines), command


def test_names_longer_than_a_line_are_left_whole() -> None:
    image = "registry.example.com/" + "team-" * 20 + "service@sha256:" + "ab" * 32
    name = "very-long-" * 12 + "deployment"
    command = f"kubectl -n shop rollout history deployment/{name} --revision=3 " + "-o yaml " * 10
    diagnosis = Diagnosis(
        question="q",
        cluster="c",
        answered_at="2026-11-20T09:30:00Z",
        engine="offline",
        summary=f"Deployment shop/{name} cannot pull {image}; the tag does not exist in the registry.",
        findings=[
            Finding(
                title="t",
                category="ImagePull",
                resource=ResourceRef(kind="Deployment", namespace="shop", name=name),
                confidence=0.9,
                explanation=f"The pods of {name} wait on {image}, which the registry does not have. " * 2,
                evidence=[],
            )
        ],
        evidence=[],
        next_steps=[NextStep(description="see the rollouts", command=command, checked=True)],
        stats=Stats(tool_calls=1, duration_s=0.1),
    )
    text = render_text(diagnosis)
    lines = [line.strip() for line in text.splitlines()]
    assert sum(line.count(name) for line in lines) >= 4  # summary, fix line, explanation twice
    assert sum(line.count(image) for line in lines) == 3
    assert " ".join(command.split()) in lines
    for line in text.splitlines():  # prose still wraps at spaces where it can
        assert len(line) <= 100 or " " not in line.strip() or name in line or image in line or "fix:" in line
