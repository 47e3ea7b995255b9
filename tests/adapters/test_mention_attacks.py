"""Mention attacks found in review: an article's stored URL is written as a link.

A link is sent as `<url|title>`, and Slack reads `<!channel|…>`, `<!here|…>`, `<@U…|…>` and
`<#C…|…>` as mentions whatever the label.  A URL comes from a fetch (always http or https),
but a front-matter `url:` or the `<link>` of a feed file ingested from disk is stored as
written, and such shared-library articles reach every workspace.  On Discord a link
`[title](@everyone)` would show the mention text (allowed mentions keep it silent).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.hostile import slack_live_mentions

from adapters.slack.blocks import render
from bot.app import Core
from bot.commands import answer
from bot.digests import Context
from bot.ingest import ingest

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


@pytest.mark.parametrize(
    "url", ["!channel", "!here", "!everyone", "@U0VICTIM", "#C0SECRET", "!subteam^S0TEAM"]
)
def test_an_article_url_that_is_a_mention_stays_inert(
    bare_core: Core, tmp_path: Path, url: str
) -> None:
    (tmp_path / "board.md").write_text(
        "---\ntitle: Harbour board meets on the ferry timetable\nsource: Gazette\n"
        f"url: {url}\n---\nThe harbour board met on Monday to discuss the ferry timetable "
        "for the winter months ahead.\nMembers agreed that the morning crossings move half an "
        "hour earlier from next week.\n",
        encoding="utf-8",
    )
    report = ingest(bare_core.store, [str(tmp_path / "board.md")], bare_core.clock)
    assert report.count("stored") == 1, report.summary()
    for command in ("brief harbour ferry", "articles", "articles harbour"):
        payload = render(answer(bare_core, command, HERE))
        assert slack_live_mentions(payload) == [], (command, payload)
        assert "Harbour board meets" in str(payload)  # the title still shows


@pytest.mark.parametrize("url", ["@everyone", "@here", "<@&555555555555555555>"])
def test_an_article_url_that_is_a_mention_stays_inert_on_discord(
    bare_core: Core, tmp_path: Path, url: str
) -> None:
    from fakes.hostile import discord_visible_mentions

    from adapters.discord.embeds import render as discord_render

    (tmp_path / "board.md").write_text(
        "---\ntitle: Harbour board meets on the ferry timetable\nsource: Gazette\n"
        f"url: {url}\n---\nThe harbour board met on Monday to discuss the ferry timetable "
        "for the winter months ahead.\nMembers agreed that the morning crossings move half an "
        "hour earlier from next week.\n",
        encoding="utf-8",
    )
    assert ingest(bare_core.store, [str(tmp_path / "board.md")], bare_core.clock).count("stored")
    context = Context(platform="discord", workspace="1", channel="2", user="3")
    for command in ("brief harbour ferry", "articles"):
        for message in discord_render(answer(bare_core, command, context)):
            payload = {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}
            assert discord_visible_mentions(payload) == [], (command, payload)
