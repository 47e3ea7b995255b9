"""Chat platform adapters: the only place that imports slack_bolt, slack_sdk or discord.

Each adapter turns platform events into core requests (`bot.commands`) and renders the core's
replies natively.  Slack and Discord arrive with their own issues.
"""
