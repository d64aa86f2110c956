"""The runbook document: a named, parameterized investigation written in YAML and validated here.

The pydantic models are the single source of truth: the loader validates files with them, and
``docs/runbook.schema.json`` is generated from them (``python -m app.runbooks.schema``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.contracts.diagnosis import Category
from tools.patterns import outside_pattern

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
MAX_STEPS = 100  # each step is a tool call against the cluster: a runbook stays a bounded read
IDENT_PATTERN = r"^[a-z_][a-z0-9_]{0,40}$"
ParamType = Literal["string", "integer", "number", "boolean"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Param(_Strict):
    """One input of a runbook, given as ``key=value`` on the command line or in a form on the page."""

    name: str = Field(pattern=IDENT_PATTERN, description="how steps refer to it: {{ params.NAME }}")
    type: ParamType = "string"
    description: str = ""
    required: bool = False
    default: str | int | float | bool | None = None
    enum: list[str | int | float | bool] | None = Field(None, description="the only accepted values")
    pattern: str | None = Field(None, description="regular expression a string value must match in full")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            outside_pattern(value)  # a PatternError is a ValueError: pydantic reports it with the field
        return value

    @model_validator(mode="after")
    def _default_fits(self) -> Param:
        if self.required and self.default is not None:
            raise ValueError("default: a required parameter cannot have a default")
        if self.pattern is not None and self.type != "string":
            raise ValueError("pattern: applies to string parameters only")
        if self.enum is not None:
            try:
                self.enum = [coerce_param(self, item, check_enum=False) for item in self.enum]
            except BadParam as exc:
                raise ValueError(f"enum: {exc}") from None
        if self.default is not None:
            try:
                self.default = coerce_param(self, self.default)
            except BadParam as exc:
                raise ValueError(f"default: {exc}") from None
        return self


class Match(_Strict):
    """When the router should suggest this runbook for a question."""

    words: list[str] = Field(default_factory=list, description="words or phrases in the question")
    alerts: list[str] = Field(default_factory=list, description="Prometheus alert names")
    categories: list[Category] = Field(
        default_factory=list, description="finding categories it covers, the main one first"
    )


class Step(_Strict):
    """One tool call. ``args`` values may be Jinja templates over ``params`` and earlier ``steps``."""

    id: str | None = Field(None, pattern=IDENT_PATTERN, description="how later steps refer to its result")
    tool: str = Field(description="a registered read-only tool (kubewhy tools list)")
    args: dict[str, Any] = Field(default_factory=dict)
    when: str | None = Field(
        None, description="Jinja expression over params and earlier steps; the step runs when it is true"
    )
    description: str = ""


class Runbook(_Strict):
    """A saved investigation: parameters, ordered tool steps, and guidance for the model."""

    name: str = Field(pattern=NAME_PATTERN, description="lower-case words joined by '-'")
    title: str = Field(min_length=1)
    description: str = ""
    question: str | None = Field(
        None, description="the question this runbook answers (a Jinja template over params)"
    )
    params: list[Param] = Field(default_factory=list)
    match: Match = Field(default_factory=Match)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    guidance: str | None = Field(None, description="advice handed to the model when one answers")

    @model_validator(mode="after")
    def _unique_names(self) -> Runbook:
        seen: set[str] = set()
        for index, param in enumerate(self.params):
            if param.name in seen:
                raise ValueError(f"params[{index}]: parameter {param.name!r} is defined twice")
            seen.add(param.name)
        seen = set()
        for index, step in enumerate(self.steps):
            if step.id is not None:
                if step.id in seen:
                    raise ValueError(f"steps[{index}]: step id {step.id!r} is used twice")
                seen.add(step.id)
        return self

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


class BadParam(ValueError):
    """A parameter value that does not fit the runbook's declaration."""


def coerce_param(param: Param, value: Any, *, check_enum: bool = True) -> Any:
    """``value`` (often a string from ``key=value``) as the parameter's type, checked against enum/pattern."""
    try:
        converted = _convert(param.type, value)
    except (TypeError, ValueError):
        raise BadParam(f"{param.name}={value!r} is not a valid {param.type}") from None
    if check_enum and param.enum is not None and converted not in param.enum:
        allowed = ", ".join(str(item) for item in param.enum)
        raise BadParam(f"{param.name}={value!r} is not one of: {allowed}")
    if param.pattern is not None and not outside_pattern(param.pattern).fullmatch(str(converted)):
        raise BadParam(f"{param.name}={value!r} does not match the pattern {param.pattern!r}")
    return converted


def _convert(kind: ParamType, value: Any) -> Any:
    if kind == "string":
        if isinstance(value, dict | list):
            raise TypeError
        return str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "on"):
            return True
        if text in ("false", "no", "0", "off"):
            return False
        raise ValueError
    if isinstance(value, bool):
        raise TypeError
    if kind == "integer":
        if isinstance(value, float) and not value.is_integer():
            raise ValueError
        return int(str(value).strip()) if isinstance(value, str) else int(value)
    return float(value)
