"""`kubewhy snapshot capture` writes only under --out, whatever names the API server sends.

The API server is hostile (`hostile_api.py`): a resource plural, namespaces, pods and containers named
`../../../../../../ESCAPED/pwned`, `..`, `a/b`, an absolute path, control characters. The capture runs
through the real CLI and the official client; the output folder is nested so that an escape lands in the
test's own folder, where it is seen.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import app
from tests.security.hostile_api import LOG_LINE, TRAVERSAL, HostileAPI


def _capture(kubeconfig: Path, out: Path) -> object:
    return CliRunner().invoke(
        app, ["snapshot", "capture", "--kubeconfig", str(kubeconfig), "--out", str(out)]
    )


def test_capture_from_a_hostile_api_server_writes_only_under_out(tmp_path):
    out = tmp_path / "a" / "b" / "c" / "d" / "e" / "f" / "out"  # not there yet: capture creates it
    target = out.parents[2] / "ESCAPED"  # where logs/shop/web-1/../../../../../../ESCAPED/ points
    target.mkdir(parents=True)  # an attacker aims at a folder that exists
    absolute = tmp_path / "ABSOLUTE-ESCAPE"
    with HostileAPI(absolute=str(absolute)) as api:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(api.kubeconfig())
        result = _capture(kubeconfig, out)
    assert result.exit_code == 0, result.output
    outside = [
        p for p in tmp_path.rglob("*") if not p.is_relative_to(out) and p.is_file() and p != kubeconfig
    ]
    assert outside == []
    assert list(target.iterdir()) == [] and not list(tmp_path.rglob("*pwned*"))
    # the good container's log is there; every hostile name is named as skipped, and its log never read
    assert LOG_LINE in (out / "logs" / "shop" / "web-1" / "app.log").read_text(encoding="utf-8")
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    for name in (TRAVERSAL, "..", ".", "a/b", str(absolute), "UPPER", ""):
        assert any(repr(name) in line and "not a Kubernetes name" in line for line in warnings), name
    assert not [path for path in api.requests if "ESCAPED" in path or "UPPER" in path]
    assert "\x1b" not in result.output  # a hostile name is shown escaped, never as a terminal sequence


def test_a_target_folder_that_cannot_be_created_is_one_clear_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with HostileAPI() as api:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(api.kubeconfig())
        result = _capture(kubeconfig, blocker / "out")
        assert api.requests == []  # refused before contacting the cluster
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"kubewhy: --out {blocker / 'out'}: cannot create the folder: Not a directory"]
