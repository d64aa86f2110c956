"""An API server behind a gateway with a path prefix (kubeconfig `server: https://gw.example/api`): Secret
values must stay in the transport whatever the prefix looks like, through every way kubewhy reads.

The hostile snapshot is served by the real snapshot API server behind a prefix-stripping reverse proxy;
kubewhy and the official `kubernetes` client reach it through a kubeconfig whose server URL carries the
prefix in every form (trailing slash, nested, segments named `api`, `apis`, `secrets`, `namespaces`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kubernetes import client as k8s
from kubernetes.config import load_kube_config
from typer.testing import CliRunner

from app.cli import app
from app.toolset import call_tool
from tests.security import adversarial
from tests.security.prefix_proxy import PrefixProxy
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.kubeconfig import write_kubeconfig
from tools.snapshot.server import SnapshotServer, start_snapshot_server

SECRET_FORMS = (adversarial.SECRET_VALUE, base64.b64encode(adversarial.SECRET_VALUE.encode()).decode())
NS = adversarial.NAMESPACE
# Each read, and what its text shows when the Secret was read (key names for objects, names for lists).
SECRET_READS = [
    ("k8s_get", {"kind": "secret", "name": "db-creds", "namespace": NS}, "password"),
    ("k8s_get", {"kind": "Secret", "name": "db-creds", "namespace": NS}, "password"),
    ("k8s_describe", {"kind": "secrets", "name": "db-creds", "namespace": NS}, "password"),
    ("k8s_list", {"kind": "secrets", "namespace": NS}, "db-creds  age="),
    ("k8s_list", {"kind": "secret"}, "db-creds  age="),
]
# Prefix segments chosen to confuse a guard that looks for the first `api`: the API's own words.
TRICKY = ("api", "apis", "secrets", "v1", "namespaces", NS, "db-creds", "api-gw", "k8s")
segment = st.one_of(
    st.sampled_from(TRICKY), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,11}", fullmatch=True)
)
base_paths = st.lists(segment, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts))
FIXED_PREFIXES = ["/api", "/api/", "/apis/secrets/api/v1/", "/gw/k8s/api//"]


@pytest.fixture(scope="module")
def server(evil_dir: Path) -> Iterator[SnapshotServer]:
    with start_snapshot_server(evil_dir) as running:
        yield running


@pytest.fixture(scope="module")
def gateway(server: SnapshotServer) -> Iterator[PrefixProxy]:
    real = {(NS, "db-creds"): {"password": SECRET_FORMS[1]}}
    with PrefixProxy(server.url, secrets=real) as proxy:
        yield proxy


def _kubeconfig(
    gateway: PrefixProxy, prefix: str, where: Path, trailing: str = "", kind: str | None = "Secret"
) -> Path:
    """A kubeconfig whose server URL is the gateway's with ``prefix`` (and ``trailing``) as its path."""
    gateway.prefix = prefix
    gateway.secret_kind = kind
    return write_kubeconfig(where, gateway.url + prefix + trailing, "gateway")


def _leaks(text: str) -> list[str]:
    return [form for form in SECRET_FORMS if form in text]


def test_the_gateway_serves_the_secret_value_to_an_unguarded_client(gateway, tmp_path):
    """The setup is real: the official client without kubewhy's guard gets the value through the prefix."""
    configuration = k8s.Configuration()
    load_kube_config(str(_kubeconfig(gateway, "/api/", tmp_path / "kc")), client_configuration=configuration)
    with k8s.ApiClient(configuration) as api_client:
        secret = k8s.CoreV1Api(api_client).read_namespaced_secret("db-creds", NS)
    assert secret.data["password"] == SECRET_FORMS[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=base_paths,
    trailing=st.sampled_from(["", "/", "//"]),
    kind=st.sampled_from(["Secret", None, "ConfigMap"]),  # what the body claims to be must not matter
)
def test_no_base_path_yields_a_secret_value(gateway, tmp_path, prefix, trailing, kind):
    kubeconfig = _kubeconfig(gateway, prefix, tmp_path / "kc", trailing, kind)
    kube = KubeAccess.from_kubeconfig(str(kubeconfig))
    try:
        ctx = ToolContext(settings=Settings(llm="none"), kube=kube, cluster_name="gateway")
        for tool, args, read in SECRET_READS:
            result = call_tool(ctx, tool, args)
            assert result.error is None, (prefix, tool, result.error)
            shown = result.text + json.dumps(result.data, default=str)
            assert read in result.text, (prefix, tool)  # the Secret was read
            assert not _leaks(shown), (prefix + trailing, kind, tool, args)
        generated = kube.core_v1.read_namespaced_secret("db-creds", NS)
        listed = kube.core_v1.list_secret_for_all_namespaces()
        assert generated.data["password"] == "<redacted>"
        assert not _leaks(json.dumps(kube.api_client.sanitize_for_serialization(listed)))
    finally:
        kube.close()


@pytest.mark.parametrize("prefix", FIXED_PREFIXES)
def test_snapshot_capture_behind_a_gateway_writes_no_secret_value(gateway, tmp_path, prefix):
    kubeconfig = _kubeconfig(gateway, prefix, tmp_path / "kc")
    out = tmp_path / "captured"
    result = CliRunner().invoke(
        app, ["snapshot", "capture", "--kubeconfig", str(kubeconfig), "--out", str(out), "-n", NS]
    )
    assert result.exit_code == 0, result.output
    secrets = (out / "resources" / "core" / "secrets.json").read_text(encoding="utf-8")
    assert "db-creds" in secrets and "password" in secrets
    for path in out.rglob("*"):
        if path.is_file():
            assert not _leaks(path.read_text(encoding="utf-8", errors="replace")), path


@pytest.mark.parametrize("prefix", FIXED_PREFIXES)
def test_tools_call_behind_a_gateway_shows_no_secret_value(gateway, tmp_path, prefix):
    kubeconfig = _kubeconfig(gateway, prefix, tmp_path / "kc")
    for tool, args, read in SECRET_READS:
        for output in ("text", "json"):
            result = CliRunner().invoke(
                app,
                [
                    "tools",
                    "call",
                    tool,
                    "--args",
                    json.dumps(args),
                    "--kubeconfig",
                    str(kubeconfig),
                    "-o",
                    output,
                ],
            )
            assert result.exit_code == 0, result.output
            assert read.split()[0] in result.output
            assert not _leaks(result.output), (prefix, tool, output)
