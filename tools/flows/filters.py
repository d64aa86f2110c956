"""Hubble ``FlowFilter`` semantics, evaluated locally (files) and sent over gRPC (Relay).

Fields inside one filter are ANDed; values inside one field are ORed; a list of filters is ORed
(whitelist) and a flow matching any blacklist filter is excluded, as Hubble does. The same object
serialises to the protobuf-JSON form that the Relay client turns into a ``flow.FlowFilter``.

``required_tokens`` gives byte strings that any matching raw JSON line must contain. The file source
uses them to skip most lines without parsing them, which is what makes a million-line scan fast.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from tools.contracts.kube.selectors import LabelRequirement, LabelSelector
from tools.contracts.wording import noun_for
from tools.flows.model import L4_PROTOCOLS, VERDICTS, Flow
from tools.patterns import PatternError, outside_pattern

Predicate = Callable[[Flow], bool]
TokenGroup = tuple[bytes, ...]  # at least one of these must appear in the line

PROTOCOLS = ("tcp", "udp", "icmp", "icmpv4", "icmpv6", "sctp", "http", "dns", "kafka")
DIRECTIONS = ("INGRESS", "EGRESS")
_STATUS = re.compile(r"^\d{1,3}\+?$")
_PORT = re.compile(r"^\d{1,5}$")


class FilterError(ValueError):
    """A filter value that Hubble would reject; the message names the field and the value."""


@dataclass(frozen=True)
class Workload:
    name: str = ""
    kind: str = ""


@dataclass(frozen=True)
class EventTypeFilter:
    type: int
    match_sub_type: bool = False
    sub_type: int = 0


@dataclass
class FlowFilter:
    """The subset of Hubble's ``flow.FlowFilter`` kubewhy uses (same field names)."""

    source_pod: list[str] = field(default_factory=list)
    source_label: list[str] = field(default_factory=list)
    source_workload: list[Workload] = field(default_factory=list)
    destination_pod: list[str] = field(default_factory=list)
    destination_label: list[str] = field(default_factory=list)
    destination_workload: list[Workload] = field(default_factory=list)
    traffic_direction: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    event_type: list[EventTypeFilter] = field(default_factory=list)
    http_status_code: list[str] = field(default_factory=list)
    protocol: list[str] = field(default_factory=list)
    source_port: list[str] = field(default_factory=list)
    destination_port: list[str] = field(default_factory=list)
    dns_query: list[str] = field(default_factory=list)
    node_name: list[str] = field(default_factory=list)
    _compiled: list[Predicate] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.verdict = [_enum(value, VERDICTS, "verdict") for value in self.verdict]
        self.traffic_direction = [
            _enum(value, DIRECTIONS, "traffic_direction") for value in self.traffic_direction
        ]
        self.protocol = [_choice(value, PROTOCOLS, "protocol") for value in self.protocol]
        for name in ("source_port", "destination_port"):
            values = [str(value) for value in getattr(self, name)]
            for value in values:
                if not _PORT.match(value) or int(value) > 65535:
                    raise FilterError(f"{name}: {value!r} is not a port number (0-65535)")
            setattr(self, name, values)
        for value in self.http_status_code:
            if not _STATUS.match(value):
                raise FilterError(f"http_status_code: {value!r} is not a status code or prefix like '5+'")
        self.source_workload = [_workload(value) for value in self.source_workload]
        self.destination_workload = [_workload(value) for value in self.destination_workload]
        self.event_type = [
            value if isinstance(value, EventTypeFilter) else EventTypeFilter(**value)
            for value in self.event_type
        ]

    # --- wire form ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Protobuf-JSON form (``preserving_proto_field_name``), empty fields omitted."""
        result: dict[str, Any] = {}
        for item in fields(self):
            if item.name.startswith("_"):
                continue
            values = getattr(self, item.name)
            if not values:
                continue
            if item.name.endswith("_workload"):
                result[item.name] = [{k: v for k, v in vars(w).items() if v} for w in values]
            elif item.name == "event_type":
                result[item.name] = [{k: v for k, v in vars(e).items() if v or k == "type"} for e in values]
            else:
                result[item.name] = list(values)
        return result

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlowFilter:
        known = {item.name for item in fields(cls) if not item.name.startswith("_")}
        unknown = sorted(set(data) - known)
        if unknown:
            raise FilterError(
                f"unsupported FlowFilter {noun_for(len(unknown), 'field')}: {', '.join(unknown)}"
            )
        return cls(**{key: list(value) for key, value in data.items()})

    # --- matching ----------------------------------------------------------------------------------

    def matches(self, flow: Flow) -> bool:
        checks = self._compiled
        if checks is None:
            checks = self._compiled = self._compile()
        for check in checks:  # noqa: SIM110 - a plain loop is faster, and this runs per candidate flow
            if not check(flow):
                return False
        return True

    def _compile(self) -> list[Predicate]:
        checks: list[Predicate] = []
        for side in ("source", "destination"):
            pods = getattr(self, f"{side}_pod")
            if pods:
                checks.append(_pod_check(side, pods))
            labels = getattr(self, f"{side}_label")
            if labels:
                checks.append(_label_check(side, [parse_selector(text) for text in labels]))
            workloads = getattr(self, f"{side}_workload")
            if workloads:
                checks.append(_workload_check(side, workloads))
        if self.traffic_direction:
            wanted = frozenset(self.traffic_direction)
            checks.append(lambda flow: flow.get("traffic_direction") in wanted)
        if self.verdict:
            verdicts = frozenset(self.verdict)
            checks.append(lambda flow: flow.get("verdict") in verdicts)
        if self.event_type:
            checks.append(_event_type_check(self.event_type))
        if self.http_status_code:
            checks.append(_http_status_check(self.http_status_code))
        if self.protocol:
            checks.append(_protocol_check(self.protocol))
        for side in ("source", "destination"):
            ports = getattr(self, f"{side}_port")
            if ports:
                checks.append(_port_check(f"{side}_port", frozenset(int(port) for port in ports)))
        if self.dns_query:
            checks.append(_dns_check(self.dns_query))
        if self.node_name:
            checks.append(_node_check(self.node_name))
        return checks

    def required_tokens(self) -> list[TokenGroup]:
        """Byte strings a raw JSON line must contain to possibly match (a necessary condition only)."""
        groups: list[TokenGroup] = []
        if self.verdict:
            groups.append(tuple(f'"{value}"'.encode() for value in self.verdict))
        if self.traffic_direction:
            groups.append(tuple(f'"{value}"'.encode() for value in self.traffic_direction))
        for side in ("source", "destination"):
            pods = getattr(self, f"{side}_pod")
            namespaces = [pod.partition("/")[0] for pod in pods if "/" in pod]
            if pods and len(namespaces) == len(pods) and all(namespaces):
                groups.append(tuple(f'"{namespace}"'.encode() for namespace in namespaces))
            prefixes = [pod.rpartition("/")[2] for pod in pods]
            if pods and all(prefixes):
                groups.append(tuple(f'"{prefix}'.encode() for prefix in prefixes))
            workloads = getattr(self, f"{side}_workload")
            if workloads and all(w.name for w in workloads):
                groups.append(tuple(f'"{w.name}"'.encode() for w in workloads))
            ports = getattr(self, f"{side}_port")
            if ports:  # JSON writers put no space or one space after the colon (Go's protojson: either)
                key = b'_port":'  # source or destination: one search serves both sides
                groups.append(
                    tuple(
                        token for port in ports for token in (key + port.encode(), key + b" " + port.encode())
                    )
                )
        if self.protocol:
            tokens: list[bytes] = []
            for protocol in self.protocol:
                tokens.extend(_PROTOCOL_TOKENS[protocol])
            groups.append(tuple(tokens))
        if self.http_status_code:
            groups.append((b'"http"',))
        if self.dns_query:
            groups.append((b'"dns"',))
        return groups


