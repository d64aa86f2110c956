"""Routine log lines for healthy containers, so every running container has a believable log."""

from __future__ import annotations

from datetime import datetime, timedelta

from devkit.synth.ids import Ids
from devkit.synth.model import Container
from devkit.synth.pods import Pod

_PATHS = ["/healthz", "/api/items", "/api/items/{id}", "/metrics", "/api/status"]


def _kind(image: str) -> str:
    name = image.rsplit("/", 1)[-1].split(":")[0]
    for key in (
        "redis",
        "postgres",
        "coredns",
        "cilium",
        "hubble",
        "nginx",
        "prometheus",
        "node-exporter",
        "kube-state-metrics",
        "operator",
    ):
        if key in name:
            return key
    return "http"


def routine_lines(
    ids: Ids, pod: Pod, c: Container, start: datetime, end: datetime, count: int = 8
) -> list[tuple[datetime, str]]:
    """A few typical lines for this kind of container between `start` and `end`."""
    kind = _kind(c.image)
    rng = ids.rng(f"log/{pod.namespace}/{pod.name}/{c.name}")
    span = max((end - start).total_seconds(), 1)
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    lines = []
    for moment in moments:
        lines.append((moment, _line(kind, pod, c, rng, moment)))
    return lines


def startup_lines(pod: Pod, c: Container, started: datetime) -> list[tuple[datetime, str]]:
    kind = _kind(c.image)
    version = c.image.rsplit(":", 1)[-1] if ":" in c.image.rsplit("/", 1)[-1] else "latest"
    port = next((p["containerPort"] for p in c.spec.get("ports", [])), 8080)
    texts = {
        "redis": [
            "1:C 00 Redis version=7.2.5, bits=64, commit=00000000, modified=0, pid=1, just started",
            "1:M * Server initialized",
            "1:M * Ready to accept connections tcp",
        ],
        "postgres": [
            "LOG:  starting PostgreSQL 16.4 on x86_64-pc-linux-gnu",
            'LOG:  listening on IPv4 address "0.0.0.0", port 5432',
            "LOG:  database system is ready to accept connections",
        ],
    }.get(
        kind,
        [f'level=info msg="starting {c.name}" version={version}', f'level=info msg="listening" addr=:{port}'],
    )
    return [(started + timedelta(milliseconds=120 * (i + 1)), t) for i, t in enumerate(texts)]


def _line(kind: str, pod: Pod, c: Container, rng, moment: datetime) -> str:
    if kind == "redis":
        return (
            f"1:M * {rng.randint(1, 200)} changes in 300 seconds. Saving..."
            if rng.random() < 0.5
            else "1:M * Background saving terminated with success"
        )
    if kind == "postgres":
        return (
            f"LOG:  checkpoint complete: wrote {rng.randint(10, 900)} buffers ({rng.uniform(0, 3):.1f}%); "
            f"0 WAL file(s) added, 0 removed, 1 recycled"
        )
    if kind == "coredns":
        return (
            f"[INFO] 10.244.{rng.randint(0, 2)}.{rng.randint(10, 60)}:{rng.randint(30000, 60000)} - "
            f'{rng.randint(1, 65535)} "A IN {rng.choice(["redis.shop", "postgres.data", "catalog.shop"])}'
            f'.svc.cluster.local. udp 64 false 1232" NOERROR qr,aa,rd 106 0.000{rng.randint(100, 900)}s'
        )
    if kind in ("cilium", "hubble", "operator", "prometheus", "node-exporter", "kube-state-metrics"):
        return (
            f'time="{moment.strftime("%Y-%m-%dT%H:%M:%S")}Z" level=info msg="Periodic check completed" '
            f"subsys={c.name}"
        )
    if kind == "nginx":
        return (
            f"203.0.113.{rng.randint(2, 250)} - - [{moment.strftime('%d/%b/%Y:%H:%M:%S')} +0000] "
            f'"GET /{rng.choice(["", "cart", "products/42", "static/app.js"])} HTTP/1.1" 200 '
            f'{rng.randint(300, 9000)} "-" "Mozilla/5.0" {rng.randint(300, 900)} 0.0{rng.randint(10, 90)} '
            f"[shop-frontend-80] [] 10.244.{rng.randint(0, 2)}.{rng.randint(10, 60)}:8080 "
            f"{rng.randint(300, 9000)} 0.0{rng.randint(10, 90)} 200 {rng.getrandbits(64):016x}"
        )
    path = rng.choice(_PATHS).replace("{id}", str(rng.randint(1, 999)))
    return f'level=info msg="request" method=GET path={path} status=200 duration={rng.randint(2, 40)}ms'
