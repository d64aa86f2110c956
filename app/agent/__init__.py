"""The LLM agent on LangChain's ``create_agent``: the read-only tools, budgets, an evidence ledger and a
checked answer, kept by kubewhy's middleware.

Public entry point: :func:`app.agent.loop.run_agent`.
"""
