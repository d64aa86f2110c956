"""The bot's small parts: /kubewhy parsing, allow-lists, the rate limit, the channel → cluster map."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.sessions import Target, parse_target
from app.slack.clusters import ClusterPool
from app.slack.commands import BadCommand, Help, Question, RunbookCall, parse_command
from app.slack.guard import AccessPolicy, RateLimiter
from app.slack.threads import ThreadStore
from tools.contracts.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Help()),
        ("help", Help()),
        ("  why is   checkout slow? ", Question("why is checkout slow?")),
        ("runbook", RunbookCall("")),
        ("runbook list", RunbookCall("")),
        (
            "runbook pod-restarting namespace=shop workload=api",
            RunbookCall("pod-restarting", {"namespace": "shop", "workload": "api"}),
        ),
        ('runbook slow note="two words"', RunbookCall("slow", {"note": "two words"})),
        ("runbooks", RunbookCall("")),
    ],
)
def test_parse_command(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "message"), [("runbook x shop", "`shop` is not key=value"), ('runbook x a="b', "quote")]
)
def test_bad_runbook_syntax_says_what_to_type(text: str, message: str) -> None:
    with pytest.raises(BadCommand, match=message):
        parse_command(text)


def test_empty_allow_lists_allow_everyone() -> None:
    assert AccessPolicy().refusal("U1", "C1") is None
    assert AccessPolicy().refusal("U1", "D1", "im") is None


def test_allow_lists() -> None:
    policy = AccessPolicy.from_settings(
        Settings(slack_allowed_users=["@U1", "U2"], slack_allowed_channels=["#C1", "dm"])
    )
    assert policy.refusal("U1", "C1") is None
    assert policy.refusal("U2", "D9", "im") is None
    assert "not on that list" in (policy.refusal("U3", "C1") or "")
    assert "not enabled in this channel" in (policy.refusal("U1", "C2") or "")
    no_dm = AccessPolicy(allowed_channels=frozenset({"C1"}))
    assert "direct messages" in (no_dm.refusal("U1", "D9") or "")


def test_rate_limit_is_a_sliding_minute_per_user() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, clock=lambda: now[0])
    assert limiter.refusal("U1") is None
    assert limiter.refusal("U1") is None
    refused = limiter.refusal("U1")
    assert refused is not None and "about 60 s" in refused
    assert limiter.refusal("U2") is None  # per user
    now[0] += 60.0
    assert limiter.refusal("U1") is None
    assert RateLimiter(0).refusal("U1") is None  # 0 = no limit


def test_parse_target(tmp_path: Path) -> None:
    assert parse_target("prod") == Target(context="prod")
    assert parse_target("context:./x") == Target(context="./x")
    assert parse_target(f"snapshot:{tmp_path}/missing") == Target(snapshot=f"{tmp_path}/missing")
    assert parse_target(str(tmp_path)) == Target(snapshot=str(tmp_path))


def test_channels_map_to_clusters_with_a_default(tmp_path: Path) -> None:
    settings = Settings(context="staging", slack_channel_clusters={"#C1": "prod", "C2": str(tmp_path)})
    pool = ClusterPool(settings)
    assert pool.target_for("C1") == Target(context="prod")
    assert pool.target_for("C2") == Target(snapshot=str(tmp_path))
    assert pool.target_for("C3") == Target(context="staging")
    explicit = ClusterPool(Settings(context="staging", slack_channel_clusters={"default": "prod"}))
    assert explicit.target_for("C3") == Target(context="prod")


def test_thread_store_forgets_the_oldest_threads() -> None:
    store = ThreadStore(context_window=1000, capacity=2)
    first = store.start("C1", "1.0", Target(context="a"))
    assert store.start("C1", "1.0", Target(context="b")) is first  # the thread keeps its cluster
    store.start("C1", "2.0", Target())
    store.start("C1", "3.0", Target())
    assert store.get("C1", "1.0") is None and store.get("C1", "3.0") is not None


def test_the_manifest_asks_for_what_the_bot_uses() -> None:
    import yaml

    import app.slack

    manifest = yaml.safe_load((Path(app.slack.__file__).parent / "manifest.yaml").read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {"app_mentions:read", "chat:write", "im:history", "im:read", "commands", "files:write"}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention", "message.im"}
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/kubewhy"]
    assert manifest["settings"]["socket_mode_enabled"] is True
