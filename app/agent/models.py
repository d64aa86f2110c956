"""The chat-model factory: OpenAI, Azure OpenAI (API key or Entra ID), or any OpenAI-compatible endpoint
(Ollama, vLLM, LiteLLM, LocalAI) by base URL, all from :class:`tools.contracts.settings.Settings`
(contracts section 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from tools.contracts.settings import Settings

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


def make_chat_model(
    settings: Settings, *, timeout_s: float | None = None, max_retries: int | None = None
) -> BaseChatModel:
    """A LangChain chat model for the configured endpoint. ``timeout_s`` caps each request;
    ``max_retries`` replaces the settings' (the agent retries in its runtime instead)."""
    choice = choose_model(settings)
    timeout = min(settings.request_timeout_s, timeout_s) if timeout_s else settings.request_timeout_s
    common = {
        "temperature": settings.temperature,
        "timeout": timeout,
        "max_retries": settings.max_retries if max_retries is None else max_retries,
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
    elif settings.azure_openai_ad_token:
        credentials["azure_ad_token"] = settings.azure_openai_ad_token.get_secret_value()
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


def describe_model_error(exc: BaseException) -> str:
    """One line naming what went wrong with the model endpoint (status, timeout, connection)."""
    import openai

    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, openai.OpenAIError):
        cause = cause.__cause__
    found = cause or exc
    name = type(found).__name__
    if isinstance(found, openai.APITimeoutError):
        return f"{name}: the request timed out"
    if isinstance(found, openai.APIStatusError):
        message = found.body.get("message") if isinstance(found.body, dict) else None
        return f"{name}: HTTP {found.status_code}: {_short(message or found.message)}"
    if isinstance(found, openai.APIConnectionError):
        return f"{name}: cannot connect to the model endpoint"
    return f"{name}: {_short(str(found))}"


RETRIED_STATUS = frozenset({408, 409, 429})


def is_transient(exc: BaseException) -> bool:
    """An error worth sending the request again for: no connection, a timeout, a rate limit, a 5xx (the
    cases the openai client retries itself)."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRIED_STATUS or exc.status_code >= 500
    return False


def _short(text: str) -> str:
    return " ".join(str(text).split())[:200]


@dataclass
class ModelCheck:
    """What ``kubewhy models check`` reports."""

    provider: str
    model: str
    endpoint: str
    answers: bool = False
    tool_calling: bool = False
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.answers and self.tool_calling


CHECK_TOOL = {
    "type": "function",
    "function": {
        "name": "report_status",
        "description": "Report a status word.",
        "parameters": {
            "type": "object",
            "properties": {"status": {"type": "string"}},
            "required": ["status"],
        },
    },
}


def check_model(settings: Settings) -> ModelCheck:
    """Ask the configured model one small question that needs a tool call. Raises ModelConfigError."""
    import time

    from langchain_core.messages import HumanMessage

    from prompts import load_prompt

    choice = choose_model(settings)
    report = ModelCheck(choice.provider, choice.model, choice.endpoint)
    model = make_chat_model(settings)
    question = [HumanMessage(load_prompt("models_check"))]
    started = time.perf_counter()
    try:
        reply = model.bind_tools([CHECK_TOOL]).invoke(question)
    except Exception as exc:
        report.error = describe_model_error(exc)
        try:  # some endpoints refuse tool definitions but still answer
            model.invoke(question)
        except Exception:
            return _timed(report, started)
        report.answers = True
        report.error = f"the endpoint answers but refuses tool definitions ({report.error})"
        return _timed(report, started)
    report.answers = True
    report.tool_calling = any(call["name"] == "report_status" for call in reply.tool_calls)
    if not report.tool_calling:
        report.error = (
            "the model answered in text instead of calling the tool: it may not support tool calling"
        )
    return _timed(report, started)


def _timed(report: ModelCheck, started: float) -> ModelCheck:
    import time

    report.seconds = round(time.perf_counter() - started, 3)
    return report
