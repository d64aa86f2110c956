"""Which cluster a channel asks about: the engine's session pool with the bot's channel map.

``slack_channel_clusters`` maps a channel id to a kubeconfig context or a snapshot path (see
:func:`app.sessions.parse_target`). The key ``default`` (or the settings' own snapshot/context) is used
for every other channel.
"""

from __future__ import annotations

from app.sessions import SessionPool, Target, parse_target
from tools.contracts.settings import Settings

DEFAULT_KEY = "default"


class ClusterPool(SessionPool):
    """Channel → target → one shared session (:class:`app.sessions.SessionPool`)."""

    def __init__(self, settings: Settings) -> None:
        mapping = dict(settings.slack_channel_clusters)
        default = mapping.pop(DEFAULT_KEY, None)
        super().__init__(settings, parse_target(default) if default else None)
        self.channels = {channel.lstrip("#"): parse_target(value) for channel, value in mapping.items()}

    def target_for(self, channel: str) -> Target:
        return self.channels.get(channel, self.default)
