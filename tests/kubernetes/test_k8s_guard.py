"""Read-only is a property of the transport: every write, exec, proxy... is refused before it is sent."""

from __future__ import annotations

import base64
import inspect

import pytest
from kubernetes import client as k8s
from kubernetes.stream import stream

from tests.kubernetes.k8s_scenario import SECRET_VALUE
from tests.kubernetes.k8s_wait import settled_requests
from tools.kubernetes.access import KubeAccess
from tools.kubernetes.transport import ReadOnlyViolation, check_request
from tools.snapshot.server import SnapshotServer

BASE = "https://api.example:6443"

ALLOWED = [
    "/api",
    "/apis",
    "/version",
    "/api/v1",
    "/apis/apps",
    "/apis/apps/v1",
    "/api/v1/pods",
    "/api/v1/namespaces",
    "/api/v1/namespaces/shop",
    "/api/v1/namespaces/shop/pods",
    "/api/v1/namespaces/shop/pods/checkout-1",
    "/api/v1/namespaces/shop/pods/checkout-1/log?container=app&previous=true&tailLines=10",
    "/api/v1/namespaces/shop/pods/checkout-1/status",
    "/api/v1/nodes/worker-1",
    "/apis/apps/v1/namespaces/shop/deployments/checkout",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Anode",
    "/api/v1/namespaces/shop/events?fieldSelector=involvedObject.name%3Dx&limit=500",
]

REFUSED = [
    "/api/v1/namespaces/shop/pods/checkout-1/exec?command=sh",
    "/api/v1/namespaces/shop/pods/checkout-1/attach",
    "/api/v1/namespaces/shop/pods/checkout-1/portforward",
    "/api/v1/namespaces/shop/pods/checkout-1/proxy",
    "/api/v1/namespaces/shop/pods/checkout-1/proxy/admin",
    "/api/v1/namespaces/shop/services/web/proxy",
    "/api/v1/nodes/worker-1/proxy/configz",
    "/api/v1/namespaces/shop/pods/checkout-1/eviction",
    "/api/v1/namespaces/shop/pods/checkout-1/binding",
    "/api/v1/namespaces/shop/serviceaccounts/default/token",
    "/api/v1/namespaces/shop/pods/checkout-1/ephemeralcontainers",
    "/api/v1/namespaces/shop/deployments/checkout/log",
    "/api/v1/namespaces/shop/pods/../secrets",
    "/api/v1/namespaces/shop/pods/%2e%2e/secrets",
    "/api/v1/namespaces/shop/pods/x%2Fexec",
    "/api/v1/namespaces/shop/pods/x%252Fexec",
    "/api/v1//namespaces",
    "/api/v1/namespaces/shop/pods?watch=true",
    "/api/v1/namespaces/shop/pods/p/log?follow=true",
    "/metrics",
    "/logs/kubelet.log",
    "/apis/apps/v1/namespaces/shop/deployments/checkout/scale/extra",
]


@pytest.mark.parametrize("path", ALLOWED)
def test_read_paths_are_allowed(path: str) -> None:
    check_request("GET", BASE + path, BASE)


@pytest.mark.parametrize("path", REFUSED)
def test_dangerous_paths_are_refused(path: str) -> None:
    with pytest.raises(ReadOnlyViolation):
        check_request("GET", BASE + path, BASE)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT"])
def test_every_other_method_is_refused(method: str) -> None:
    with pytest.raises(ReadOnlyViolation, match="read-only"):
        check_request(method, BASE + "/api/v1/namespaces/shop/pods", BASE)


def test_other_hosts_are_refused() -> None:
    with pytest.raises(ReadOnlyViolation, match="another host"):
        check_request("GET", "https://evil.example/api/v1/pods", BASE)


API_CLASSES = [k8s.CoreV1Api, k8s.AppsV1Api, k8s.BatchV1Api, k8s.NetworkingV1Api, k8s.RbacAuthorizationV1Api]
WRITE_PREFIXES = ("create_", "patch_", "replace_", "delete_", "connect_")


def _write_methods(api_class: type) -> list[str]:
    return sorted(
        name
        for name in dir(api_class)
        if name.startswith(WRITE_PREFIXES)
        and not name.endswith(("_with_http_info", "_without_preload_content"))
        and not name.startswith("_")
    )


