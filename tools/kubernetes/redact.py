"""Masking of credentials in anything kubewhy shows: tool text, tool data, Slack messages, the page.

One function for text (:func:`redact_text`) and one for structured data (:func:`redact_data`); every
surface calls these, so a rule added here protects all of them. Secret objects are already stripped at
the transport (:mod:`tools.kubernetes.transport`); this catches credentials that live elsewhere: env var
values, bearer tokens and passwords in logs, URLs with a password, private keys.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

_CREDENTIAL_NAME = re.compile(
    r"(passw(or)?d|passwd|pwd|secret|token|credential|api_?key|apikey|access_?key|private_?key|"
    r"auth|_key$|^key$|dsn|conn(ection)?_?str(ing)?|session_?key|signing)",
    re.IGNORECASE,
)

_TEXT_RULES: list[tuple[re.Pattern[str], str]] = [
    # -----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
        "-----BEGIN PRIVATE KEY----- " + MASK + " -----END PRIVATE KEY-----",
    ),
    # Authorization: Bearer abc / Basic abc / token abc
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]+=*"), r"\1\2" + MASK),
    # JSON Web Tokens wherever they appear
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), r"\1" + MASK + "@"),
    # AWS access key ids, GitHub and Slack tokens
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b"), MASK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"), MASK),
    # password=x  /  DB_PASSWORD=x  /  --token=x  /  ?api_key=x
    (
        re.compile(
            r"(?i)(?P<key>\b[A-Za-z0-9_.-]*(passw(or)?d|passwd|pwd|secret|token|credential|api[_-]?key|apikey|"
            r"access[_-]?key|private[_-]?key|auth[_-]?key)[A-Za-z0-9_.-]*)(?P<sep>[ \t]*=[ \t]*)"
            r"(?P<quote>[\"']?)(?P<value>(?!\*\*\*)[^\s\"',;&}]+)"
        ),
        r"\g<key>\g<sep>\g<quote>" + MASK,
    ),
    # "password": "x" (JSON, any credential-like key)  /  password: x (YAML, explicit password/key names)
    (
        re.compile(
            r"(?i)(?P<key>[\"'][A-Za-z0-9_.-]*(passw(or)?d|passwd|pwd|secret|token|credential|api[_-]?key|"
            r"apikey|access[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*[\"']|\b[A-Za-z0-9_.-]*(passw(or)?d|passwd|"
            r"pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|secret[_-]?key|"
            r"access[_-]?token|refresh[_-]?token|auth[_-]?token)[A-Za-z0-9_.-]*)(?P<sep>[ \t]*:[ \t]*)"
            r"(?P<quote>[\"']?)(?P<value>(?!\*\*\*)[^\s\"',;&}]+)"
        ),
        r"\g<key>\g<sep>\g<quote>" + MASK,
    ),
]


def is_credential_name(name: str) -> bool:
    """True for env var / key names that usually hold a credential (DB_PASSWORD, API_KEY, ...)."""
    return bool(_CREDENTIAL_NAME.search(name or ""))


def redact_text(text: str) -> str:
    """Mask bearer tokens, passwords, keys and URL credentials in free text (logs, rendered objects)."""
    if not text:
        return text
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: Any) -> Any:
    """Redact a JSON-like structure: credential-named env values, Secret data, and every string."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_data(item) for item in value]
    if isinstance(value, dict):
        if value.get("kind") == "Secret":
            value = {**value}
            for field in ("data", "stringData"):
                if isinstance(value.get(field), dict):
                    value[field] = dict.fromkeys(value[field], "<redacted>")
        result: dict[Any, Any] = {}
        env_like = isinstance(value.get("name"), str) and is_credential_name(value["name"])
        for key, item in value.items():
            masked_env = env_like and key == "value" and isinstance(item, str) and bool(item)
            if masked_env or key == "kubectl.kubernetes.io/last-applied-configuration":
                result[key] = MASK
            else:
                result[key] = redact_data(item)
        return result
    return value


def env_value(name: str, value: str | None) -> str:
    """How an env var's literal value is shown: masked when its name looks like a credential."""
    if value is None:
        return ""
    if is_credential_name(name):
        return MASK
    return redact_text(value)
