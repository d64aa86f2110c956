"""The test cluster "shop-prod": a crashing checkout Deployment, a pending api pod, a Service whose
targetPort matches nothing, a selector that matches nothing, NetworkPolicies, a NotReady node, a
Secret whose value must never be seen, and logs holding credentials that must be masked."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tests.kubernetes import k8s_builders as b

SECRET_VALUE = "supersecret-db-pass-8812"
ENV_PASSWORD = "hunter2-env-literal"
BEARER = "abc123tokenvalue987xyz"
LOG_PASSWORD = "pw-in-log-5531"

CHECKOUT = {"app": "checkout"}
CRASH_POD = "checkout-7d9f8c6b5-bbbbb"


def shop_objects() -> list[dict]:
    objs: list[dict] = [b.namespace(n) for n in ("default", "kube-system", "shop", "data")]
    objs += [
        b.node("worker-1"),
        b.node("worker-2", pressure="DiskPressure"),
        b.node(
            "worker-3",
            ready=False,
            taints=[{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}],
        ),
    ]
    # checkout: Deployment with two revisions, one crashing pod
    objs.append(b.deployment("checkout", "shop", 3, 2, "reg/shop/checkout:v2", CHECKOUT))
    rs_labels = {**CHECKOUT, "pod-template-hash": "7d9f8c6b5"}
    objs.append(
        b.replicaset(
            "checkout-7d9f8c6b5",
            "shop",
            "checkout",
            2,
            "reg/shop/checkout:v2",
            3,
            2,
            rs_labels,
            cause="kubectl set image deployment/checkout app=reg/shop/checkout:v2",
        )
    )
    objs.append(
        b.replicaset(
            "checkout-6c8d4f7a9",
            "shop",
            "checkout",
            1,
            "reg/shop/checkout:v1",
            0,
            0,
            {**CHECKOUT, "pod-template-hash": "6c8d4f7a9"},
        )
    )
    env = [
        {"name": "DB_HOST", "value": "postgres.data.svc"},
        {"name": "DB_PASSWORD", "value": ENV_PASSWORD},
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "db-creds", "key": "api-key"}}},
    ]
    rs_owner = b.owner("ReplicaSet", "checkout-7d9f8c6b5", "shop")
    for suffix in ("aaaaa", "ccccc"):
        objs.append(
            b.pod(
                f"checkout-7d9f8c6b5-{suffix}", "shop", rs_labels, [b.container(env=env)], owner_ref=rs_owner
            )
        )
    objs.append(
        b.pod(
            CRASH_POD,
            "shop",
            rs_labels,
            [b.container(image="reg/shop/checkout:v2", env=env)],
            [b.crashing_status()],
            owner_ref=rs_owner,
            node_name="worker-2",
        )
    )
    # api: one pod cannot be scheduled
    api_labels = {"app": "api"}
    objs.append(b.deployment("api", "shop", 2, 1, "reg/shop/api:v3", api_labels))
    objs.append(b.pod("api-5f6d7c8b9-aaaaa", "shop", api_labels))
    objs.append(
        b.pod(
            "api-5f6d7c8b9-ppppp",
            "shop",
            api_labels,
            statuses=[],
            node_name=None,
            phase="Pending",
            conditions=[
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient cpu.",
                }
            ],
        )
    )
    # services: one good (named targetPort), one with a wrong targetPort, one selecting nothing
    objs.append(b.service("checkout", "shop", CHECKOUT, target="http"))
    objs.append(b.endpoint_slice("checkout", "shop", 2, 1))
    objs.append(b.service("api", "shop", api_labels, target=9090))
    objs.append(b.endpoint_slice("api", "shop", 1, 0, port=9090))
    objs.append(b.service("orphan", "shop", {"app": "nothing-here"}))
    # data: postgres behind a NetworkPolicy that only admits app=web from shop
    pg_labels = {"app": "postgres"}
    objs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": b.meta("postgres", "data", pg_labels),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": pg_labels},
                "serviceName": "postgres",
                "template": {
                    "metadata": {"labels": pg_labels},
                    "spec": {"containers": [b.container("postgres", "postgres:16", 5432, "pg")]},
                },
            },
            "status": {
                "replicas": 1,
                "readyReplicas": 1,
                "currentReplicas": 1,
                "updatedReplicas": 1,
                "availableReplicas": 1,
                "currentRevision": "postgres-5d4c",
                "updateRevision": "postgres-5d4c",
            },
        }
    )
    objs.append(
        b.pod(
            "postgres-0",
            "data",
            pg_labels,
            [b.container("postgres", "postgres:16", 5432, "pg")],
            owner_ref=b.owner("StatefulSet", "postgres", "data"),
        )
    )
    objs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": b.meta("db-allow-web", "data"),
            "spec": {
                "podSelector": {"matchLabels": pg_labels},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "shop"}},
                                "podSelector": {"matchLabels": {"app": "web"}},
                            }
                        ],
                        "ports": [{"port": 5432, "protocol": "TCP"}],
                    }
                ],
            },
        }
    )
    objs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": b.meta("deny-egress", "shop"),
            "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
        }
    )
    objs.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": b.meta("unrelated", "data"),
            "spec": {"podSelector": {"matchLabels": {"app": "redis"}}, "policyTypes": ["Ingress"]},
        }
    )
    # a Secret whose value must never leave the transport
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    last_applied = json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": SECRET_VALUE}}
    )
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": b.meta(
                "db-creds",
                "shop",
                annotations={"kubectl.kubernetes.io/last-applied-configuration": last_applied},
            ),
            "data": {"password": encoded, "api-key": encoded},
        }
    )
    # a failed Job and a DaemonSet
    objs.append(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": b.meta("migrate", "shop", {"job": "migrate"}),
            "spec": {
                "completions": 1,
                "backoffLimit": 2,
                "selector": {"matchLabels": {"job": "migrate"}},
                "template": {"spec": {"containers": [b.container("migrate", "reg/shop/migrate:v2", None)]}},
            },
            "status": {
                "failed": 3,
                "conditions": [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                    }
                ],
            },
        }
    )
    objs.append(
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": b.meta("node-exporter", "kube-system"),
            "spec": {
                "selector": {"matchLabels": {"app": "node-exporter"}},
                "template": {
                    "spec": {
                        "containers": [b.container("exporter", "prom/node-exporter:v1", 9100, "metrics")]
                    }
                },
            },
            "status": {
                "desiredNumberScheduled": 3,
                "currentNumberScheduled": 3,
                "numberReady": 2,
                "updatedNumberScheduled": 3,
                "numberAvailable": 2,
            },
        }
    )
    # events
    objs += [
        b.event(
            "e1",
            "shop",
            "Pod",
            CRASH_POD,
            "BackOff",
            f"Back-off restarting failed container app in pod {CRASH_POD}_shop(uid)",
            2,
            count=12,
        ),
        b.event(
            "e2",
            "shop",
            "Pod",
            CRASH_POD,
            "Pulled",
            'Container image "reg/shop/checkout:v2" already present',
            7,
            type_="Normal",
            count=13,
        ),
        b.event(
            "e3",
            "shop",
            "Pod",
            "api-5f6d7c8b9-ppppp",
            "FailedScheduling",
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available.",
            4,
            count=20,
        ),
        b.event(
            "e4",
            "shop",
            "Deployment",
            "checkout",
            "ScalingReplicaSet",
            "Scaled up replica set checkout-7d9f8c6b5 to 3",
            180,
            type_="Normal",
        ),
        b.event(
            "e5",
            "default",
            "Node",
            "worker-3",
            "NodeNotReady",
            "Node worker-3 status is now: NodeNotReady",
            30,
        ),
        b.event(
            "e6",
            "shop",
            "Pod",
            CRASH_POD,
            "Unhealthy",
            "Readiness probe failed: HTTP probe failed with statuscode: 503",
            600,
        ),
    ]
    return objs


def shop_logs() -> dict[tuple[str, str, str, bool], str]:
    previous = [f"2026-11-20T09:2{i // 10}:{i % 10}0Z info handled request {i}" for i in range(40)]
    previous += [
        f"2026-11-20T09:24:00Z debug outgoing call Authorization: Bearer {BEARER}",
        f"2026-11-20T09:24:01Z debug connecting with postgres://app:{LOG_PASSWORD}@postgres.data:5432/shop",
        f"2026-11-20T09:24:02Z debug login password={LOG_PASSWORD}",
        "2026-11-20T09:24:03Z ERROR dial tcp 10.96.45.12:5432: i/o timeout",
        "2026-11-20T09:24:04Z FATAL cannot start: database unreachable",
    ]
    current = [
        "2026-11-20T09:29:50Z info starting checkout v2",
        "2026-11-20T09:29:51Z info connecting to postgres.data.svc:5432",
    ]
    return {
        ("shop", CRASH_POD, "app", True): "\n".join(previous) + "\n",
        ("shop", CRASH_POD, "app", False): "\n".join(current) + "\n",
        ("shop", "checkout-7d9f8c6b5-aaaaa", "app", False): "2026-11-20T09:00:00Z info ready\n",
    }


def write_shop(root: Path) -> Path:
    return b.write_snapshot(root, shop_objects(), shop_logs())
