"""Development only, never shipped: builders of synthetic clusters (the demo, the test scenarios, the
big bench cluster), synthetic flows and a Hubble Relay replay server.

Everything here writes snapshots through :mod:`tools.snapshot.writer`, the writer `snapshot capture` uses.
The product (app/, tools/, prompts/) never imports this package (tests/test_import_rules.py).
"""
