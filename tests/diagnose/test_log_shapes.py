"""The error a crash line states, as a finding's title quotes it (app/diagnose/log_shapes.py)."""

from __future__ import annotations

import pytest

from app.diagnose.log_shapes import best_shape, error_summary


@pytest.mark.parametrize(
    ("log", "title"),
    [
        (
            'Traceback (most recent call last):\n  File "/app/main.py", line 3, in <module>\n'
            "    import pyvips\nModuleNotFoundError: No module named 'pyvips'\n",
            "ModuleNotFoundError: No module named 'pyvips'",
        ),
        (
            '{"level":"fatal","ts":1732094000.1,"msg":"invalid configuration",'
            '"error":"yaml: line 14: did not find expected key"}\n',
            "invalid configuration: yaml: line 14: did not find expected key",
        ),
        (
            "starting\npanic: runtime error: invalid memory address\n",
            "panic: runtime error: invalid memory address",
        ),
    ],
)
def test_a_crash_title_quotes_the_error_its_log_states(log, title):
    shape = best_shape(log)
    assert shape is not None and shape.kind == "exception"
    assert error_summary(shape.line) == title


def test_a_long_error_is_cut_at_a_word_and_says_so():
    line = "Error: " + "the configuration file could not be parsed because " * 5
    short = error_summary(line, limit=60)
    assert len(short) <= 62 and short.endswith(" …") and line.startswith(short[:-2])


def test_quoted_text_is_cut_at_a_word_never_inside_a_number():
    from tools.contracts.wording import clipped

    message = (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 81276Ki. "
        "Container billing-worker was using 1843200Ki, request is 256Mi, has larger consumption of memory."
    )
    short = clipped(message, 140)
    assert short.endswith(" …") and "was using 1843200Ki" in short and "  " not in short
    assert clipped("short enough", 140) == "short enough"
