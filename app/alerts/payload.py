"""The Alertmanager webhook payload, version 4, read strictly: anything else is refused with one message
that names the field and what is wrong with it (the sender's log shows it)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tools.contracts.wording import plural

MAX_LABEL_CHARS = 1024  # a label or annotation value longer than this is cut (and says so)


class BadPayload(ValueError):
    """The request body is not an Alertmanager version 4 notification."""


def _bounded(values: dict[str, str]) -> dict[str, str]:
    return {
        str(key)[:200]: (value if len(value) <= MAX_LABEL_CHARS else value[:MAX_LABEL_CHARS] + "… [cut]")
        for key, value in values.items()
    }


class Alert(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = {}
    startsAt: str = ""
    endsAt: str = ""
    generatorURL: str = ""
    fingerprint: str = ""

    @field_validator("labels")
    @classmethod
    def _has_labels(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("an alert has no labels (Alertmanager always sends at least alertname)")
        return _bounded(value)

    @field_validator("annotations")
    @classmethod
    def _cut(cls, value: dict[str, str]) -> dict[str, str]:
        return _bounded(value)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "unnamed alert")

    @property
    def key(self) -> str:
        """The fingerprint, or the labels when the sender gave none."""
        return self.fingerprint or json.dumps(self.labels, sort_keys=True)


class Notification(BaseModel):
    """One webhook call: an alert group in one state, as Alertmanager's webhook receiver sends it."""

    model_config = ConfigDict(extra="ignore")

    version: str
    groupKey: str = Field(min_length=1, max_length=10_000)
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}
    commonLabels: dict[str, str] = {}
    commonAnnotations: dict[str, str] = {}
    externalURL: str = ""
    alerts: list[Alert] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _version_4(cls, value: str) -> str:
        if value != "4":
            raise ValueError(
                f"version {value!r} is not supported; kubewhy reads version 4 (Alertmanager ≥ 0.7)"
            )
        return value

    @property
    def firing(self) -> list[Alert]:
        return [alert for alert in self.alerts if alert.status == "firing"]

    @property
    def fingerprints(self) -> list[str]:
        """The alerts that make the group's current state: the firing ones (all of them once resolved)."""
        alerts = self.firing or self.alerts
        return sorted({alert.key for alert in alerts})

    @property
    def names(self) -> list[str]:
        return sorted({alert.name for alert in self.alerts})


def parse_notification(body: bytes) -> Notification:
    """The notification in ``body``; BadPayload naming the first problem (and where) otherwise."""
    try:
        data: Any = json.loads(body)
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8 text; Alertmanager sends JSON") from None
    except ValueError as exc:
        raise BadPayload(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadPayload(f"the body is a JSON {type(data).__name__}, not an object with version, alerts, ...")
    try:
        return Notification.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        more = f" (and {plural(len(errors) - 1, 'more problem')})" if len(errors) > 1 else ""
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadPayload(f"{where}: {message}{more}") from None
