"""The Slack bot: mention it, DM it or use ``/kubewhy``; the diagnosis arrives in the thread.

Start with :func:`app.slack.bot.create_bot`; ``kubewhy slack`` runs it (see docs/slack.md).
"""
