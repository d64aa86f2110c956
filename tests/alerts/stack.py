"""Real processes for the end-to-end alert tests, each on a free 127.0.0.1 port and stopped afterwards:
a Prometheus over the demo snapshot's samples with alerting rules, Debian's Alertmanager, a PostgreSQL,
and kubewhy's own commands."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tools.prometheus.local import find_binaries

ROOT = Path(__file__).resolve().parents[2]
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, what: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready: {log.read_text(errors='replace')[-2000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def prometheus_with_rules(
    metrics: list[Path], rules: str, alertmanager_port: int
) -> Iterator[tuple[str, Path]]:
    """Prometheus over ``metrics`` (backfilled with promtool), evaluating ``rules`` every second and
    sending alerts to the Alertmanager on ``alertmanager_port``. Yields its URL and the rules file (write
    it and POST /-/reload to change the rules)."""
    prometheus, promtool = find_binaries()
    work = Path(tempfile.mkdtemp(prefix="kubewhy-alert-prom-"))
    try:
        data = work / "data"
        data.mkdir()
        for path in metrics:
            subprocess.run(
                [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(path), str(data)],
                check=True,
                capture_output=True,
                timeout=300,
            )
        rules_file = work / "rules.yml"
        rules_file.write_text(rules)
        config = work / "prometheus.yml"
        config.write_text(
            "global: {evaluation_interval: 1s}\n"
            f"rule_files: [{rules_file}]\n"
            "alerting:\n  alertmanagers:\n"
            f"    - static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]\n"
        )
        port = free_port()
        log = work / "prometheus.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    prometheus,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={data}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--storage.tsdb.retention.time=100y",
                    "--rules.alert.resend-delay=1s",
                    "--web.enable-lifecycle",  # this test's own server: it reloads its rules
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(f"{url}/-/ready", process, "prometheus", log)
            yield url, rules_file
        finally:
            stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def alertmanager(port: int, webhook_url: str, token: str) -> Iterator[str]:
    """Alertmanager on ``port`` (no clustering) with one webhook receiver that sends the bearer token,
    short group timings and resolved notifications on."""
    assert ALERTMANAGER is not None
    work = Path(tempfile.mkdtemp(prefix="kubewhy-alertmanager-"))
    try:
        config = work / "alertmanager.yml"
        config.write_text(
            "route:\n"
            "  receiver: kubewhy\n"
            "  group_by: [alertname, namespace]\n"
            "  group_wait: 1s\n"
            "  group_interval: 2s\n"
            "  repeat_interval: 4s\n"
            "receivers:\n"
            "  - name: kubewhy\n"
            "    webhook_configs:\n"
            f"      - url: {webhook_url}\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization: {type: Bearer, credentials: " + token + "}\n"
        )
        log = work / "alertmanager.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [
                    ALERTMANAGER,
                    f"--config.file={config}",
                    f"--storage.path={work / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                    "--log.level=warn",
                ],
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(f"{url}/-/ready", process, "alertmanager", log)
            yield url
        finally:
            stop(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def kubewhy(args: list[str], env: dict[str, str], lines: int = 1) -> Iterator[list[str]]:
    """A kubewhy command as a real process; yields the URLs of the first ``lines`` "listening on" lines."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        urls = []
        for _ in range(lines):
            line = process.stdout.readline() if process.stdout else ""
            assert " listening on http://127.0.0.1:" in line, f"kubewhy {args[0]} did not start: {line!r}"
            urls.append(line.split(" on ", 1)[1].strip())
        yield urls
    finally:
        stop(process)


@contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server on a free port (as an unprivileged user when run as root); yields its URL."""

    def as_user(args: list[str]) -> list[str]:
        return ["runuser", "-u", "nobody", "--", *args] if os.geteuid() == 0 else args

    root = Path(tempfile.mkdtemp(prefix="kubewhy-alerts-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "nobody")
        data = root / "data"
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "kubewhy", "--no-sync"]
        done = subprocess.run(as_user(initdb), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        port = free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        pg_ctl = str(PG_BIN / "pg_ctl")
        start = [pg_ctl, "-D", str(data), "-o", options, "-w", "-t", "60", "-l", str(root / "log"), "start"]
        started = subprocess.run(as_user(start), capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        try:
            yield f"postgresql+psycopg://kubewhy@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(as_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
