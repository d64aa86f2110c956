"""Change points in Prometheus range results, as the regression analyzer reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from app.diagnose.series import change_point

START = datetime(2026, 11, 20, 8, 30, tzinfo=UTC).timestamp()


def series(values: list[float]) -> dict:
    return {"metric": {}, "values": [[START + 60 * i, str(v)] for i, v in enumerate(values)]}


def test_a_step_is_dated_when_it_began_even_when_later_samples_are_noisier():
    """A 5xx ratio rising over a 5-minute rate window from minute 37: noise on the new level must not
    drag the step to the end of the plateau."""
    ramp = [0.023, 0.047, 0.072, 0.096]
    values = [0.0] * 37 + ramp + [0.12, 0.119, 0.12, 0.121] * 4 + [0.121, 0.122, 0.121]
    step = change_point(series(values))
    assert step is not None
    minute = (step.at - START) / 60
    assert 37 <= minute <= 40
    assert step.before < 0.01 and abs(step.after - 0.12) < 0.005


def test_no_rise_no_step():
    assert change_point(series([0.5] * 30)) is None
    assert change_point(series([0.9] * 15 + [0.2] * 15)) is None
