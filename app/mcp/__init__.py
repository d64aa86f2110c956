"""`kubewhy mcp`: the read-only tools, the built-in diagnostician and the runbooks as a Model Context
Protocol server (stdio or streamable HTTP), built on the official ``mcp`` SDK's low-level server.

A surface: it imports the engine and the tools; only the ``kubewhy mcp`` command imports it.

    catalog    what is offered: the registry's tools for connected sources, diagnose, run_runbook
    calls      running a call off the event loop, cancellable, recorded as evidence and in the audit log
    resources  source status and cluster objects as ``kubewhy://`` resources
    prompts    runbooks as prompts
    server     the MCP server wiring those together
    http       the streamable HTTP transport: bearer token, Origin/Host checks, bounded sessions
"""
