"""CLI subcommands, one module each, attached in app/cli.py."""
