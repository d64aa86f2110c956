"""Label and field selectors with the grammar and meaning the Kubernetes API server gives them: the one
evaluator for the snapshot server's queries, NetworkPolicy and PodDisruptionBudget selectors (objects
with matchLabels/matchExpressions), Service selectors (plain maps) and flow filters.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not
exist), joined by commas (AND). `!=` and `notin` also match objects without the label, as upstream.
Field selectors: `f=v`, `f==v`, `f!=v` joined by commas, with `\\,` `\\=` `\\\\` escapes in values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SelectorError(ValueError):
    """The selector does not parse; the API answers 400 BadRequest with this message."""


_KEY = re.compile(r"^([a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_SET_TERM = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")
_EQ_TERM = re.compile(r"^(?P<key>[^=!\s]+)\s*(?P<op>==|=|!=)\s*(?P<value>.*)$")


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "in"):
            return labels.get(self.key) in self.values
        return labels.get(self.key) not in self.values  # "!=" / "notin": absent labels match


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[LabelRequirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(req.matches(labels) for req in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def equality_terms(self) -> list[tuple[str, str]]:
        """(key, value) pairs every match must carry: usable with an inverted index."""
        return [
            (r.key, next(iter(r.values)))
            for r in self.requirements
            if r.op in ("=", "in") and len(r.values) == 1
        ]


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError(f"unable to parse requirement: unbalanced ')' in {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth:
        raise SelectorError(f"unable to parse requirement: unclosed '(' in {text!r}")
    parts.append("".join(current))
    return parts


def _check_key(key: str, term: str) -> str:
    if not _KEY.match(key) or len(key.split("/")[-1]) > 63:
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r} in {term!r}")
    return key


def _check_value(value: str, term: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise SelectorError(f"unable to parse requirement: invalid label value {value!r} in {term!r}")
    return value


def _parse_label_term(term: str) -> LabelRequirement:
    text = term.strip()
    if not text:
        raise SelectorError("unable to parse requirement: found '', expected: identifier")
    match = _SET_TERM.match(text)
    if match:
        raw_values = [v.strip() for v in match["values"].split(",")]
        values = frozenset(_check_value(v, term) for v in raw_values if v or len(raw_values) == 1)
        if not values:
            raise SelectorError(
                f"unable to parse requirement: {match['op']} needs at least one value: {term!r}"
            )
        return LabelRequirement(_check_key(match["key"], term), match["op"], values)
    match = _EQ_TERM.match(text)
    if match:
        op = "!=" if match["op"] == "!=" else "="
        value = _check_value(match["value"].strip(), term)
        return LabelRequirement(_check_key(match["key"], term), op, frozenset([value]))
    if text.startswith("!"):
        return LabelRequirement(_check_key(text[1:].strip(), term), "!exists")
    return LabelRequirement(_check_key(text, term), "exists")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `labelSelector`; an empty or missing selector matches everything."""
    if text is None or not text.strip():
        return LabelSelector(())
    return LabelSelector(tuple(_parse_label_term(term) for term in _split_top_level(text)))


# --- selectors as objects (matchLabels / matchExpressions) and as plain maps (a Service's) ----------

_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}


def from_object(selector: Mapping[str, Any]) -> LabelSelector:
    """A LabelSelector object as requirements; values compare as strings (YAML `version: 2` is "2")."""
    requirements = [
        LabelRequirement(str(key), "=", frozenset([str(value)]))
        for key, value in sorted((selector.get("matchLabels") or {}).items())
    ]
    for expression in selector.get("matchExpressions") or []:
        op = _OPERATORS.get(expression.get("operator", ""))
        if op is not None:
            values = frozenset(str(value) for value in expression.get("values") or [])
            requirements.append(LabelRequirement(str(expression.get("key", "")), op, values))
    return LabelSelector(tuple(requirements))


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """True when ``labels`` satisfy a LabelSelector object. An empty selector ({}) selects everything,
    None selects nothing."""
    if selector is None:
        return False
    return from_object(selector).matches(labels or {})


def map_matches(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """A plain map selector (a Service's spec.selector): every pair must match; empty selects nothing."""
    if not selector:
        return False
    return all((labels or {}).get(key) == str(value) for key, value in selector.items())


def selector_text(selector: Mapping[str, Any] | None) -> str:
    """A LabelSelector object as `kubectl` writes it (`app=web,tier in (a,b),!legacy`); "" when empty."""
    parts = []
    for req in from_object(selector or {}).requirements:
        values = ",".join(sorted(req.values))
        parts.append(
            {
                "=": f"{req.key}={values}",
                "in": f"{req.key} in ({values})",
                "notin": f"{req.key} notin ({values})",
                "exists": req.key,
                "!exists": f"!{req.key}",
            }[req.op]
        )
    return ",".join(parts)


def map_text(labels: Mapping[str, Any] | None) -> str:
    """Labels or a map selector as `k=v,k2=v2`, sorted by key; "" when empty."""
    return ",".join(f"{key}={value}" for key, value in sorted((labels or {}).items()))


# --- field selectors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negated: bool

    def matches(self, actual: str | None) -> bool:
        equal = (actual or "") == self.value
        return not equal if self.negated else equal


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...]

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, lookup: Callable[[str], str | None]) -> bool:
        return all(req.matches(lookup(req.field)) for req in self.requirements)


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise SelectorError(f"invalid field selector: trailing backslash in {text!r}")
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in ",=\\":
                raise SelectorError(f"invalid field selector: invalid escape sequence '\\{char}'")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def _parse_field_term(term: str) -> FieldRequirement:
    # find the operator at the first unescaped '=' or '!='
    index, escaped = 0, False
    while index < len(term):
        char = term[index]
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "!" and term[index + 1 : index + 2] == "=":
            return FieldRequirement(term[:index].strip(), _unescape(term[index + 2 :]), True)
        elif char == "=":
            rest = term[index + 2 :] if term[index + 1 : index + 2] == "=" else term[index + 1 :]
            return FieldRequirement(term[:index].strip(), _unescape(rest), False)
        index += 1
    raise SelectorError(f"invalid selector: '{term}'; can't understand '{term}'")


def parse_field_selector(text: str | None) -> FieldSelector:
    """Parse `fieldSelector`; field names are checked against the kind by the caller."""
    if text is None or not text.strip():
        return FieldSelector(())
    terms = [t for t in _split_unescaped(text, ",") if t.strip()]
    requirements = []
    for term in terms:
        requirement = _parse_field_term(term)
        if not requirement.field:
            raise SelectorError(f"invalid field selector: missing field name in {term!r}")
        requirements.append(requirement)
    return FieldSelector(tuple(requirements))
