"""The chat-model factory: OpenAI, Azure OpenAI (API key or Entra ID), or any OpenAI-compatible endpoint
(Ollama, vLLM, LiteLLM, LocalAI) by base URL, all from :class:`app.settings.Settings` (contracts section 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from app.settings import Settings

AZURE_DEFAULT_API_VERSION = "2024-10-21"
AZURE_TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"
KEYLESS_PLACEHOLDER = "not-needed"  # local OpenAI-compatible servers ignore the key, the client needs one


class ModelConfigError(Exception):
    """The model settings cannot make a working client; the message says which setting to change."""


@dataclass(frozen=True)
class ModelChoice:
    provider: str  # "openai" | "azure"
    model: str
    endpoint: str  # base URL or Azure endpoint; "https://api.openai.com/v1" when not set

    @property
    def engine(self) -> str:
        return f"llm:{self.model}"


def choose_model(settings: Settings) -> ModelChoice:
    """Which provider the settings point at, or a ModelConfigError saying what is missing."""
    if not settings.model_configured:
        raise ModelConfigError(
            "no model is configured (KUBEWHY_LLM="
            f"{settings.llm}): set OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT; "
            "the built-in diagnostician answers until then"
        )
    if not settings.model.strip():
        raise ModelConfigError("KUBEWHY_MODEL is empty: name the model (or Azure deployment) to use")
    azure = settings.llm == "azure" or (
        settings.llm == "auto"
        and bool(settings.azure_openai_endpoint)
        and not (settings.openai_api_key or settings.openai_base_url)
    )
    if azure:
        if not settings.azure_openai_endpoint:
            raise ModelConfigError("KUBEWHY_LLM=azure needs AZURE_OPENAI_ENDPOINT")
        return ModelChoice("azure", settings.model, settings.azure_openai_endpoint)
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ModelConfigError(
            "KUBEWHY_LLM=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local server without a key)"
        )
    return ModelChoice("openai", settings.model, settings.openai_base_url or "https://api.openai.com/v1")


def make_chat_model(settings: Settings, *, timeout_s: float | None = None) -> BaseChatModel:
    """A LangChain chat model for the configured endpoint. ``timeout_s`` caps each request."""
    choice = choose_model(settings)
    timeout = min(settings.request_timeout_s, timeout_s) if timeout_s else settings.request_timeout_s
    common = {
        "temperature": settings.temperature,
        "timeout": timeout,
        "max_retries": settings.max_retries,
        "stream_usage": True,
    }
    if choice.provider == "azure":
        return _azure_model(settings, common)
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else KEYLESS_PLACEHOLDER
    return ChatOpenAI(model=settings.model, api_key=key, base_url=settings.openai_base_url, **common)


def _azure_model(settings: Settings, common: dict) -> BaseChatModel:
    from langchain_openai import AzureChatOpenAI

    credentials: dict = {}
    if settings.azure_openai_api_key:
        credentials["api_key"] = settings.azure_openai_api_key.get_secret_value()
    else:
        credentials["azure_ad_token_provider"] = _entra_token_provider()
    return AzureChatOpenAI(
        azure_endpoint=settings.azure_openai_endpoint,
        azure_deployment=settings.model,
        api_version=settings.openai_api_version or AZURE_DEFAULT_API_VERSION,
        **credentials,
        **common,
    )


def _entra_token_provider():
    """Entra ID sign-in through azure-identity (managed identity, workload identity, az login...)."""
    try:
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider
    except ImportError:
        raise ModelConfigError(
            "Azure OpenAI without AZURE_OPENAI_API_KEY signs in with Entra ID, which needs the "
            "azure-identity package: pip install 'kubewhy[azure]' (or set AZURE_OPENAI_API_KEY)"
        ) from None
    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_TOKEN_SCOPE)
