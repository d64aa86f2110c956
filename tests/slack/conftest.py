"""Fixtures for the Slack bot tests: the tiny cluster, one shared cluster pool (its snapshot server and
Prometheus start once), a recording Slack Web API per test, and bots built on them."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from app.slack.bot import SlackBot, create_bot
from app.slack.clusters import ClusterPool
from devkit.mock_slack import MockSlack
from devkit.slack_requests import SECRET
from tests.slack.cluster import write_cluster
from tools.contracts.settings import Settings

DEAD_CHANNEL = "C0DEAD"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def cluster_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cluster(tmp_path_factory.mktemp("slack-cluster"))


@pytest.fixture(scope="session")
def dead_kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dead") / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\n"
        f"clusters: [{{name: dead, cluster: {{server: 'http://127.0.0.1:{_closed_port()}'}}}}]\n"
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]\n"
        "users: [{name: u, user: {token: not-a-real-token}}]\n"
    )
    return path


def bot_settings(
    cluster_dir: Path, kubeconfig: Path, api_url: str = "http://127.0.0.1:9/api/", **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "llm": "none",
        "database_url": f"sqlite:///{kubeconfig.parent / 'history.db'}",
        "kubeconfig": str(kubeconfig),
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": api_url,
        "slack_channel_clusters": {"default": str(cluster_dir), DEAD_CHANNEL: "context:dead"},
        "slack_rate_limit_per_minute": 100,
    }
    values.update(extra)
    return Settings(**values)


@pytest.fixture(scope="session")
def pool(cluster_dir: Path, dead_kubeconfig: Path) -> Iterator[ClusterPool]:
    shared = ClusterPool(bot_settings(cluster_dir, dead_kubeconfig))
    yield shared
    shared.close()


@pytest.fixture
def slack() -> Iterator[MockSlack]:
    with MockSlack() as mock:
        yield mock


BotFactory = Callable[..., SlackBot]


@pytest.fixture
def make_bot(
    slack: MockSlack, pool: ClusterPool, cluster_dir: Path, dead_kubeconfig: Path, tmp_path: Path
) -> Iterator[BotFactory]:
    bots: list[SlackBot] = []

    def build(ask_fn: Any = None, **extra: Any) -> SlackBot:
        extra.setdefault("database_url", f"sqlite:///{tmp_path / 'history.db'}")
        settings = bot_settings(cluster_dir, dead_kubeconfig, slack.url, **extra)
        bot = create_bot(settings, pool=pool, **({"ask_fn": ask_fn} if ask_fn else {}))
        bots.append(bot)
        return bot

    yield build
    for bot in bots:
        bot.close()


def run(bot: SlackBot, request: BoltRequest, timeout: float = 30.0) -> BoltResponse:
    """Dispatch as Slack would, then wait until the bot has finished everything the request started."""
    response = bot.app.dispatch(request)
    assert bot.executor.wait_idle(timeout), "the bot did not finish in time"
    return response
