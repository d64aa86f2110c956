"""Property: any file in a snapshot costs at most a bounded multiple of its size in memory. For each hostile
shape (an alias bomb, 100,000-deep JSON and YAML, a 512 MB log line, 10,000 small files) the peak RSS of
`kubewhy snapshot check` and of serving the snapshot (listing its objects, reading the log through
`k8s_logs`) stays within a baseline plus twice the hostile bytes plus 64 MB, where the baseline is the
same run on the snapshot without them. Children run with a 3 GB address-space cap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devkit.hostile_files import base_snapshot, check, hostile_shapes, serve_all

REPO = Path(__file__).resolve().parents[2]
MULTIPLE = 2
SLACK_MB = 64


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    return hostile_shapes(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    root = base_snapshot(tmp_path_factory.mktemp("plain") / "snap")
    return {"check": check(REPO, root)["peak_mb"], "serve": serve_all(REPO, root)["peak_mb"]}


@pytest.mark.parametrize(
    "shape",
    ["alias bomb (YAML)", "100,000-deep JSON", "100,000-deep YAML", "512 MB log line", "10,000 small files"],
)
def test_a_hostile_file_costs_a_bounded_multiple_of_its_size(shapes, baseline, shape):
    root, size = shapes[shape]
    allowed = {kind: base + MULTIPLE * size / 2**20 + SLACK_MB for kind, base in baseline.items()}
    checked = check(REPO, root)
    assert checked["code"] in (0, 1) and "Traceback" not in checked["err"], checked["err"][-2000:]
    json.loads(checked["out"])  # a complete report
    served = serve_all(REPO, root)
    assert served["code"] == 0 and "Traceback" not in served["err"], served["err"][-2000:]
    answer = json.loads(served["out"])
    assert answer["served"]["Pod"] == 1 and answer["log_error"] is None
    assert checked["peak_mb"] <= allowed["check"], (shape, checked["peak_mb"], allowed)
    assert served["peak_mb"] <= allowed["serve"], (shape, served["peak_mb"], allowed)
    print(f"{shape}: check {checked['peak_mb']} MB, serve {served['peak_mb']} MB (baseline {baseline})")
