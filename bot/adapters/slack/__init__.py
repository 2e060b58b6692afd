"""The Slack adapter (slack-bolt): Socket Mode or HTTP mode, slash commands, Block Kit.

This package's ``__init__`` imports nothing from slack_bolt or slack_sdk, so the
cli can read :mod:`bot.adapters.slack.settings` and print a manifest
(:mod:`bot.adapters.slack.manifest`) without the ``slack`` extra installed. The
adapter itself is :class:`bot.adapters.slack.adapter.SlackAdapter`.
"""