def _arguments(method: object) -> dict[str, object]:
    """Minimal valid arguments: 'x' for names and paths, an empty model or dict for bodies."""
    args: dict[str, object] = {}
    for name, param in inspect.signature(method).parameters.items():  # type: ignore[arg-type]
        if param.default is not inspect.Parameter.empty or name == "self":
            continue
        if name == "body":
            annotation = param.annotation
            model = getattr(k8s, annotation, None) if isinstance(annotation, str) else annotation
            is_model = isinstance(model, type) and model.__module__.startswith("kubernetes")
            empty = {field: None for field in model.model_fields} if is_model else {}
            args[name] = model.model_construct(**empty) if is_model else {}
        else:
            args[name] = "x"
    return args


def test_every_write_method_of_the_generated_client_is_refused(
    kube: KubeAccess, shop_server: SnapshotServer
) -> None:
    before = len(settled_requests(shop_server, 0))
    driven = []
    for api_class in API_CLASSES:
        api = api_class(kube.api_client)
        for name in _write_methods(api_class):
            method = getattr(api, name)
            with pytest.raises(ReadOnlyViolation):
                method(**_arguments(method))
            driven.append(f"{api_class.__name__}.{name}")
    # the brief's list, so nobody can quietly shrink the test
    for required in (
        "CoreV1Api.create_namespaced_pod",
        "CoreV1Api.patch_namespaced_pod",
        "CoreV1Api.replace_namespaced_pod",
        "CoreV1Api.delete_namespaced_pod",
        "CoreV1Api.delete_collection_namespaced_pod",
        "CoreV1Api.create_namespaced_config_map",
        "CoreV1Api.delete_namespaced_secret",
        "CoreV1Api.patch_namespaced_secret",
        "CoreV1Api.create_namespace",
        "CoreV1Api.delete_namespace",
        "CoreV1Api.connect_get_namespaced_pod_exec",
        "CoreV1Api.connect_get_namespaced_pod_portforward",
        "CoreV1Api.connect_get_namespaced_pod_proxy",
        "CoreV1Api.connect_get_node_proxy_with_path",
        "CoreV1Api.create_namespaced_pod_eviction",
        "CoreV1Api.create_namespaced_service_account_token",
        "AppsV1Api.create_namespaced_deployment",
        "AppsV1Api.patch_namespaced_deployment_scale",
        "AppsV1Api.delete_collection_namespaced_deployment",
    ):
        assert required in driven
    assert len(driven) > 150
    assert settled_requests(shop_server, before) == [], "a refused request reached the server"


def test_websocket_exec_cannot_replace_the_guarded_transport(
    kube: KubeAccess, shop_server: SnapshotServer
) -> None:
    before = len(settled_requests(shop_server, 0))
    with pytest.raises(ReadOnlyViolation):
        stream(kube.core_v1.connect_get_namespaced_pod_exec, "p", "shop", command=["sh"])
    assert settled_requests(shop_server, before) == []


def test_lower_layers_are_guarded_too(kube: KubeAccess, shop_server: SnapshotServer) -> None:
    before = len(settled_requests(shop_server, 0))
    url = f"{shop_server.url}/api/v1/namespaces/shop/pods/p"
    with pytest.raises(ReadOnlyViolation):
        kube.api_client.rest_client.request("DELETE", url)
    with pytest.raises(ReadOnlyViolation):
        kube.api_client.rest_client.pool_manager.request("DELETE", url)
    with pytest.raises(ReadOnlyViolation):
        kube.api_client.rest_client.pool_manager.urlopen("POST", url, body=b"{}")
    with pytest.raises(ReadOnlyViolation):
        kube.api_client.rest_client = None
    assert settled_requests(shop_server, before) == []


def test_reads_still_work_through_the_generated_client(kube: KubeAccess) -> None:
    pods = kube.core_v1.list_namespaced_pod("shop")
    assert {p.metadata.name for p in pods.items} >= {"checkout-7d9f8c6b5-bbbbb"}
    deployment = kube.apps_v1.read_namespaced_deployment("checkout", "shop")
    assert deployment.spec.replicas == 3


def test_secret_values_are_stripped_at_the_transport(kube: KubeAccess) -> None:
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    secret = kube.core_v1.read_namespaced_secret("db-creds", "shop")
    assert set(secret.data) == {"password", "api-key"}
    assert encoded not in str(secret.to_dict()) and SECRET_VALUE not in str(secret.to_dict())
    listed = kube.core_v1.list_namespaced_secret("shop", _preload_content=False).data
    assert b"password" in listed and encoded.encode() not in listed and SECRET_VALUE.encode() not in listed
    raw = kube.get_json("/api/v1/secrets")
    assert "kubectl.kubernetes.io/last-applied-configuration" not in str(raw)
    assert SECRET_VALUE not in str(raw)
