"""Pseudonyms for an external model: the model never reads the cluster's names or addresses.

With ``anonymize`` on (``KUBEWHY_ANONYMIZE=true``), everything sent to the model — the question, the task
prompt, every tool result (objects, event messages, logs, flows, metrics), earlier turns — has the
cluster's name, its namespace, workload, node and (unowned) pod names and every IPv4 and IPv6 address
replaced by stable pseudonyms (``xns01``, ``xapp03``, ``xnode02``, ``xpod01``, ``xcluster01``, ``198.18.0.7``,
``2001:db8::3``).
The model's tool calls are translated back before a tool runs, and its final answer is translated back
before it is checked against the evidence, so people see real names and the evidence stays verbatim.

Names are matched as whole DNS-label tokens, case-insensitively, and as prefixes of longer names joined by
``-``: ``checkout-7d9f8c6b5-x2lqp`` (a pod of Deployment ``checkout``) becomes ``xapp01-7d9f8c6b5-x2lqp``,
which keeps the pod's link to its workload without naming either. Pseudonyms are stable for one
``Anonymizer`` (one question, or one conversation when a surface keeps it). Names shorter than
``MIN_NAME_CHARS`` and the built-in namespaces (``default``, ``kube-system``...) are left as they are: they
say nothing about the organisation and hiding them would mangle ordinary words.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from tools.contracts.kube.objects import meta

log = logging.getLogger(__name__)

MIN_NAME_CHARS = 3
PUBLIC_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
PSEUDO_NETWORK = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544 benchmarking range: never a real host
KEEP_IPS = frozenset({"0.0.0.0", "127.0.0.1", "255.255.255.255"})
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "Service")
MAX_OBJECTS_PER_KIND = 20_000

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_PART = re.compile(r"[A-Za-z0-9]+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d]|\.\d)")
# IPv6 candidates (validated before use: times like 09:30:00 and MAC addresses are not addresses).
_IPV6 = re.compile(r"(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
PSEUDO_NETWORK_V6 = ipaddress.ip_network("2001:db8::/32")  # RFC 3849 documentation range
_PREFIX = {"namespace": "xns", "workload": "xapp", "node": "xnode", "pod": "xpod", "cluster": "xcluster"}


class Anonymizer:
    """Hide real names and IPs in what goes to the model; reveal them in what comes back."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._pseudonym: dict[str, str] = {}  # real name (lower case) -> pseudonym
        self._real: dict[str, str] = {}  # pseudonym -> real name
        self._counts: dict[str, int] = {}
        self._ips: dict[str, str] = {}
        self._real_ips: dict[str, str] = {}
        self._hidden: dict[str | int, BaseMessage] = {}

    @classmethod
    def off(cls) -> Anonymizer:
        return cls(enabled=False)

    # --- what the names are -----------------------------------------------------------------------

    def add(self, kind: str, name: str) -> None:
        """Register a real name of ``kind`` (namespace, workload, node, pod, cluster)."""
        key = (name or "").strip().lower()
        if len(key) < MIN_NAME_CHARS or key in self._pseudonym or key in self._real:
            return
        if kind == "namespace" and key in PUBLIC_NAMESPACES:
            return
        prefix = _PREFIX[kind]
        while True:
            self._counts[prefix] = self._counts.get(prefix, 0) + 1
            pseudonym = f"{prefix}{self._counts[prefix]:02d}"
            if pseudonym not in self._pseudonym:  # never reuse a real name as a pseudonym
                break
        self._pseudonym[key] = pseudonym
        self._real[pseudonym] = key

    def learn_cluster(self, ctx: Any) -> None:
        """Read the names to hide from the cluster (bounded lists; a kind that cannot be read is skipped)."""
        self.add("cluster", getattr(ctx, "cluster_name", "") or "")
        kube = getattr(ctx, "kube", None)
        if kube is None:
            return
        workloads: list[str] = []
        for kind, role in (
            ("Namespace", "namespace"),
            ("Node", "node"),
            *((k, "workload") for k in WORKLOAD_KINDS),
        ):
            for obj in _names(kube, kind):
                name = meta(obj).get("name", "")
                self.add(role, name)
                if role == "workload":
                    workloads.append(name.lower())
        for obj in _names(kube, "Pod"):
            name = (meta(obj).get("name") or "").lower()
            if not any(name.startswith(w + "-") for w in workloads):  # owned pods hide through their prefix
                self.add("pod", name)

    @property
    def names(self) -> dict[str, str]:
        return dict(self._pseudonym)

    # --- hiding -----------------------------------------------------------------------------------

    def hide(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        text = _IPV4.sub(self._hide_ip, text)
        text = _IPV6.sub(self._hide_ipv6, text)
        return _TOKEN.sub(lambda m: self._hide_token(m.group(0)), text)

    def hide_data(self, value: Any) -> Any:
        return _walk(value, self.hide)

    def outgoing(self, messages: Iterable[BaseMessage]) -> list[BaseMessage]:
        """The messages as the model may see them (each message translated once, then reused)."""
        messages = list(messages)
        if not self.enabled:
            return messages
        out = []
        for message in messages:
            key = message.id or id(message)  # the runtime gives every message in its state an id
            hidden = self._hidden.get(key)
            if hidden is None:
                hidden = self._hide_message(message)
                self._hidden[key] = hidden
            out.append(hidden)
        return out

    def _hide_message(self, message: BaseMessage) -> BaseMessage:
        update: dict[str, Any] = {"content": self.hide_data(message.content)}
        if isinstance(message, AIMessage) and message.tool_calls:
            update["tool_calls"] = [
                {**c, "args": self.hide_data(c.get("args") or {})} for c in message.tool_calls
            ]
        return message.model_copy(update=update)

    def _hide_token(self, token: str) -> str:
        pseudonym = self._pseudonym.get(token.lower())
        if pseudonym is not None:
            return _same_case(token, pseudonym)
        if "-" not in token:
            return token
        parts = token.split("-")
        for cut in range(len(parts) - 1, 0, -1):  # the longest known prefix, then the rest
            head = "-".join(parts[:cut])
            pseudonym = self._pseudonym.get(head.lower())
            if pseudonym is not None:
                return _same_case(head, pseudonym) + "-" + self._hide_token("-".join(parts[cut:]))
        return parts[0] + "-" + self._hide_token("-".join(parts[1:]))

    def _hide_ip(self, match: re.Match[str]) -> str:
        ip = match.group(0)
        if ip in KEEP_IPS or ip in self._real_ips or not _valid_ip(ip):
            return ip
        pseudonym = self._ips.get(ip)
        if pseudonym is None:
            offset = len(self._ips) + 1
            while str(PSEUDO_NETWORK[offset]) in self._ips:  # a real address inside the range: skip it
                offset += 1
            pseudonym = str(PSEUDO_NETWORK[offset])
            self._ips[ip] = pseudonym
            self._real_ips[pseudonym] = ip
        return pseudonym

    def _hide_ipv6(self, match: re.Match[str]) -> str:
        text = match.group(0)
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return text
        if address.is_loopback or address.is_unspecified or text in self._real_ips:
            return text
        pseudonym = self._ips.get(text)
        if pseudonym is None:
            pseudonym = str(PSEUDO_NETWORK_V6[len(self._ips) + 1])
            self._ips[text] = pseudonym
            self._real_ips[pseudonym] = text
        return pseudonym

    # --- revealing --------------------------------------------------------------------------------

    def reveal(self, text: str) -> str:
        if not self.enabled or not text:
            return text
        text = _IPV4.sub(lambda m: self._real_ips.get(m.group(0), m.group(0)), text)
        text = _IPV6.sub(lambda m: self._real_ips.get(m.group(0), m.group(0)), text)
        return _PART.sub(self._reveal_part, text)

    def reveal_data(self, value: Any) -> Any:
        return _walk(value, self.reveal)

    def _reveal_part(self, match: re.Match[str]) -> str:
        part = match.group(0)
        real = self._real.get(part.lower())
        return part if real is None else _same_case(part, real)


def anonymizer_for(ctx: Any, question: str = "") -> Anonymizer:
    """The anonymizer a run uses: off unless the settings ask for it; then it learns the cluster's names."""
    if not getattr(ctx.settings, "anonymize", False):
        return Anonymizer.off()
    anonymizer = Anonymizer()
    anonymizer.learn_cluster(ctx)
    log.info("anonymizing %d names for the model", len(anonymizer.names))
    return anonymizer


def _names(kube: Any, kind: str) -> list[dict[str, Any]]:
    try:
        return kube.list_objects(kind, limit=MAX_OBJECTS_PER_KIND)
    except Exception as exc:  # forbidden, unknown kind, unreachable: hide what we can read
        log.info("anonymizer cannot list %s: %s", kind, exc)
        return []


def _walk(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _walk(item, change) for key, item in value.items()}
    return value


def _same_case(model: str, word: str) -> str:
    """``word`` in the case of ``model``: CHECKOUT -> XAPP01, Checkout -> Xapp01, checkout -> xapp01."""
    if model.isupper() and any(c.isalpha() for c in model):
        return word.upper()
    if model[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _valid_ip(text: str) -> bool:
    return all(int(part) <= 255 for part in text.split("."))
