"""The wheel ships the product and nothing else: no development package, no generator, no tests, but the
demo's data and the prompts."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# everything a build could pick up: the product, and the development code it must leave out
SOURCES = ("pyproject.toml", "README.md", "app", "tools", "prompts", "devkit", "tests", "bench")
# the development modules by name, wherever a build might put them
GENERATOR_MODULES = {
    *("build_shop", "big_cluster", "flow_synth", "flow_protos", "generate", "replay_server", "synthetic"),
    *("background", "build_scenarios", "malformed", "om_fixture", "mock_slack", "slack_requests"),
}


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Build the wheel from a copy of the tree (the build writes egg-info and build/ next to the sources)."""
    tree = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts", "out", "generated")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=ignore)
        else:
            shutil.copy2(source, tree / name)
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run(
        [*build, "-w", str(out)],
        cwd=tree,
        check=True,
        capture_output=True,
        timeout=600,
    )
    [wheel] = out.glob("kubewhy-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_holds_the_product(wheel_files: list[str]) -> None:
    names = set(wheel_files)
    for expected in (
        "app/engine.py",
        "app/toolset.py",
        "tools/contracts/settings.py",
        "tools/snapshot/writer.py",
        "prompts/system.md",
        "app/demo/shop/snapshot.yaml",
        "app/demo/shop_truth.yaml",
    ):
        assert expected in names, expected


def test_no_development_code_is_in_the_wheel(wheel_files: list[str]) -> None:
    top = {name.split("/", 1)[0] for name in wheel_files}
    assert not top & {"devkit", "tests", "bench"}, sorted(top)
    generators = [
        name
        for name in wheel_files
        if name.endswith(".py") and (Path(name).stem in GENERATOR_MODULES or "/synth/" in name)
    ]
    assert not generators, generators
