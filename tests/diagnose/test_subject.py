"""What belongs to a subject: an Ingress in front of it is its own, but a sibling backend of that Ingress
is another workload's, and its trouble is not the subject's."""

from __future__ import annotations

from app.diagnose.analyzers import service_endpoints
from app.diagnose.subject import is_about, subject_of
from tests.diagnose.analyzers.factories import deployment, facts, pod, service
from tools.contracts.diagnosis import ResourceRef

SHARED = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "storefront", "namespace": "shop"},
    "spec": {
        "rules": [
            {
                "host": "shop.example.com",
                "http": {
                    "paths": [
                        {"path": "/", "backend": {"service": {"name": "frontend", "port": {"number": 80}}}},
                        {"path": "/api", "backend": {"service": {"name": "catalog", "port": {"number": 80}}}},
                    ]
                },
            }
        ]
    },
}


def test_a_sibling_backend_of_a_shared_ingress_is_not_the_subject():
    given = facts(
        deployment("frontend", labels={"app.kubernetes.io/name": "frontend"}),  # re-created, new labels
        deployment("catalog"),
        pod(
            "frontend-6d8f7b9c4-k2m4n",
            labels={"app.kubernetes.io/name": "frontend"},
            owner_rs="frontend-6d8f7b9c4",
        ),
        pod("catalog-5c7d9f8b6-p4q8r", labels={"app": "catalog"}, owner_rs="catalog-5c7d9f8b6"),
        service("frontend", selector={"app": "frontend"}),  # matches no pod
        service("catalog", selector={"app": "catalog"}),
        SHARED,
    )
    [no_endpoints] = [c for c in service_endpoints.analyze(given) if c.resource.name == "frontend"]
    catalog = subject_of(ResourceRef(kind="Deployment", namespace="shop", name="catalog"), given)
    frontend = subject_of(ResourceRef(kind="Deployment", namespace="shop", name="frontend"), given)
    assert catalog is not None and frontend is not None
    assert ("Ingress", "shop", "storefront") in catalog.members  # the Ingress in front of it is its own
    assert not is_about(no_endpoints, catalog, given)
    assert is_about(no_endpoints, frontend, given)
