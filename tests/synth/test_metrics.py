"""The demo's OpenMetrics files: valid for promtool backfill, and telling the demo's story."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from app.demo import SHOP_SNAPSHOT

METRICS = sorted((SHOP_SNAPSHOT / "metrics").glob("*.om"))


def _series(name: str, **match: str) -> dict[str, list[tuple[int, float]]]:
    """Samples of a metric (sample name) whose labels include `match`, by label text."""
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in METRICS:
        for line in path.read_text().splitlines():
            if not line.startswith(name + "{"):
                continue
            series, value, ts = line.rsplit(" ", 2)
            labels = series[len(name) :]
            if all(f'{k}="{v}"' in labels for k, v in match.items()):
                out[labels].append((int(ts), float(value)))
    return out


@pytest.mark.prometheus
@pytest.mark.parametrize("path", METRICS, ids=[p.name for p in METRICS])
def test_promtool_backfills_every_metrics_file(path: Path, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed")
    result = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(path), str(tmp_path / "blocks")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert any((tmp_path / "blocks").iterdir())


def test_one_type_per_family_and_eof_last() -> None:
    assert {p.name for p in METRICS} >= {
        "kube-state-metrics.om",
        "cadvisor.om",
        "coredns.om",
        "app.om",
        "hubble.om",
    }
    for path in METRICS:
        lines = path.read_text().splitlines()
        assert lines[-1] == "# EOF"
        types = [line.split()[2] for line in lines if line.startswith("# TYPE ")]
        assert len(types) == len(set(types)), path.name
        sample_ts = [int(line.rsplit(" ", 1)[1]) for line in lines if not line.startswith("#")]
        assert min(sample_ts) >= 1795159800 and max(sample_ts) <= 1795167000  # seconds, inside the 2 h


def test_catalog_is_throttled_only_since_nine() -> None:
    periods = _series("container_cpu_cfs_periods_total", container="catalog")
    throttled = _series("container_cpu_cfs_throttled_periods_total", container="catalog")
    assert len(periods) == 2
    nine = 1795165200
    for labels, points in periods.items():
        thr = dict(throttled[labels])
        assert _ratio(points, thr, nine - 3600, nine - 600) < 0.1
        assert _ratio(points, thr, nine + 600, nine + 1800) > 0.5


def _ratio(periods: list[tuple[int, float]], throttled: dict[int, float], start: int, end: int) -> float:
    window = {ts: v for ts, v in periods if start <= ts <= end}
    first, last = min(window), max(window)
    return (throttled[last] - throttled[first]) / (window[last] - window[first])


def test_cart_memory_climbed_to_the_limit_before_the_old_oom_and_is_low_now() -> None:
    limit = 256 * 2**20
    series = _series("container_memory_working_set_bytes", container="cart")
    peaks = [max(v for _, v in points) for points in series.values()]
    lasts = [points[-1][1] for points in series.values()]
    assert max(peaks) > 0.9 * limit
    assert all(v < 0.5 * limit for v in lasts)
    restarts = _series("kube_pod_container_status_restarts_total", container="cart")
    assert sorted(points[-1][1] for points in restarts.values()) == [0, 2]
    assert all(points[-1][1] == points[-40][1] for points in restarts.values())  # no restart in 40 min


def test_frontend_errors_step_up_when_cart_lost_its_endpoints() -> None:
    changed = 1795165920  # 09:12, 18 minutes before capture
    series = _series("http_requests_total", service="frontend", code="503")
    assert len(series) == 2
    for points in series.values():
        assert points[0][0] >= changed  # no 503 before the Service change
        assert points[-1][1] - points[0][1] > 1000
