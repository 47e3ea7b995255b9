"""Both chat renderers show each source as `Outlet: headline`, with the outlet escaped like
every other piece of article-derived text (it comes from feeds, pages and front matter)."""

from __future__ import annotations

from datetime import UTC, datetime

from fakes.hostile import FORMS, MARKUP, discord_visible_mentions, slack_live_mentions

from adapters.discord import embeds
from adapters.slack import blocks
from bot.commands import ArticlesReply
from bot.models import Article, Briefing, Bullet, Source

WHEN = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
HOSTILE = f"Gazette {FORMS} {MARKUP}"


def briefing(*sources: Source) -> Briefing:
    return Briefing(
        "Briefing: harbour",
        WHEN,
        "harbour",
        (Bullet("The harbour bridge reopened on Monday after storm repairs.", sources),),
        article_count=len(sources),
    )


def article(outlet: str | None, url: str | None = "https://news.test/a") -> Article:
    return Article(
        id=7,
        title="Harbour bridge reopens",
        text="The harbour bridge reopened.",
        source="notes.txt",
        url=url,
        published_at=WHEN,
        ingested_at=WHEN,
        content_hash="x",
        outlet=outlet,
    )


def test_slack_names_each_sources_outlet() -> None:
    message = blocks.briefing_message(
        briefing(
            Source(3, "Bridge reopens", "https://gazette.test/bridge", "Harbour Gazette"),
            Source(3, "Bridge reopens", "https://wire.test/bridge", "Coast Wire"),
            Source(5, "Untraced note", None),
        )
    )
    [context] = [b for b in message["blocks"] if b["type"] == "context" and "Sources" in str(b)]
    line = context["elements"][0]["text"]
    assert "<https://gazette.test/bridge|Harbour Gazette: Bridge reopens>" in line
    assert "<https://wire.test/bridge|Coast Wire: Bridge reopens>" in line
    assert "_Untraced note_" in line


def test_slack_escapes_an_outlet_like_a_title() -> None:
    message = blocks.briefing_message(
        briefing(Source(3, "Bridge reopens", "https://gazette.test/bridge", HOSTILE))
    )
    assert slack_live_mentions(message) == []
    shown = str(message["blocks"])
    assert "&lt;!channel&gt;" in shown
    for marker in ("*loud*", "_slanted_", "~struck~", "`code`"):
        assert marker not in shown, marker
    listing = blocks.articles_message(ArticlesReply((article(HOSTILE),), None, 1))
    assert slack_live_mentions(listing) == [] and "&lt;!channel&gt;" in str(listing["blocks"])


def test_discord_names_each_sources_outlet_and_escapes_it() -> None:
    [message] = embeds.briefing_messages(
        briefing(
            Source(3, "Bridge reopens", "https://gazette.test/bridge", "Harbour Gazette"),
            Source(3, "Bridge reopens", "https://wire.test/bridge", HOSTILE),
            Source(3, "Bridge reopens", "https://wire.test/b", "@everyone *loud* Wire"),
        )
    )
    description = message.embeds[0].description or ""
    assert "[Harbour Gazette: Bridge reopens](https://gazette.test/bridge)" in description
    payload = {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}
    assert discord_visible_mentions(payload) == []
    assert "[@\u200beveryone \\*loud\\* Wire: Bridge reopens]" in description


def test_lists_show_the_outlet_or_the_host_never_a_file_name() -> None:
    for outlet, url, expected in (
        ("Harbour Gazette", "https://news.test/a", "Harbour Gazette"),
        (None, "https://www.news.test/a", "news.test"),
        (None, None, None),
    ):
        reply = ArticlesReply((article(outlet, url),), None, 1)
        slack = str(blocks.articles_message(reply)["blocks"])
        [discord] = embeds.articles_messages(reply)
        shown = discord.embeds[0].description or ""
        for text in (slack, shown):
            assert "notes.txt" not in text
            if expected:
                assert expected in text
