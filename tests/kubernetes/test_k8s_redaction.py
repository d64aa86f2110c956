"""Credentials never reach tool output: Secret values, credential env vars, tokens and passwords in logs."""

from __future__ import annotations

import base64
import json

import pytest

from app.toolset import call_tool
from tests.kubernetes.k8s_scenario import BEARER, CRASH_POD, ENV_PASSWORD, LOG_PASSWORD, SECRET_VALUE
from tools.contracts.tool import ToolContext
from tools.kubernetes.redact import MASK, is_credential_name, redact_data, redact_text

FORBIDDEN = [
    SECRET_VALUE,
    base64.b64encode(SECRET_VALUE.encode()).decode(),
    ENV_PASSWORD,
    BEARER,
    LOG_PASSWORD,
]

CALLS = [
    ("k8s_get", {"kind": "secret", "name": "db-creds", "namespace": "shop"}),
    ("k8s_describe", {"kind": "secret", "name": "db-creds", "namespace": "shop"}),
    ("k8s_list", {"kind": "secrets"}),
    ("k8s_list", {"kind": "secrets", "namespace": "shop"}),
    ("k8s_get", {"kind": "pod", "name": CRASH_POD, "namespace": "shop"}),
    ("k8s_describe", {"kind": "pod", "name": CRASH_POD, "namespace": "shop"}),
    ("k8s_get", {"kind": "deployment", "name": "checkout", "namespace": "shop"}),
    ("k8s_get", {"kind": "replicaset", "name": "checkout-7d9f8c6b5", "namespace": "shop"}),
    ("k8s_workload", {"name": "checkout", "namespace": "shop"}),
    ("k8s_logs", {"namespace": "shop", "pod": CRASH_POD, "previous": True}),
    ("k8s_logs", {"namespace": "shop", "pod": CRASH_POD, "previous": True, "grep": "debug"}),
    ("k8s_overview", {}),
    ("k8s_events", {}),
]


@pytest.mark.parametrize(("tool", "args"), CALLS)
def test_no_credential_in_any_tool_output(ctx: ToolContext, tool: str, args: dict) -> None:
    result = call_tool(ctx, tool, args)
    assert result.ok, result.error
    everything = result.text + json.dumps(result.data)
    for value in FORBIDDEN:
        assert value not in everything


def test_secret_keys_stay_visible(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_get", {"kind": "secret", "name": "db-creds", "namespace": "shop"})
    assert "password:" in result.text and "api-key:" in result.text


def test_env_password_is_masked_but_named(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_describe", {"kind": "pod", "name": CRASH_POD, "namespace": "shop"})
    assert f"DB_PASSWORD={MASK}" in result.text
    assert "DB_HOST=postgres.data.svc" in result.text
    data = call_tool(ctx, "k8s_get", {"kind": "pod", "name": CRASH_POD, "namespace": "shop"}).data
    env = data["spec"]["containers"][0]["env"]
    assert {"name": "DB_PASSWORD", "value": MASK} in env
    assert {"name": "DB_HOST", "value": "postgres.data.svc"} in env


def test_bearer_and_password_in_logs_are_masked(ctx: ToolContext) -> None:
    result = call_tool(
        ctx, "k8s_logs", {"namespace": "shop", "pod": CRASH_POD, "previous": True, "grep": "debug"}
    )
    assert result.data["lines"] == [
        f"debug outgoing call Authorization: Bearer {MASK}",
        f"debug connecting with postgres://app:{MASK}@postgres.data:5432/shop",
        f"debug login password={MASK}",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJhbGciOi.abc", f"Authorization: Bearer {MASK}"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNz'", f"curl -H 'Authorization: Basic {MASK}'"),
        ("password=hunter2 user=bob", f"password={MASK} user=bob"),
        ('{"password": "x1", "token": "abc"}', f'{{"password": "{MASK}", "token": "{MASK}"}}'),
        ("DB_PASSWORD=s3cret", f"DB_PASSWORD={MASK}"),
        ("--api-key=123abc", f"--api-key={MASK}"),
        ("redis://:pa55@redis:6379/0", f"redis://:{MASK}@redis:6379/0"),
        ("aws AKIAABCDEFGHIJKLMNOP used", f"aws {MASK} used"),
        ("password: foo", f"password: {MASK}"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY----- *** -----END PRIVATE KEY-----",
        ),
        # evidence must survive: these are not credentials
        ('Error: secret "db-creds" not found', 'Error: secret "db-creds" not found'),
        (
            "couldn't find key DB_PASSWORD in Secret shop/db-creds",
            "couldn't find key DB_PASSWORD in Secret shop/db-creds",
        ),
        ("Failed to refresh token: connection refused", "Failed to refresh token: connection refused"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_redact_data_masks_credential_env_and_secret_objects() -> None:
    doc = {
        "env": [{"name": "API_TOKEN", "value": "t0k"}, {"name": "LOG_LEVEL", "value": "debug"}],
        "items": [{"kind": "Secret", "data": {"k": "dmFsdWU="}}],
        "note": "Authorization: Bearer zzz999",
    }
    assert redact_data(doc) == {
        "env": [{"name": "API_TOKEN", "value": MASK}, {"name": "LOG_LEVEL", "value": "debug"}],
        "items": [{"kind": "Secret", "data": {"k": "<redacted>"}}],
        "note": f"Authorization: Bearer {MASK}",
    }


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "api_key", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "CLIENT_SECRET"]
)
def test_credential_names(name: str) -> None:
    assert is_credential_name(name)


@pytest.mark.parametrize("name", ["DB_HOST", "LOG_LEVEL", "PORT", "JAVA_OPTS"])
def test_plain_names(name: str) -> None:
    assert not is_credential_name(name)
