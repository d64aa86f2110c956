"""Reading an object's metadata as the API server returns it: a missing ``metadata`` is an empty one."""

from __future__ import annotations

from typing import Any


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def name_of(obj: dict[str, Any]) -> str:
    return meta(obj).get("name", "")


def namespace_of(obj: dict[str, Any]) -> str | None:
    return meta(obj).get("namespace")


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return meta(obj).get("labels") or {}
