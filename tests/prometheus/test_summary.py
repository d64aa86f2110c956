"""Series summaries and change points on synthetic arrays (no Prometheus needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tools.budget import count_tokens
from tools.contracts.kube.time import parse_duration
from tools.prometheus.summary import (
    Window,
    change_points,
    format_value,
    render_summaries,
    summarize,
    summarize_matrix,
    summary_line,
    trend,
)
from tools.prometheus.window import pick_step

T0 = 1_795_000_000.0
TIMES = T0 + np.arange(120) * 30.0
RNG = np.random.default_rng(7)


def test_a_noisy_step_is_one_change_point_at_the_right_time_with_its_size():
    values = np.r_[np.full(80, 0.2), np.full(40, 0.9)] + RNG.normal(0, 0.01, 120)
    found = change_points(TIMES, values)
    assert len(found) == 1
    assert found[0].at == TIMES[80]
    assert found[0].before == pytest.approx(0.2, abs=0.01)
    assert found[0].after == pytest.approx(0.9, abs=0.01)
    assert found[0].delta == pytest.approx(0.7, abs=0.02)


def test_a_steady_ramp_is_a_trend_not_a_jump():
    values = np.arange(120, dtype=float) * 3.0
    assert change_points(TIMES, values) == []
    assert trend(values) == "rising"
    assert trend(values[::-1].copy()) == "falling"


def test_noise_around_a_level_is_flat_without_change_points():
    values = 5.0 + RNG.normal(0, 0.1, 120)
    assert change_points(TIMES, values) == []
    assert trend(values) == "flat"


def test_a_staircase_gives_one_change_point_per_step_in_time_order():
    values = np.r_[np.full(40, 1.0), np.full(40, 3.0), np.full(40, 8.0)]
    found = change_points(TIMES, values)
    assert [c.at for c in found] == [TIMES[40], TIMES[80]]
    assert [(c.before, c.after) for c in found] == [(1.0, 3.0), (3.0, 8.0)]


def test_a_shift_spread_over_a_rate_window_is_reported_once():
    ramp = np.linspace(0.1, 0.5, 7)[1:-1]
    values = np.r_[np.full(60, 0.1), ramp, np.full(55, 0.5)]
    found = change_points(TIMES, values)
    assert len(found) == 1
    assert TIMES[58] <= found[0].at <= TIMES[66]
    assert found[0].after == pytest.approx(0.5, abs=0.05)


def test_a_single_spike_and_a_tiny_step_are_not_change_points():
    spike = np.r_[np.full(60, 1.0), [50.0], np.full(59, 1.0)]
    tiny = np.r_[np.full(60, 100.0), np.full(60, 101.0)]
    assert change_points(TIMES, spike) == []
    assert change_points(TIMES, tiny) == []


def test_too_few_points_give_no_change_point():
    assert change_points(TIMES[:5], np.array([0.0, 0.0, 9.0, 9.0, 9.0])) == []


def test_summary_statistics_and_non_finite_samples():
    raw = [[T0 + 30 * i, str(v)] for i, v in enumerate([1, 2, "NaN", 4, "+Inf", 6])]
    summary = summarize({"pod": "a"}, raw)
    assert (summary.min, summary.max, summary.first, summary.last) == (1.0, 6.0, 1.0, 6.0)
    assert summary.mean == pytest.approx((1 + 2 + 4 + 6) / 4)
    assert summary.points[2] == [T0 + 60, None]
    assert summary.points[4][1] is None
    assert summary.as_dict()["summary"]["last"] == 6.0


def test_a_series_without_numbers_says_so():
    summary = summarize({"pod": "a"}, [[T0, "NaN"]])
    assert math.isnan(summary.last)
    assert summary_line(summary) == '{pod="a"}: no numeric samples'


def test_line_names_the_jump_and_when_the_series_appeared():
    values = [0.2] * 60 + [0.9] * 30
    raw = [[T0 + 900 + 30 * i, str(v)] for i, v in enumerate(values)]
    summary = summarize({"__name__": "m", "pod": "a"}, raw)
    window = Window(start=T0, end=T0 + 900 + 30 * 89, step=30)
    line = summary_line(summary, "ratio", window)
    assert line.startswith('m{pod="a"}: last 90%, min 20% max 90%')
    assert "rising" in line
    assert "present since 2026-11-18T" in line
    assert "jumped 20% → 90% (+70%) at " in line


def test_many_series_keep_the_most_relevant_within_the_budget():
    result = [
        {"metric": {"pod": f"pod-{i:02d}"}, "values": [[T0 + 30 * j, str(i)] for j in range(10)]}
        for i in range(50)
    ]
    summaries = summarize_matrix(result)
    assert summaries[0].labels["pod"] == "pod-49"
    lines, truncated = render_summaries(summaries, budget_tokens=300)
    assert truncated
    assert lines[-1].endswith("more series not shown; narrow with label filters")
    shown = len(lines) - 1
    assert lines[-1].startswith(f"{50 - shown} more series")
    assert count_tokens("\n".join(lines)) <= 300
    lines, truncated = render_summaries(summaries, budget_tokens=100_000, max_series=20)
    assert truncated and lines[-1].startswith("30 more series")


def test_value_formats_follow_the_unit():
    assert format_value(0.256, "ratio") == "25.6%"
    assert format_value(512 * 2**20, "bytes") == "512Mi"
    assert format_value(0.0912, "seconds") == "91.2ms"
    assert format_value(2.0, "per_second") == "2/s"
    assert format_value(1_500_000.0) == "1.5M"
    assert format_value(float("nan")) == "nan"


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("500ms", 0.5)]
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1x", "-5m", "0s"])
def test_bad_durations_name_the_input(text):
    with pytest.raises(ValueError, match=r"duration|longer than zero"):
        parse_duration(text)


@pytest.mark.parametrize("window", ["10m", "15m", "30m", "1h", "2h", "3h", "6h", "12h", "1d", "7d"])
def test_steps_give_chart_sized_series(window):
    seconds = parse_duration(window)
    points = seconds / pick_step(seconds)
    assert 40 <= points <= 120
