"""Scenarios where a workload's own pods are broken: crashes, OOM kills, images, config, probes."""

from __future__ import annotations

from devkit.scenarios import distractors as d
from devkit.scenarios.background import REGISTRY, cluster
from devkit.scenarios.catalog import scenario
from devkit.synth import secret_ref


@scenario(
    "crash-missing-env",
    "invoices api keeps restarting since the deploy, what's going on??",
    culprit=("Deployment", "billing", "invoices"),
    category="AppCrash",
)
def crash_missing_env():
    """invoices 5.2.0 reads INVOICE_BUCKET, which the Deployment does not set: it exits at start-up."""
    b = cluster("crash-missing-env", seed=101, packs=("shop", "data", "billing"))
    noise = [d.old_restart(b, "shop/cart", at="6h"), d.resolved_probe_warning(b, "shop/catalog")]
    dep = b.workload("billing/invoices")
    rs = dep.rollout("22m", image=f"{REGISTRY}/billing/invoices:5.2.0", complete=False)
    rs.pods[0].crash_loop(
        "22m",
        exit_code=1,
        previous_log=[
            '{"level":"info","ts":"startup","msg":"invoices 5.2.0 starting"}',
            '{"level":"info","msg":"connecting to database"}',
            "Traceback (most recent call last):",
            '  File "/app/invoices/main.py", line 14, in <module>',
            "    settings = Settings.from_env()",
            '  File "/app/invoices/settings.py", line 31, in from_env',
            '    bucket=os.environ["INVOICE_BUCKET"],',
            "KeyError: 'INVOICE_BUCKET'",
        ],
    )
    return b, noise


@scenario(
    "crash-secret-key-missing",
    "billing worker won't come up after we rotated the db password",
    culprit=("Deployment", "billing", "billing-worker"),
    category="MissingConfig",
    chain=["Pod/billing/billing-worker-*", "Secret/billing/billing-db"],
)
def crash_secret_key_missing():
    """The rotation rewrote Secret billing-db without the key `password` that the new worker reads."""
    b = cluster("crash-secret-key-missing", seed=102, packs=("shop", "data", "billing"))
    noise = [d.old_oom(b, "shop/catalog", at=("110m",)), d.old_restart(b, "billing/invoices", at="7h")]
    dep = b.workload("billing/billing-worker")
    rs = dep.rollout(
        "16m",
        env={
            "DATABASE_URL": secret_ref("billing-db", "url"),
            "DB_PASSWORD": secret_ref("billing-db", "password"),
        },
        complete=False,
    )
    rs.pods[0].config_error("16m", "couldn't find key password in Secret billing/billing-db")
    return b, noise


@scenario(
    "configmap-missing",
    "thumbnailer pods stuck in ContainerCreating forever",
    culprit=("Deployment", "media", "thumbnailer"),
    category="MissingConfig",
)
def configmap_missing():
    """The thumbnailer now mounts ConfigMap thumbnailer-presets, which was never created."""
    b = cluster("configmap-missing", seed=103, packs=("shop", "media"))
    noise = [d.old_restart(b, "media/uploads", at="9h")]
    dep = b.workload("media/thumbnailer")
    template = dep.template["spec"]
    template.setdefault("volumes", []).append(
        {"name": "presets", "configMap": {"defaultMode": 420, "name": "thumbnailer-presets"}}
    )
    template["containers"][0].setdefault("volumeMounts", []).append(
        {"mountPath": "/etc/presets", "name": "presets"}
    )
    rs = dep.rollout("14m", complete=False)
    pod = rs.pods[0]
    pod.container().runs = []
    b.event(
        pod,
        "FailedMount",
        'MountVolume.SetUp failed for volume "presets" : configmap "thumbnailer-presets" not found',
        "Warning",
        9,
        "14m",
        "40s",
    )
    return b, noise


@scenario(
    "image-pull-auth",
    "new uploads release stuck, pods never start",
    culprit=("Deployment", "media", "uploads"),
    category="ImagePull",
)
def image_pull_auth():
    """uploads 1.0.0 moved to a private repository; the Deployment has no imagePullSecret for it."""
    b = cluster("image-pull-auth", seed=104, packs=("shop", "media"))
    noise = [d.resolved_probe_warning(b, "shop/frontend"), d.old_restart(b, "media/thumbnailer", at="4h")]
    dep = b.workload("media/uploads")
    rs = dep.rollout("12m", image="ghcr.io/example-private/uploads:1.0.0", complete=False)
    rs.pods[0].image_pull_error("12m", not_found=False)
    return b, noise


@scenario(
    "image-tag-typo",
    "catalog deploy is hanging, 1 pod never gets ready",
    culprit=("Deployment", "shop", "catalog"),
    category="ImagePull",
)
def image_tag_typo():
    """catalog was released as tag 1.10.0-rc1 that was never pushed."""
    b = cluster("image-tag-typo", seed=105, packs=("shop", "data"))
    noise = [d.old_oom(b, "shop/cart", at=("105m",))]
    dep = b.workload("shop/catalog")
    rs = dep.rollout("30m", image=f"{REGISTRY}/shop/catalog:1.10.0-rc1", complete=False)
    rs.pods[0].image_pull_error("30m")
    return b, noise


@scenario(
    "liveness-wrong-port",
    "checkout pods restart every couple of minutes but logs look clean",
    culprit=("Deployment", "shop", "checkout"),
    category="ProbeFailure",
)
def liveness_wrong_port():
    """checkout 2.4.0's liveness probe points at port 8081, where nothing listens: the kubelet kills it."""
    b = cluster("liveness-wrong-port", seed=106, packs=("shop", "data"))
    noise = [d.old_restart(b, "shop/cart", at="8h"), d.resolved_probe_warning(b, "shop/catalog")]
    dep = b.workload("shop/checkout")
    dep.template["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"] = 8081
    rs = dep.rollout("35m", image=f"{REGISTRY}/shop/checkout:2.4.0")
    for index, pod in enumerate(rs.pods):
        c = pod.container()
        pod.crash_loop(
            "33m", exit_code=137, reason="Error", run_seconds=75, running_for=f"{20 + index * 17}s"
        )
        c.unready_since = None
        b.event(
            pod,
            "Unhealthy",
            f'Liveness probe failed: Get "http://{pod.ip}:8081/healthz": dial tcp {pod.ip}:8081: connect: '
            "connection refused",
            "Warning",
            36,
            "33m",
            "15s",
            field_path="spec.containers{checkout}",
        )
        b.event(
            pod,
            "Killing",
            "Container checkout failed liveness probe, will be restarted",
            "Normal",
            12,
            "32m",
            "50s",
            field_path="spec.containers{checkout}",
        )
        pod.log(
            [
                'level=info msg="starting checkout" version=2.4.0',
                'level=info msg="listening" addr=:8080',
                'level=info msg="request" method=POST path=/api/orders status=201 duration=41ms',
                'level=info msg="shutting down: received terminated signal"',
            ],
            previous=True,
        )
    return b, noise
