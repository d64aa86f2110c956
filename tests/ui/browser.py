"""Driving `kubewhy demo` in headless Chromium (the system /usr/bin/chromium; never a downloaded browser):
start it on a free 127.0.0.1 port with its own history, ask questions, read what the page shows."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo(port: int, log: Path) -> tuple[subprocess.Popen[str], str]:
    """`kubewhy demo --no-browser` with no model and a history of its own; returns it and its URL."""
    history = f"sqlite:///{log.parent / 'history.db'}"  # the History page lists only this demo's runs
    env = {**os.environ, "KUBEWHY_LLM": "none", "KUBEWHY_DATABASE_URL": history}
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # the command prints the URL once the page answers
    assert line.startswith("kubewhy is ready on the demo cluster shop-prod: "), (line, log.read_text())
    return process, line.rsplit(" ", 1)[1].strip()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def wait_until_idle(page) -> None:
    """Until the page's script run is over (Streamlit marks the app root while it runs)."""
    page.locator("[data-testid=stApp][data-test-script-state=notRunning]").wait_for(timeout=WAIT_MS)


def ask(page, question: str, answers: int) -> None:
    """Type ``question`` into the chat box; return once the ``answers``-th answer is drawn."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    messages = page.get_by_test_id("stChatMessage")
    messages.nth(2 * answers - 1).get_by_text("Investigated in").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    page.wait_for_timeout(800)  # let the charts draw


def assert_answer_starts_in_view(page, message) -> None:
    """After an answer, the page shows its start (not the bottom of the page): the top of the new
    assistant message is inside the upper half of the window, once the page's scroll script has placed
    it and the browser has finished laying the answer out (its height and place unchanged for a second)."""
    pinned = "e => e.dataset.kubewhyPinned === '1'"
    page.wait_for_function(pinned, arg=message.element_handle(), timeout=WAIT_MS)
    wait_until_still(page, message)
    top, let_go = message.evaluate("e => [e.getBoundingClientRect().top, e.dataset.kubewhyLetGo]")
    assert -1 <= top < page.viewport_size["height"] / 2, (
        f"the new answer starts at y={top} (let go: {let_go})"
    )


def wait_until_still(page, element, seconds: float = 1.0) -> None:
    """Until ``element`` has kept its height and its place in the window for ``seconds`` (charts and grids
    draw late on a busy box, and the chat's own stick-to-bottom scroll runs for a moment after each)."""
    last, since = None, time.monotonic()
    deadline = since + WAIT_MS / 1000
    while time.monotonic() < deadline:
        shape = element.evaluate("e => [e.offsetHeight, Math.round(e.getBoundingClientRect().top)]")
        if shape != last:
            last, since = shape, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        page.wait_for_timeout(100)


SCROLL_TO_TOP = """(e, top) => {
    const scrolls = b => b.scrollHeight > b.clientHeight && /auto|scroll/.test(getComputedStyle(b).overflowY);
    let box = e.parentElement;
    while (box && !scrolls(box)) box = box.parentElement;
    (box || document.scrollingElement).scrollBy(0, e.getBoundingClientRect().top - top);
}"""


def show(page, element) -> None:
    """Scroll the page until ``element`` starts near the top (below Streamlit's header).

    It scrolls the element's own scrolling container from script rather than with the mouse wheel: a
    wheel event is only done once the renderer has handled it, which a busy grid can hold up for minutes,
    and over a table or chart the wheel would scroll that grid's rows instead of the page.
    """
    for _ in range(5):
        if abs(element.evaluate("e => e.getBoundingClientRect().top") - 70) < 20:
            break
        element.evaluate(SCROLL_TO_TOP, 70)
        page.wait_for_timeout(150)
    page.wait_for_timeout(400)


def open_until_shown(header, content, tries: int = 4) -> None:
    """Click an expander's ``header`` until its ``content`` is visible: a click while the page still
    reruns can be undone by the rerun (the expander redrawn closed), which a reader would just click again."""
    for _ in range(tries):
        header.click()
        try:
            content.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeout:
            continue
    content.wait_for(state="visible", timeout=WAIT_MS)


def show_grid(page, table) -> None:
    """Bring a data grid into view until it has put its hidden accessible table into the page (it draws
    its cells only while in view): scrolled again while a late layout moves it, within ``WAIT_MS``."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        show(page, table)
        try:
            table.locator("th").first.wait_for(state="attached", timeout=5_000)
            return
        except PlaywrightTimeout:
            if time.monotonic() > deadline:
                page.screenshot(path=ARTIFACTS / "grid-not-drawn.png")
                drawn = table.evaluate("e => e.innerHTML.slice(0, 800)")
                raise AssertionError(f"the grid drew no table in {WAIT_MS} ms: {drawn}") from None


def pick(page, label: str, name: str) -> None:
    """Choose ``name`` in the form's picker ``label``, as a person does: open it, click the option."""
    page.get_by_label(label, exact=True).click(timeout=WAIT_MS)
    page.get_by_role("option", name=name, exact=True).click(timeout=WAIT_MS)


def run_pod_restarting_runbook(page, base_url: str) -> None:
    """Open the Runbooks page by its own address and run the bundled pod-restarting runbook on
    shop/payments; returns once its answer is drawn and names the payments Deployment."""
    page.goto(base_url.rstrip("/") + "/runbooks")
    page.get_by_label("Runbook", exact=True).click(timeout=WAIT_MS)
    page.get_by_role("option", name=re.compile("^pod-restarting")).click()
    pick(page, "namespace *", "shop")
    pick(page, "workload *", "payments")  # its list follows the namespace chosen
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Runbook pod-restarting ran in").wait_for(timeout=WAIT_MS)
    wait_until_idle(page)
    assert "fix: Deployment shop/payments" in page.get_by_test_id("stMain").inner_text()
