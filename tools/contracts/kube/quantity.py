"""Resource quantities ("250m", "512Mi", "2", "1e3") read the way the API server reads them, by the client
library's own parser (kubernetes.utils.parse_quantity), so every layer agrees on what a request means."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kubernetes.utils import parse_quantity as _library_parse_quantity


def parse_quantity(value: Any) -> Decimal:
    """The exact quantity (cores, bytes, a count); ValueError when it is not one."""
    return _library_parse_quantity(value)


def quantity(value: Any) -> float:
    """The quantity as a float; 0.0 when absent or unreadable (a missing request asks for nothing)."""
    try:
        return float(parse_quantity(value))
    except (ValueError, TypeError):
        return 0.0
