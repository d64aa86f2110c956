"""The money a question cost, from its token counts and the configured model's price."""

from __future__ import annotations

from tools.contracts.pricing import price_for
from tools.contracts.settings import Settings


def question_cost(
    settings: Settings, input_tokens: int, cached_tokens: int, output_tokens: int
) -> float | None:
    """US dollars under the price table (settings over the defaults); None when the model has no price."""
    price = price_for(settings.model, settings.prices)
    if price is None:
        return None
    return round(price.cost_usd(input_tokens, cached_tokens, output_tokens), 6)


def format_cost(cost_usd: float | None) -> str | None:
    """``$0.0123`` for a stats line; None when the cost is unknown."""
    if cost_usd is None:
        return None
    return f"${cost_usd:.4f}" if cost_usd < 1 else f"${cost_usd:,.2f}"
