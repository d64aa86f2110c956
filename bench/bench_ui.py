"""How long the chat page makes people wait, measured in a real browser on the demo cluster.

    python bench/bench_ui.py [--rounds 3]

Each round starts `kubewhy demo --no-browser` on a free port (a fresh process: nothing cached), opens the
page in headless Chromium (/usr/bin/chromium) at 1280x800 and prints: command start until the URL is
printed (Streamlit up), page open until the suggested questions show (session start: snapshot API server,
Prometheus backfill, one health review), and for each demo question the time from Enter until the answer
card is on screen. Then it stops the demo with Ctrl-C. Medians over the rounds are printed last.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
ARGS += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def one_round(questions: list[str]) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, float] = {}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "demo", "--port", str(free_port()), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "KUBEWHY_LLM": "none"},
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        figures["server ready (URL printed)"] = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            opened = time.perf_counter()
            page.goto(url)
            page.get_by_text("Suggested questions").wait_for(timeout=120_000)
            figures["first page load to suggested questions"] = time.perf_counter() - opened
            for number, question in enumerate(questions, start=1):
                box = page.get_by_test_id("stChatInputTextArea")
                box.fill(question)
                asked = time.perf_counter()
                box.press("Enter")
                answer = page.get_by_test_id("stChatMessage").nth(2 * number - 1)
                answer.get_by_text("Investigated in").wait_for(timeout=120_000)
                answer.get_by_text("Evidence ·").wait_for(timeout=120_000)
                figures[f"question {number}: Enter to answer card"] = time.perf_counter() - asked
            browser.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    truth = yaml.safe_load((ROOT / "app" / "demo" / "shop_truth.yaml").read_text())
    questions = [problem["question"] for problem in truth["problems"]]
    results = []
    for number in range(1, rounds + 1):
        figures = one_round(questions)
        results.append(figures)
        print(f"round {number}: " + ", ".join(f"{name} {value:.2f}s" for name, value in figures.items()))
    print(f"\nmedian of {rounds} round(s), {len(questions)} demo questions per round:")
    for name in results[0]:
        print(f"  {name}: {statistics.median(r[name] for r in results):.2f} s")


if __name__ == "__main__":
    main()
