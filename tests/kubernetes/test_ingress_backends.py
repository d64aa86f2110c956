"""An Ingress's backends read the same in the v1 shape and in the v1beta1 shape old clusters and old support
bundles carry, and an old Ingress's host leads to the workload behind it."""

from __future__ import annotations

from app.diagnose.analyzers import ingress as ingress_analyzer
from app.diagnose.gather import inventory_of
from app.diagnose.question import NamedObject
from app.diagnose.subject import resolve
from tests.diagnose.analyzers.factories import deployment, facts, pod, service
from tools.contracts.diagnosis import ResourceRef
from tools.contracts.kube.ingress import Backend, backend_services, ingress_backends

V1BETA1 = {
    "apiVersion": "extensions/v1beta1",
    "kind": "Ingress",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "backend": {"serviceName": "fallback", "servicePort": 80},
        "rules": [
            {
                "host": "api.example.com",
                "http": {"paths": [{"path": "/", "backend": {"serviceName": "api", "servicePort": "http"}}]},
            }
        ],
    },
}
V1 = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {
        "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
        "rules": [
            {
                "host": "api.example.com",
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "api", "port": {"name": "http"}}},
                        },
                        {"path": "/static", "backend": {"resource": {"kind": "StorageBucket", "name": "s"}}},
                    ]
                },
            }
        ],
    },
}


def test_both_shapes_give_the_same_backends() -> None:
    expected = [
        Backend("defaultBackend", "fallback", {"number": 80}),
        Backend("api.example.com/", "api", {"name": "http"}),
    ]
    assert ingress_backends(V1BETA1) == expected
    assert ingress_backends(V1)[:2] == expected
    assert ingress_backends(V1)[2] == Backend("api.example.com/static", None, {})
    assert backend_services(V1BETA1) == backend_services(V1) == ["fallback", "api"]


def test_an_old_ingress_host_leads_to_its_workload_and_its_backends_are_checked() -> None:
    given = facts(
        deployment("api"),
        pod("api-7d9f8c6b5-x2lqp", labels={"app": "api"}, owner_rs="api-7d9f8c6b5"),
        service("api", selector={"app": "api"}),
        V1BETA1,
    )
    named = NamedObject("Ingress", "shop", "api", ("api.example.com",))
    assert resolve(named, given).kind == "Deployment"
    [problem] = ingress_analyzer.analyze(given)  # the default backend's Service is not there
    assert "fallback" in problem.title


def test_an_openshift_route_host_leads_to_the_workload_behind_its_service() -> None:
    route = {
        "apiVersion": "route.openshift.io/v1",
        "kind": "Route",
        "metadata": {"name": "billing", "namespace": "shop"},
        "spec": {
            "host": "billing.apps.ocp.example.com",
            "to": {"kind": "Service", "name": "api", "weight": 100},
            "alternateBackends": [{"kind": "Service", "name": "api-canary", "weight": 0}],
        },
    }
    assert backend_services(route) == ["api", "api-canary"]
    given = facts(
        deployment("api"),
        pod("api-7d9f8c6b5-x2lqp", labels={"app": "api"}, owner_rs="api-7d9f8c6b5"),
        service("api", selector={"app": "api"}),
        route,
    )
    [named] = [n for n in inventory_of(given.objects) if n.kind == "Route"]
    assert named.aliases == ("billing.apps.ocp.example.com",)
    assert resolve(named, given) == ResourceRef(kind="Deployment", namespace="shop", name="api")
