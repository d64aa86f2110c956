"""Flow tests build their own flow files with tests/flows/flow_builders.py; nothing to share here."""
