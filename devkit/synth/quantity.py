"""Kubernetes resource quantities ("250m", "512Mi", "2") as floats for the builder's arithmetic."""

from __future__ import annotations

from tools.contracts.kube import quantity


def parse_quantity(value: str | int | float) -> float:
    """The quantity as a float; ValueError for a builder input that is not one."""
    return float(quantity.parse_quantity(value))


def kibibytes(value: float) -> str:
    """Node capacity style: '16393220Ki'."""
    return f"{int(value // 1024)}Ki"
