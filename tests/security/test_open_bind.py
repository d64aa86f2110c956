"""A trusted sign-in header (KUBEWHY_AUTH_HEADER) is only safe where the proxy that sets it is the only way
in: the page refuses to serve it on an address others can reach, unless KUBEWHY_AUTH_PROXY_IN_FRONT says
so; `kubewhy ui --host auto` (the image's default command) listens on 127.0.0.1 when the header is trusted.

The forgery is tried for real: the page as the old image ran it (`streamlit run ... --server.address=0.0.0.0`)
on the demo snapshot, reached directly by headless Chromium sending a made-up user in the header.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app
from app.demo import SHOP_SNAPSHOT
from tools.contracts.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "app" / "ui" / "main.py"
CHROMIUM = "/usr/bin/chromium"
HEADER = "X-Forwarded-Email"
OPEN = ["0.0.0.0", "::", "", None, "10.1.2.3", "192.168.0.7", "kubewhy.example", "fe80::1"]
LOOPBACK = ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reachable_address() -> str:
    """This machine's address on its network (what a pod IP is), or loopback when it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBEWHY_")}
    env.update(
        PYTHONPATH=str(ROOT),
        KUBEWHY_LLM="none",
        KUBEWHY_SNAPSHOT=str(SHOP_SNAPSHOT),
        KUBEWHY_DATABASE_URL=f"sqlite:///{tmp_path / 'history.db'}",
        **extra,
    )
    return env


@pytest.mark.parametrize("address", OPEN)
def test_a_trusted_header_on_an_open_address_is_a_problem(address):
    problem = Settings(auth_header=HEADER).open_bind_problem(address)
    assert problem and HEADER in problem and "KUBEWHY_AUTH_PROXY_IN_FRONT" in problem
    assert Settings(auth_header=HEADER, auth_proxy_in_front=True).open_bind_problem(address) is None
    assert Settings().open_bind_problem(address) is None  # nothing trusted, nothing to forge


@pytest.mark.parametrize("address", LOOPBACK)
def test_a_trusted_header_on_loopback_is_fine(address):
    assert Settings(auth_header=HEADER).open_bind_problem(address) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3"])
def test_kubewhy_ui_refuses_a_trusted_header_on_an_open_address_in_one_line(monkeypatch, host):
    monkeypatch.setenv("KUBEWHY_AUTH_HEADER", HEADER)
    monkeypatch.delenv("KUBEWHY_AUTH_PROXY_IN_FRONT", raising=False)
    result = CliRunner().invoke(app, ["ui", "--host", host, "--port", "0", "--no-browser"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"kubewhy: --host {host}: KUBEWHY_AUTH_HEADER ({HEADER})")
    assert "KUBEWHY_AUTH_PROXY_IN_FRONT=true" in lines[0]


def test_the_image_default_listens_on_loopback_when_the_header_is_trusted(tmp_path):
    """The Dockerfile's command, with the manifests' KUBEWHY_AUTH_HEADER: the page binds 127.0.0.1."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in dockerfile.splitlines() if line.startswith("CMD"))
    assert "0.0.0.0" not in cmd and '"--host", "auto"' in cmd
    page = yaml.safe_load_all((ROOT / "deploy" / "base" / "page.yaml").read_text())
    [deployment] = [d for d in page if d and d["kind"] == "Deployment"]
    [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "page"]
    assert "--server.address=127.0.0.1" in container["command"]
    port = _free_port()
    command = [sys.executable, "-m", "app.cli", "ui", "--no-browser", "--host", "auto", "--port", str(port)]
    process = subprocess.Popen(
        command,
        env=_env(tmp_path, KUBEWHY_AUTH_HEADER=HEADER),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().endswith(f"http://127.0.0.1:{port}"), line
        address = _reachable_address()
        if address != "127.0.0.1":  # the port is not open on the machine's network address
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://{address}:{port}/_stcore/health", timeout=2)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the system Chromium")
def test_a_forged_header_sent_straight_to_an_open_page_is_refused(tmp_path):
    from playwright.sync_api import sync_playwright

    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(MAIN), "--server.address=0.0.0.0"]
    command += [f"--server.port={port}", "--server.headless=true", "--browser.gatherUsageStats=false"]
    process = subprocess.Popen(
        command,
        env=_env(tmp_path, KUBEWHY_AUTH_HEADER=HEADER),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://{_reachable_address()}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                context = browser.new_context(extra_http_headers={HEADER: "ceo@example.com"})
                page = context.new_page()
                page.goto(url)
                page.locator("[data-testid=stAlert], [data-testid=stChatInputTextArea]").first.wait_for(
                    timeout=60_000
                )
                page.wait_for_timeout(1000)
                body = page.inner_text("body")
                chat_inputs = page.get_by_test_id("stChatInputTextArea").count()
            finally:
                browser.close()
        assert "This page refuses to serve" in body and "KUBEWHY_AUTH_PROXY_IN_FRONT" in body
        assert chat_inputs == 0  # nothing of the page was served to the forged user
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
