"""The one settings object: `KUBEWHY_*` environment variables, then an optional `kubewhy.yaml`, then defaults.

Read it once (``Settings.load()``) at the edge of the program and pass it down; nothing else reads the
environment.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from tools.contracts.pricing import ModelPrice

_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")  # an RFC 1123 label


def _is_loopback(address: str | None) -> bool:
    if not address:
        return False  # unset: Streamlit and most servers listen on every address
    if address.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


class ConfigError(ValueError):
    """The configuration cannot be used (a missing config file, a value of the wrong type)."""


def _config_file() -> Path | None:
    explicit = os.environ.get("KUBEWHY_CONFIG")
    if explicit:
        if not Path(explicit).is_file():
            raise ConfigError(f"KUBEWHY_CONFIG={explicit}: no such file")
        return Path(explicit)
    default = Path("kubewhy.yaml")
    return default if default.is_file() else None


def _default_database_url() -> str:
    data_home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return f"sqlite:///{data_home / 'kubewhy' / 'kubewhy.db'}"


class AlertRoute(BaseModel):
    """One row of the alerts routing table: every condition given must hold for ``channel`` to be used."""

    model_config = ConfigDict(extra="forbid")

    channel: str
    receiver: str | None = None  # the Alertmanager receiver the notification was sent for
    namespace: str | None = None  # the group's namespace label
    match: dict[str, str] = {}  # labels every alert of the group shares (commonLabels)

    def matches(self, receiver: str, common_labels: dict[str, str]) -> bool:
        if self.receiver is not None and self.receiver != receiver:
            return False
        if self.namespace is not None and common_labels.get("namespace") != self.namespace:
            return False
        return all(common_labels.get(key) == value for key, value in self.match.items())


class Settings(BaseSettings):
    """Everything a deployment can set. Fixed names are in docs contracts section 5."""

    model_config = SettingsConfigDict(env_prefix="KUBEWHY_", extra="ignore", populate_by_name=True)

    # --- model -----------------------------------------------------------------------------------
    llm: Literal["auto", "none", "openai", "azure"] = "auto"
    model: str = "gpt-4o-mini"
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    azure_openai_endpoint: str | None = Field(None, validation_alias=AliasChoices("AZURE_OPENAI_ENDPOINT"))
    azure_openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("AZURE_OPENAI_API_KEY")
    )
    azure_openai_ad_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("AZURE_OPENAI_AD_TOKEN", "azure_openai_ad_token")
    )  # an Entra ID access token, when something else (a sidecar, a pipeline) obtained it
    openai_api_version: str | None = Field(None, validation_alias=AliasChoices("OPENAI_API_VERSION"))
    temperature: float = 0.0
    request_timeout_s: float = 60.0
    max_retries: int = 2
    context_window: int = 128_000
    # USD per million tokens by model name, over the defaults in tools/contracts/pricing.py.
    # Env: KUBEWHY_PRICES='{"my-deployment": {"input": 2.5, "cached_input": 1.25, "output": 10}}'
    prices: dict[str, ModelPrice] = {}

    # --- budgets ---------------------------------------------------------------------------------
    tool_output_tokens: int = 2000
    max_tool_calls: int = 12
    max_input_tokens: int = 60_000
    question_timeout_s: float = 120.0
    max_question_chars: int = 4000
    anonymize: bool = False  # pseudonyms instead of names and IPs in all the model reads

    # --- data sources ----------------------------------------------------------------------------
    kubeconfig: str | None = None
    context: str | None = None
    snapshot: str | None = None
    prometheus_url: str | None = None
    # Where people open Prometheus and Grafana in their browser (the page links a query there); kubewhy
    # itself never reads them. Grafana: its base URL, and the uid of the Prometheus data source in it.
    prometheus_public_url: str | None = None
    grafana_url: str | None = None
    grafana_datasource: str = "prometheus"
    hubble_address: str | None = None
    hubble_tls: bool = False
    hubble_ca_file: str | None = None
    # The only namespaces kubewhy may read (the namespace-scoped install): namespaced kinds are listed in
    # these, never cluster-wide. Empty = the whole cluster. Env: a JSON list or "shop,data".
    namespaces: Annotated[list[str], NoDecode] = []

    # --- surfaces --------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str = "https://slack.com/api/"
    slack_allowed_channels: list[str] = []
    slack_allowed_users: list[str] = []
    slack_channel_clusters: dict[str, str] = {}
    slack_rate_limit_per_minute: int = 6

    # `kubewhy mcp --transport http`: the bearer token clients must send (without it: 127.0.0.1 only),
    # how many client sessions may be open at once, and the Host header values (host:port, or host:* for
    # any port) accepted besides loopback and the bound address (DNS-rebinding protection).
    mcp_token: SecretStr | None = None
    mcp_max_sessions: int = Field(8, ge=1)
    mcp_allowed_hosts: list[str] = []
    # Alertmanager webhooks (`kubewhy alerts`): where threads go, what the sender must present, guards.
    alerts_channel: str | None = None  # the channel when no route matches
    alerts_token: SecretStr | None = None  # bearer token or basic-auth password Alertmanager sends
    # Routes, first match wins: {"channel": ..., "receiver": ..., "namespace": ..., "match": {label: value}}
    alerts_routes: list[AlertRoute] = []
    alerts_max_body_bytes: int = 2 * 1024 * 1024
    alerts_investigate_resolved: bool = False  # a resolved group is noted in its thread, not re-investigated
    alerts_group_interval_s: float = 300.0  # at most one investigation per alert group in this time
    alerts_per_minute: int = 10  # investigations per minute over all groups; beyond it, the storm thread
    alerts_remember_s: float = 7 * 24 * 3600.0  # how long a group's thread and a handled notification count
    slack_event_ttl_s: float = 3600.0  # how long a Slack event id is remembered across replicas (retries)

    database_url: str = Field(default_factory=_default_database_url)
    auth_header: str | None = None  # header with the signed-in user, set by the page's auth proxy
    # The page may trust auth_header while listening on a non-loopback address only when this says a proxy
    # that sets (and strips) the header is the only way in (a proxy outside the pod, a NetworkPolicy).
    auth_proxy_in_front: bool = False
    runbooks_dir: str | None = None

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret", mode="before")
    @classmethod
    def _blank_secret_is_missing(cls, value: Any) -> Any:
        """`SLACK_SIGNING_SECRET=` (set, but empty) is a missing secret: an empty key verifies nothing."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(text, str) and not text.strip():
            return None
        return value

    @field_validator("auth_header", mode="before")
    @classmethod
    def _blank_header_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def open_bind_problem(self, address: str | None) -> str | None:
        """Why the page must not serve on ``address`` (None: fine). A trusted sign-in header on an address
        others can reach lets anyone who bypasses the proxy claim to be anyone."""
        if not self.auth_header or self.auth_proxy_in_front or _is_loopback(address):
            return None
        where = address or "every address"
        return (
            f"KUBEWHY_AUTH_HEADER ({self.auth_header}) is trusted, but the page listens on {where}, where "
            "anyone who reaches the port directly can forge it: listen on 127.0.0.1 behind the sign-in "
            "proxy, or set KUBEWHY_AUTH_PROXY_IN_FRONT=true if a proxy that sets the header is the only "
            "way in"
        )

    @field_validator("namespaces", mode="before")
    @classmethod
    def _namespace_list(cls, value: Any) -> Any:
        """`KUBEWHY_NAMESPACES` as a JSON list or comma-separated; blanks and repeats dropped."""
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise ValueError(f"not a JSON list of namespace names: {text}") from None
            else:
                value = text.split(",")
        if isinstance(value, list | tuple):
            names = [str(name).strip() for name in value if str(name).strip()]
            bad = [name for name in names if not _NAMESPACE_NAME.fullmatch(name)]
            if bad:
                raise ValueError(f"not a namespace name: {', '.join(bad)}")
            return list(dict.fromkeys(names))
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = _config_file()
        if config is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config))
        return tuple(sources)

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Read the environment and config file once; explicit overrides (CLI flags) win."""
        from pydantic import ValidationError

        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"invalid configuration: {problems}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"KUBEWHY_CONFIG: the config file does not parse: {exc}") from None

    @property
    def model_configured(self) -> bool:
        """True when an LLM should answer (contracts section 5: `KUBEWHY_LLM`)."""
        if self.llm == "none":
            return False
        if self.llm == "azure":
            return bool(self.azure_openai_endpoint)
        if self.llm == "openai":
            return True
        return bool(self.openai_api_key or self.azure_openai_endpoint or self.openai_base_url)
