"""A real, throw-away Prometheus over a snapshot's ``metrics/*.om`` files.

The samples are backfilled with ``promtool tsdb create-blocks-from openmetrics`` into a fresh temporary
TSDB, then ``prometheus`` serves it on a free 127.0.0.1 port with no scrape targets, no admin API and no
lifecycle API, and a retention long enough to keep old samples. Everything lives in one temporary
directory that is removed when the server stops.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

INSTALL_HINT = "install them with `apt-get install prometheus` (Debian/Ubuntu) or put both on PATH"
_MINIMAL_CONFIG = (
    "# kubewhy snapshot Prometheus: serves backfilled samples only, scrapes nothing\nglobal: {}\n"
)
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class PrometheusUnavailable(RuntimeError):
    """Metrics cannot be served; callers report "metrics unavailable: <this>" and carry on without them."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.reason}; {self.hint}" if self.hint else self.reason


class BackfillFailed(PrometheusUnavailable):
    """promtool rejected a metrics file (bad OpenMetrics)."""


class StartupFailed(PrometheusUnavailable):
    """prometheus exited or did not become ready."""


@dataclass
class LocalPrometheus:
    """A running snapshot Prometheus. Use as a context manager, or call ``stop()``."""

    url: str
    captured_at: datetime
    process: subprocess.Popen[bytes]
    workdir: Path
    startup_s: float = 0.0  # backfill + start + ready
    backfill_s: float = 0.0
    _finalizer: weakref.finalize = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Stops the server even if the caller forgets (or the interpreter exits).
        self._finalizer = weakref.finalize(self, _shutdown, self.process, self.workdir)

    def access(self, timeout_s: float = 15.0):  # -> PrometheusAccess (imported lazily: no cycle)
        """A read-only client evaluating every query at the snapshot's capturedAt."""
        from tools.prometheus.client import PrometheusAccess

        return PrometheusAccess(self.url, fixed_time=self.captured_at, timeout_s=timeout_s, trust_env=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Terminate (then kill) the server and delete its data directory. Safe to call twice."""
        self._finalizer()

    def __enter__(self) -> LocalPrometheus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def find_binaries() -> tuple[str, str]:
    """Paths of ``prometheus`` and ``promtool``; PrometheusUnavailable (with the install hint) if absent."""
    found = {name: shutil.which(name) for name in ("prometheus", "promtool")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise PrometheusUnavailable(f"{' and '.join(missing)} not found on PATH", INSTALL_HINT)
    return found["prometheus"], found["promtool"]  # type: ignore[return-value]


def start_local_prometheus(
    metrics_files: Sequence[Path], captured_at: datetime, *, ready_timeout_s: float = 30.0
) -> LocalPrometheus:
    """Backfill the files into a fresh TSDB and start Prometheus on it; return once it is ready."""
    prometheus, promtool = find_binaries()
    files = [Path(f) for f in metrics_files]
    if not files:
        raise PrometheusUnavailable("the snapshot has no metrics/*.om files")
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="kubewhy-prometheus-"))
    try:
        data_dir = workdir / "data"
        data_dir.mkdir()
        _backfill(promtool, files, data_dir)
        backfilled = time.perf_counter()
        config = workdir / "prometheus.yml"
        config.write_text(_MINIMAL_CONFIG)
        process, url = _serve(prometheus, config, data_dir, workdir, ready_timeout_s)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return LocalPrometheus(
        url=url,
        captured_at=captured_at,
        process=process,
        workdir=workdir,
        startup_s=time.perf_counter() - started,
        backfill_s=backfilled - started,
    )


def _backfill(promtool: str, files: list[Path], data_dir: Path) -> None:
    """One promtool call per file, in parallel (each writes its own uniquely named blocks)."""

    def run(path: Path) -> tuple[Path, subprocess.CompletedProcess[bytes]]:
        command = [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(path), str(data_dir)]
        return path, subprocess.run(command, capture_output=True, timeout=600, check=False)

    workers = max(1, min(len(files), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, files))
    for path, done in results:
        if done.returncode != 0:
            detail = _tail(done.stderr or done.stdout)
            raise BackfillFailed(
                f"{path.name}: promtool could not import the samples: {detail}",
                "metrics files must be OpenMetrics with timestamps in seconds, in time order, "
                "ending in # EOF",
            )


def _serve(
    prometheus: str, config: Path, data_dir: Path, workdir: Path, ready_timeout_s: float
) -> tuple[subprocess.Popen[bytes], str]:
    """Start prometheus on a free port (retrying if another process grabs the port first)."""
    log_path = workdir / "prometheus.log"
    for _attempt in range(3):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        command = [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y",
            "--log.level=warn",
        ]
        with open(log_path, "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        if _wait_ready(url, process, ready_timeout_s):
            return process, url
        _shutdown(process, None)
        log_text = log_path.read_text(errors="replace")
        if "address already in use" not in log_text:
            raise StartupFailed(f"prometheus did not become ready: {_tail(log_text.encode())}")
    raise StartupFailed("prometheus could not bind a free 127.0.0.1 port (3 attempts)")


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with _NO_PROXY.open(f"{url}/-/ready", timeout=1.0) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _shutdown(process: subprocess.Popen[bytes], workdir: Path | None) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def _tail(output: bytes, lines: int = 3) -> str:
    text = output.decode("utf-8", errors="replace").strip().splitlines()
    return " | ".join(text[-lines:]) or "no output"