_PROTOCOL_TOKENS: dict[str, tuple[bytes, ...]] = {
    "tcp": (b'"TCP"',),
    "udp": (b'"UDP"',),
    "icmp": (b'"ICMPv4"', b'"ICMPv6"'),
    "icmpv4": (b'"ICMPv4"',),
    "icmpv6": (b'"ICMPv6"',),
    "sctp": (b'"SCTP"',),
    "http": (b'"http"',),
    "dns": (b'"dns"',),
    "kafka": (b'"kafka"',),
}


def selects(flow: Flow, whitelist: Sequence[FlowFilter] | None, blacklist: Sequence[FlowFilter] = ()) -> bool:
    """Hubble's rule: in the whitelist (or no whitelist) and in no blacklist filter."""
    if whitelist:
        for item in whitelist:
            if item.matches(flow):
                break
        else:
            return False
    for item in blacklist:  # noqa: SIM110 - see FlowFilter.matches
        if item.matches(flow):
            return False
    return True


@dataclass(frozen=True)
class LinePrefilter:
    """A test on raw lines that rejects only lines no whitelist filter can match.

    ``seek``: every line that may match contains at least one of these byte strings, so a reader can
    jump from one occurrence to the next instead of looking at every line. ``test``: the full check on
    one candidate line.
    """

    seek: tuple[bytes, ...]
    test: Callable[[bytes], bool]


