"""The money a question cost, from its token counts and the configured model's price."""

from __future__ import annotations

from tools.contracts.diagnosis import Stats
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


def cost_note(stats: Stats) -> str:
    """`` · $0.0123`` to end a stats line with, or nothing when the cost is unknown (no model, no price)."""
    cost = format_cost(stats.cost_usd)
    return f" · {cost}" if cost else ""


def tokens_text(stats: Stats) -> str | None:
    """``12,345 in (9,000 cached) / 300 out tokens``; None when no model was asked."""
    if not (stats.input_tokens or stats.output_tokens):
        return None
    cached = f" ({stats.cached_input_tokens:,} cached)" if stats.cached_input_tokens else ""
    return f"{stats.input_tokens:,} in{cached} / {stats.output_tokens:,} out tokens"
