"""The LLM agent: one loop over the read-only tools, with budgets, an evidence ledger and a checked answer.

Public entry point: :func:`app.agent.loop.run_agent`.
"""