def line_prefilter(whitelist: Sequence[FlowFilter] | None) -> LinePrefilter | None:
    """The raw-line shortcut for a whitelist; None when some filter has no usable token (every line
    must then be parsed)."""
    if not whitelist:
        return None
    alternatives = [item.required_tokens() for item in whitelist]
    if any(not groups for groups in alternatives):
        return None
    seek: list[bytes] = []
    for groups in alternatives:
        if any(set(group) <= set(seek) for group in groups):
            continue  # already found by the tokens sought for an earlier filter: no extra pass
        best = max(groups, key=lambda group: min(len(token) for token in group))  # longest: rarest, usually
        seek.extend(token for token in best if token not in seek)
    if len(alternatives) == 1 and all(len(group) == 1 for group in alternatives[0]):
        tokens = tuple(group[0] for group in alternatives[0])
        if len(tokens) == 1:
            (token,) = tokens
            return LinePrefilter(tuple(seek), lambda line: token in line)
        return LinePrefilter(tuple(seek), lambda line: all(token in line for token in tokens))

    def may_match(line: bytes) -> bool:
        for groups in alternatives:
            for group in groups:
                for token in group:
                    if token in line:
                        break
                else:
                    break  # no token of this group: this alternative cannot match
            else:
                return True
        return False

    return LinePrefilter(tuple(seek), may_match)


# --- field checks ----------------------------------------------------------------------------------


def _pod_check(side: str, pods: Iterable[str]) -> Predicate:
    specs = []
    for pod in pods:
        namespace, sep, prefix = pod.partition("/")
        spec = (namespace, prefix) if sep else ("", pod)
        if spec == ("", ""):
            raise FilterError(f"{side}_pod: {pod!r} must be [namespace/][pod-name-prefix]")
        specs.append(spec)

    def check(flow: Flow) -> bool:
        endpoint = flow.get(side) or {}
        namespace = endpoint.get("namespace") or ""
        name = endpoint.get("pod_name") or ""
        if not namespace and not name:
            return False
        return any(
            (not want_namespace or want_namespace == namespace) and name.startswith(prefix)
            for want_namespace, prefix in specs
        )

    return check


def _workload_check(side: str, workloads: Sequence[Workload]) -> Predicate:
    def check(flow: Flow) -> bool:
        for item in (flow.get(side) or {}).get("workloads") or ():
            for want in workloads:
                if want.name and want.name != item.get("name"):
                    continue
                if want.kind and want.kind.lower() != str(item.get("kind", "")).lower():
                    continue
                return True
        return False

    return check


def _event_type_check(filters: Sequence[EventTypeFilter]) -> Predicate:
    def check(flow: Flow) -> bool:
        event = flow.get("event_type") or {}
        kind = int(event.get("type") or 0)
        sub = int(event.get("sub_type") or 0)
        return any(
            kind == item.type and (not item.match_sub_type or sub == item.sub_type) for item in filters
        )

    return check


def _http_status_check(codes: Sequence[str]) -> Predicate:
    exact = frozenset(code for code in codes if not code.endswith("+"))
    prefixes = tuple(code[:-1] for code in codes if code.endswith("+"))

    def check(flow: Flow) -> bool:
        code = ((flow.get("l7") or {}).get("http") or {}).get("code")
        if not code:
            return False
        text = str(code)
        return text in exact or (bool(prefixes) and text.startswith(prefixes))

    return check


