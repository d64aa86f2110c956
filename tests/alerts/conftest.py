"""Fixtures for the alerts receiver: the demo cluster opened once (its snapshot API server and Prometheus
start once), a recording Slack Web API per test, and receivers served on free 127.0.0.1 ports."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.alerts.handler import AlertHandler
from app.alerts.service import alerts_server, create_handler
from app.slack.clusters import ClusterPool
from devkit.mock_slack import MockSlack
from tools.contracts.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "app" / "demo" / "shop"
TOKEN = "alerts-test-token-7c1e"
CHANNEL = "C0ALERTS"


def alert_settings(database: Path, api_url: str = "http://127.0.0.1:9/api/", **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "llm": "none",
        "snapshot": str(DEMO),
        "database_url": f"sqlite:///{database}",
        "slack_bot_token": "xoxb-test-token",
        "slack_api_url": api_url,
        "alerts_channel": CHANNEL,
        "alerts_token": TOKEN,
        "alerts_group_interval_s": 0.0,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture(scope="session")
def demo_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterPool]:
    shared = ClusterPool(alert_settings(tmp_path_factory.mktemp("alerts-pool") / "h.db"))
    yield shared
    shared.close()


@pytest.fixture
def slack() -> Iterator[MockSlack]:
    with MockSlack() as mock:
        yield mock


@dataclass
class Receiver:
    url: str
    handler: AlertHandler

    @property
    def settings(self) -> Settings:
        return self.handler.settings

    def idle(self, timeout: float = 120.0) -> None:
        assert self.handler.executor.wait_idle(timeout), "the receiver did not finish in time"


ReceiverFactory = Callable[..., Receiver]


@pytest.fixture
def make_receiver(slack: MockSlack, demo_pool: ClusterPool, tmp_path: Path) -> Iterator[ReceiverFactory]:
    started: list[tuple[Any, AlertHandler]] = []

    def build(**extra: Any) -> Receiver:
        extra.setdefault("database", tmp_path / "history.db")
        pool = extra.pop("pool", demo_pool)
        settings = alert_settings(extra.pop("database"), slack.url, **extra)
        handler = create_handler(settings, pool=pool)
        server = alerts_server(handler, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append((server, handler))
        return Receiver(f"http://127.0.0.1:{server.server_address[1]}/alertmanager", handler)

    yield build
    for server, handler in started:
        server.shutdown()
        server.server_close()
        handler.close()
