"""The tiny cluster the Slack tests ask about: one Deployment whose pod crash-loops and whose log holds a
bearer token, a password and Slack markup that must never become a mention or a link."""

from __future__ import annotations

from pathlib import Path

from devkit.synth import ClusterBuilder
from devkit.synth.writer import write_snapshot

BEARER = "sekr3tBEARERtoken9911"
PASSWORD = "hunter2-in-the-log-4471"
HOSTILE = "<!channel> see <http://evil.example/phish|click here>"
CRASH_LOG = [
    "starting api v2",
    f"calling the auth service with Authorization: Bearer {BEARER}",
    f"connecting to the database with password={PASSWORD}",
    f"FATAL cannot start: missing DATABASE_URL, token={BEARER} {HOSTILE}",
]


def write_cluster(out: Path) -> Path:
    b = ClusterBuilder("lab", "2026-03-01T12:00:00Z", seed=5, window="30m")
    b.node("node-a")
    api = b.deployment("shop", "api", "reg.example.com/api:2.0", port=8080)
    api.pods[0].crash_loop(since="20m", exit_code=1, previous_log=CRASH_LOG)
    return write_snapshot(b, out)
