"""The published JSON schema is current and fits the bundled runbooks; the router suggests the right ones."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from app.runbooks import load_library, suggest_runbooks
from app.runbooks.loader import BUILTIN_DIR
from app.runbooks.schema import PUBLISHED, main, runbook_schema, schema_text


def test_published_schema_is_current() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == schema_text(), "run: python -m app.runbooks.schema"
    assert main(["--check"]) == 0


def test_bundled_runbooks_fit_the_schema_and_bad_ones_do_not() -> None:
    validator = jsonschema.Draft202012Validator(runbook_schema())
    files = sorted(BUILTIN_DIR.glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        validator.validate(yaml.safe_load(path.read_text()))
    bad = yaml.safe_load(files[0].read_text())
    bad["steps"][0]["colour"] = "blue"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(bad)
    assert json.loads(PUBLISHED.read_text())["title"] == "kubewhy runbook"


@pytest.mark.parametrize(
    ("question", "categories", "alerts", "first"),
    [
        ("why does the payments pod keep restarting?", [], [], "pod-restarting"),
        ("pods stuck in pending in batch", [], [], "pods-pending"),
        ("checkout cannot resolve postgres: no such host", [], [], "dns-failing"),
        ("is node worker-3 not ready?", [], [], "node-not-ready"),
        ("my volume claim is unbound", [], [], "pvc-pending"),
        ("catalog got slower after the deploy", [], [], "latency-after-deploy"),
        ("what is going on?", ["StorageProvisioning"], [], "pvc-pending"),
        ("KubeDeploymentRolloutStuck fired for api", [], [], "rollout-stuck"),
        ("look at this", [], ["KubePodCrashLooping"], "pod-restarting"),
    ],
)
def test_router_suggests(question, categories, alerts, first) -> None:
    suggested = suggest_runbooks(question, categories, alerts=alerts)
    assert suggested and suggested[0].name == first, [r.name for r in suggested]


def test_router_stays_quiet_when_nothing_fits() -> None:
    assert suggest_runbooks("hello there", []) == []
    assert len(suggest_runbooks("pod restarting, pending, dns, slow, node", [], limit=2)) == 2


def test_user_runbook_overrides_bundled(settings) -> None:
    folder = settings.runbooks_dir
    import pathlib

    pathlib.Path(folder).mkdir(parents=True)
    text = (
        (BUILTIN_DIR / "node-not-ready.yaml")
        .read_text()
        .replace("title: Node not ready", "title: Our node check")
    )
    (pathlib.Path(folder) / "node-not-ready.yaml").write_text(text)
    (pathlib.Path(folder) / "broken.yaml").write_text("name: broken\ntitle: x\nsteps: [{tool: nope}]\n")
    library = load_library(settings)
    entry = library.get("node-not-ready")
    assert (entry.origin, entry.overrides, entry.runbook.title) == ("user", True, "Our node check")
    assert [p.line for p in library.problems] == [3]
    assert "broken" not in library.runbooks
