"""`digest subscribe … mention:<role id>`: the core pings a role only where the asking context
says roles may be pinged (`Context.everyone_role`, set by the Discord adapter and by
`briefbot chat --platform discord`), never the role that names everyone, and knows no
platform's way of writing a role: an adapter hands it the role's id.

The same rules through the real discord.py client: tests/adapters/test_discord_buttons.py.
"""

from __future__ import annotations

import pytest

from bot.app import Core
from bot.buttons import options_of
from bot.commands import ErrorReply, NoticeReply, answer
from bot.digests import CLI, Context
from bot.ledger import Ledger

SERVER = "900000000000000000"
CHANNEL = "901"
ROLES = Context(
    platform="discord", workspace=SERVER, channel=CHANNEL, user="U1", everyone_role=SERVER
)


def subscriptions(core: Core, context: Context) -> list:
    return Ledger(core.store).subscriptions(context.platform, context.workspace, context.channel)


def test_a_role_is_pinged_where_the_context_allows_roles(core: Core) -> None:
    reply = answer(core, "digest subscribe 08:30 mention:124", ROLES)
    assert isinstance(reply, NoticeReply) and "pings the role" in reply.text
    [subscription] = subscriptions(core, ROLES)
    options = options_of(core, ROLES.platform, SERVER, CHANNEL, subscription.id)
    assert options.mention == "124"


@pytest.mark.parametrize(
    "context",
    [
        Context(platform="discord", workspace=SERVER, channel=CHANNEL, user="U1"),  # no roles
        Context(platform="slack", workspace="T1", channel="C1", user="U1"),
        CLI,
    ],
)
def test_no_role_is_pinged_where_the_context_allows_none(core: Core, context: Context) -> None:
    reply = answer(core, "digest subscribe 08:30 mention:124", context)
    assert isinstance(reply, ErrorReply) and "mention nobody" in reply.message
    assert subscriptions(core, context) == []


@pytest.mark.parametrize("value", [SERVER, "@everyone", "@here", "everyone"])
def test_the_role_that_names_everyone_is_refused(core: Core, value: str) -> None:
    reply = answer(core, f"digest subscribe 08:30 mention:{value}", ROLES)
    assert isinstance(reply, ErrorReply) and "never pings @everyone" in reply.message
    assert subscriptions(core, ROLES) == []


@pytest.mark.parametrize("value", ["<@&124>", "@news", "12a", "1" * 21])
def test_a_role_is_named_by_its_id_only(core: Core, value: str) -> None:
    """Markup such as `<@&124>` is the platform's spelling; its adapter passes the id."""
    reply = answer(core, f"digest subscribe 08:30 mention:{value}", ROLES)
    assert isinstance(reply, ErrorReply) and "by its id" in reply.message
    assert "\n" not in reply.message
    assert subscriptions(core, ROLES) == []


def test_the_command_line_answers_as_a_discord_server_would(
    settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRIEFBOT_LOAD_SEEDS", "0")
    there = ["chat", "--platform", "discord", "--workspace", SERVER, "--channel", CHANNEL]
    assert main([*there, "digest subscribe 08:30 mention:124"]) == 0
    assert "pings the role" in capsys.readouterr().out
    assert main([*there, f"digest subscribe 09:30 mention:{SERVER}"]) == 2  # @everyone
    assert "never pings @everyone" in capsys.readouterr().err
    slack = ["chat", "--platform", "slack", "--workspace", "T1", "--channel", "C1"]
    assert main([*slack, "digest subscribe 08:30 mention:124"]) == 2
    assert "mention nobody" in capsys.readouterr().err
