"""Resource quantities ("250m", "512Mi", "2", "1e3") read the way the API server reads them, by the client
library's own parser (kubernetes.utils.parse_quantity), so every layer agrees on what a request means.

A cluster repeats a handful of strings ("500m", "8Gi") across every pod and node, and the library parses
with Decimal arithmetic (~10 µs a string): the parsed strings are remembered, a bounded number of them.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any

from kubernetes.utils import parse_quantity as _library_parse_quantity

_REMEMBERED = 4096  # distinct strings kept; hostile input beyond that only costs the parse again


def parse_quantity(value: Any) -> Decimal:
    """The exact quantity (cores, bytes, a count); ValueError when it is not one."""
    if isinstance(value, str):
        return _parsed_string(value)
    return _library_parse_quantity(value)


@lru_cache(maxsize=_REMEMBERED)
def _parsed_string(value: str) -> Decimal:
    return _library_parse_quantity(value)


def quantity(value: Any) -> float:
    """The quantity as a float; 0.0 when absent or unreadable (a missing request asks for nothing)."""
    if value is None:
        return 0.0
    try:
        return float(parse_quantity(value))
    except (ValueError, TypeError):
        return 0.0
