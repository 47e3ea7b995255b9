"""Every hint names the command as it is typed on each platform; usage lists every command."""

from __future__ import annotations

from adapters.discord import embeds
from adapters.slack import blocks
from bot.commands import HELP_ENTRIES, ErrorReply, NoticeReply, answer
from bot.digests import Context
from bot.hints import CLI, spell
from bot.render import render

NO_MATCH = ErrorReply(
    "No stored article matches 'zz'. Try fewer words, or `articles` to see the newest."
)


def test_one_core_hint_spelled_three_ways() -> None:
    assert "`articles`" in render(NO_MATCH)
    assert "`/articles`" in blocks.render(NO_MATCH)["blocks"][0]["text"]["text"]
    [discord_error] = embeds.render(NO_MATCH)
    assert "`/articles`" in discord_error.content


def test_examples_with_arguments_use_discord_option_names() -> None:
    notice = NoticeReply("Try `brief nato 5 7d` or `summarize 2 3` or `digest unsubscribe 4`.")
    [message] = embeds.render(notice)
    assert "`/brief topic:nato bullets:5 since:7d`" in message.content
    assert "`/summarize article:2 sentences:3`" in message.content
    assert "`/digest unsubscribe digest:4`" in message.content
    slack = blocks.render(notice)["blocks"][0]["text"]["text"]
    assert "`/brief nato 5 7d`" in slack and "`/digest unsubscribe 4`" in slack
    assert "`brief nato 5 7d`" in render(notice)


def test_a_slash_written_in_the_core_is_dropped_on_the_command_line() -> None:
    assert spell("/digest list", CLI) == "digest list"
    assert spell("08:30", CLI) is None  # not a command: left alone


def test_usage_lists_every_command() -> None:
    verbs = {usage.split()[0] for usage, _ in HELP_ENTRIES}
    assert verbs == {"brief", "summarize", "articles", "digest", "feeds", "help"}
    assert any(usage.startswith("brief why") for usage, _ in HELP_ENTRIES)


def test_notices_keep_their_line_breaks(bare_core) -> None:
    context = Context(platform="slack", workspace="T1", channel="C1", user="U1")
    for time in ("08:30", "09:30"):
        answer(bare_core, f"digest subscribe {time} Europe/Paris", context)
    listing = answer(bare_core, "digest list", context)
    assert isinstance(listing, NoticeReply) and listing.text.count("\n") == 1
    section = blocks.render(listing)["blocks"][0]["text"]["text"]
    assert section.count("\n") == 1
    [message] = embeds.render(listing)
    assert message.content.count("\n") == 1


def test_digest_options_spelled_as_discord_options() -> None:
    usage = "digest subscribe HH:MM [time zone] [topic] [N] [quiet] [threads]"
    assert spell(usage, embeds.SPELLING) == (
        "/digest subscribe time:HH:MM [timezone:…] [topic:…] [bullets:…] [quiet:…] [threads:…]"
    )
    assert spell("digest subscribe 08:30 UTC threads", embeds.SPELLING) == (
        "/digest subscribe time:08:30 timezone:UTC threads:True"
    )
    assert spell("digest help", embeds.SPELLING) == "/help command:digest"
    assert spell("digest help", blocks.SPELLING) == "/digest help"
