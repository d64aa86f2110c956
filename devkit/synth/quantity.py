"""Kubernetes resource quantities ("250m", "512Mi", "2") as numbers."""

from __future__ import annotations

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 0.001}


def parse_quantity(value: str | int | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    for suffix, factor in _DECIMAL.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def kibibytes(value: float) -> str:
    """Node capacity style: '16393220Ki'."""
    return f"{int(value // 1024)}Ki"
