"""What a model's tokens cost: a price table per model (US dollars per million tokens: input, cached
input, output) and the cost of one question from its token counts.

The defaults are the providers' published list prices for standard (pay-as-you-go) use; Azure OpenAI's
global standard deployments charge the same list prices for these models. Prices change and regional or
provisioned deployments differ, so every figure is overridable with ``KUBEWHY_PRICES`` (JSON) or
``prices:`` in the config file; docs/agent.md ("What a question costs") says where the figures come from.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

PER_TOKENS = 1_000_000


class ModelPrice(BaseModel):
    """US dollars per million tokens. ``cached_input`` defaults to ``input`` (no cache discount known)."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0)
    cached_input: float | None = Field(None, ge=0)
    output: float = Field(ge=0)

    def cost_usd(self, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
        """Cached tokens are part of the input tokens, billed at the cached price."""
        cached = min(max(cached_tokens, 0), input_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        dollars = (input_tokens - cached) * self.input + cached * cached_price + output_tokens * self.output
        return dollars / PER_TOKENS


def _price(input: float, cached_input: float, output: float) -> ModelPrice:
    return ModelPrice(input=input, cached_input=cached_input, output=output)


# OpenAI list prices, standard tier, USD per 1M tokens (openai.com/api/pricing, 2025).
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gpt-4o": _price(2.50, 1.25, 10.00),
    "gpt-4o-mini": _price(0.15, 0.075, 0.60),
    "gpt-4.1": _price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": _price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": _price(0.10, 0.025, 0.40),
    "o3": _price(2.00, 0.50, 8.00),
    "o3-mini": _price(1.10, 0.55, 4.40),
    "o4-mini": _price(1.10, 0.275, 4.40),
    "gpt-5": _price(1.25, 0.125, 10.00),
    "gpt-5-mini": _price(0.25, 0.025, 2.00),
    "gpt-5-nano": _price(0.05, 0.005, 0.40),
}


def price_for(model: str, overrides: dict[str, ModelPrice] | None = None) -> ModelPrice | None:
    """The price of ``model``: an override by exact name, else a default by exact name, else the longest
    default (or override) name that the model's name starts with, so dated versions such as
    ``gpt-4o-2024-08-06`` are priced as ``gpt-4o``. None when nothing matches (a local model, say)."""
    table = {**DEFAULT_PRICES, **{key.strip().lower(): price for key, price in (overrides or {}).items()}}
    name = model.strip().lower()
    if name in table:
        return table[name]
    prefixes = [key for key in table if name.startswith(key + "-")]
    return table[max(prefixes, key=len)] if prefixes else None