def _protocol_check(protocols: Sequence[str]) -> Predicate:
    l4_names = {name.lower(): name for name in L4_PROTOCOLS}
    wanted_l4 = set()
    wanted_l7 = set()
    for protocol in protocols:
        if protocol == "icmp":
            wanted_l4.update(("ICMPv4", "ICMPv6"))
        elif protocol in l4_names:
            wanted_l4.add(l4_names[protocol])
        else:
            wanted_l7.add(protocol)

    def check(flow: Flow) -> bool:
        l4 = flow.get("l4") or {}
        if any(name in l4 for name in wanted_l4):
            return True
        l7 = flow.get("l7") or {}
        return any(name in l7 for name in wanted_l7)

    return check


def _port_check(field_name: str, ports: frozenset[int]) -> Predicate:
    def check(flow: Flow) -> bool:
        l4 = flow.get("l4") or {}
        for name in ("TCP", "UDP", "SCTP"):
            part = l4.get(name)
            if part is not None:
                return int(part.get(field_name) or 0) in ports
        return False

    return check


def _dns_check(patterns: Sequence[str]) -> Predicate:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(outside_pattern(pattern))  # Hubble's own filters are RE2 too
        except PatternError as exc:
            raise FilterError(f"dns_query: {exc}") from None

    def check(flow: Flow) -> bool:
        dns = (flow.get("l7") or {}).get("dns")
        if dns is None:
            return False
        query = dns.get("query") or ""
        return any(regex.search(query) for regex in compiled)

    return check


def _node_check(patterns: Sequence[str]) -> Predicate:
    def check(flow: Flow) -> bool:
        node = flow.get("node_name") or ""
        short = node.rpartition("/")[2]
        for pattern in patterns:
            if pattern.endswith("/") and node.startswith(pattern):
                return True
            if fnmatch.fnmatchcase(node, pattern) or (
                "/" not in pattern and fnmatch.fnmatchcase(short, pattern)
            ):
                return True
        return False

    return check


def _label_check(side: str, selectors: list[LabelSelector]) -> Predicate:
    def check(flow: Flow) -> bool:
        labels = _endpoint_label_index(flow.get(side))
        return any(selector.matches(labels) for selector in selectors)

    return check


# --- label selectors (Kubernetes syntax, with Cilium's optional "source:" key prefix) --------------

_REQUIREMENT = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<nkey>[\w.:/-]+)"
    r"|(?P<key>[\w.:/-]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[\w.-]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<values>[^)]*)\))?)\s*$"
)


def parse_selector(text: str) -> LabelSelector:
    """Parse ``app=web,tier in (a,b),!legacy``; keys may carry a Cilium source (``k8s:app``), which the
    API server's grammar does not allow, so the parsing is Hubble's and the matching is the shared one."""
    requirements: list[LabelRequirement] = []
    for part in _split_top_level(text):
        match = _REQUIREMENT.match(part)
        if not match:
            raise FilterError(f"label selector {text!r}: cannot parse {part.strip()!r}")
        if match.group("not"):
            requirements.append(LabelRequirement(match.group("nkey"), "!exists"))
        elif match.group("op"):
            operator = "!=" if match.group("op") == "!=" else "="
            requirements.append(
                LabelRequirement(match.group("key"), operator, frozenset({match.group("value")}))
            )
        elif match.group("setop"):
            values = frozenset(v.strip() for v in match.group("values").split(",") if v.strip())
            requirements.append(LabelRequirement(match.group("key"), match.group("setop"), values))
        else:
            requirements.append(LabelRequirement(match.group("key"), "exists"))
    return LabelSelector(tuple(requirements))


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]


def _endpoint_label_index(endpoint: dict[str, Any] | None) -> dict[str, str]:
    """Both ``source:key`` and bare ``key`` forms, so ``k8s:app=web`` and ``app=web`` both match."""
    index: dict[str, str] = {}
    for label in (endpoint or {}).get("labels") or ():
        text, _, value = label.partition("=")
        index[text] = value
        _source, sep, key = text.partition(":")
        if sep:
            index.setdefault(key, value)
    return index


def _enum(value: str, allowed: Sequence[str], name: str) -> str:
    upper = str(value).upper()
    if upper not in allowed:
        raise FilterError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return upper


def _choice(value: str, allowed: Sequence[str], name: str) -> str:
    lower = str(value).lower()
    if lower not in allowed:
        raise FilterError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
    return lower


def _workload(value: Workload | dict[str, str] | str) -> Workload:
    if isinstance(value, Workload):
        return value
    if isinstance(value, str):
        return Workload(name=value)
    return Workload(name=value.get("name", ""), kind=value.get("kind", ""))
