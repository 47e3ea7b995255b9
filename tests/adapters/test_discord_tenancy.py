"""Two Discord servers (guilds) on one briefbot: the real discord.py client against the loopback
fake Discord, with commands registered globally so both servers have them.  Each server reads
its own and the shared articles only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_rss
from fakes.apps import discord_settings_for
from fakes.discord import GUILD_ID, MANAGE_CHANNELS, FakeDiscord
from fakes.web import WebServer

from adapters.discord import BriefBot
from adapters.discord.client import DigestPoster
from bot.config import Settings
from bot.digests import run_due
from bot.feeds import poll
from bot.ingest import store_draft
from bot.models import ArticleDraft
from bot.scopes import SHARED, workspace_key

GUILD_A, GUILD_B = GUILD_ID, "200000000000000999"
CHANNEL = {GUILD_A: "300000000000000001", GUILD_B: "300000000000000002"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.member_permissions |= MANAGE_CHANNELS  # may add feeds and digests
        yield server


@pytest.fixture
def seeds() -> bool:
    return True


@pytest.fixture
def discord_settings(settings: Settings, fake: FakeDiscord, seeds: bool) -> Settings:
    # global commands: every server the bot is in has them
    return discord_settings_for(settings, fake, load_seeds=seeds, discord_guild_id="")


def keep(bot: BriefBot, story: Story, guild: str | None) -> int:
    """Store a story as if `guild`'s feed (None: the operator) had brought it in."""
    draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Herald")
    scope = workspace_key("discord", guild) if guild else SHARED
    result = store_draft(bot.core.store, "x", draft, bot.core.clock, scopes=(scope,))
    assert result.article is not None
    return result.article.id


async def ask(fake: FakeDiscord, guild: str, name: str, options: dict | None = None) -> str:
    """Run a slash command in `guild`'s channel; return its follow-ups as JSON."""
    interaction = await fake.inject_command(
        name, options or {}, guild_id=guild, channel_id=CHANNEL[guild]
    )
    sent = await fake.wait_for(
        lambda f: [
            c for c in f.responses(interaction) if c.method == "POST" and "/webhooks/" in c.path
        ]
    )
    return json.dumps([c.payload for c in sent])


async def choices(fake: FakeDiscord, guild: str, name: str, option: str, typed: str) -> str:
    interaction = await fake.inject_autocomplete(
        name, option, typed, guild_id=guild, channel_id=CHANNEL[guild]
    )
    [answer] = await fake.wait_for(
        lambda f: [c for c in f.responses(interaction) if c.path.endswith("/callback")]
    )
    return json.dumps(answer.payload["data"]["choices"])


async def test_each_server_reads_only_its_own_and_the_shared_articles(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    alpha = await asyncio.to_thread(keep, bot, HARBOUR, GUILD_A)
    bravo = await asyncio.to_thread(keep, bot, VOLCANO, GUILD_B)

    listed = await ask(fake, GUILD_A, "articles")
    assert HARBOUR.title in listed and VOLCANO.title not in listed
    listed = await ask(fake, GUILD_B, "articles")
    assert VOLCANO.title in listed and HARBOUR.title not in listed

    assert HARBOUR.title in await ask(fake, GUILD_A, "brief", {"topic": "harbour ferry"})
    refused = await ask(fake, GUILD_A, "brief", {"topic": "magma volcano"})
    assert "No stored articles" in refused and VOLCANO.title not in refused
    assert "Ukraine" in await ask(fake, GUILD_B, "brief", {"topic": "ukraine", "bullets": 2})

    assert HARBOUR.title in await ask(fake, GUILD_A, "summarize", {"article": str(alpha)})
    foreign = await ask(fake, GUILD_A, "summarize", {"article": str(bravo)})
    missing = await ask(fake, GUILD_A, "summarize", {"article": "999999"})
    assert f"No article with id {bravo}." in foreign and VOLCANO.title not in foreign
    assert foreign.replace(f"id {bravo}", "id N") == missing.replace("id 999999", "id N")

    # Autocomplete offers neither the other server's articles nor its headline words.
    assert VOLCANO.title[:20] in await choices(fake, GUILD_B, "summarize", "article", "Kesra")
    assert await choices(fake, GUILD_A, "summarize", "article", "Kesra") == "[]"
    assert f'"{bravo}"' not in await choices(fake, GUILD_A, "summarize", "article", str(bravo))
    assert "Kesra" in await choices(fake, GUILD_B, "brief", "topic", "kes")
    assert "Kesra" not in await choices(fake, GUILD_A, "brief", "topic", "kes")


async def test_a_feed_both_servers_follow_is_fetched_once_and_read_by_both(
    bot: BriefBot, fake: FakeDiscord, web: WebServer, clock
) -> None:
    def entries(*stories: Story) -> str:
        return make_rss(
            "Both",
            web.url("/"),
            [
                FeedEntry(
                    title=s.title,
                    link=web.url(f"/story/{n}"),
                    content_html="".join(f"<p>{p}</p>" for p in s.paragraphs),
                    published=datetime(2024, 5, 1, 8, n, tzinfo=UTC),
                )
                for n, s in enumerate(stories, start=1)
            ],
        )

    feed = web.serve("/both", entries(HARVEST), "application/rss+xml")
    assert "added feed" in await ask(fake, GUILD_A, "feeds add", {"url": feed})
    assert HARVEST.title not in await ask(fake, GUILD_B, "articles")
    joined = await ask(fake, GUILD_B, "feeds add", {"url": feed})
    assert "1 article stored now" in joined and "earlier" not in joined
    assert HARVEST.title in await ask(fake, GUILD_B, "articles")

    web.serve("/both", entries(HARVEST, VOLCANO), "application/rss+xml")
    fetched = len(web.requests_to("/both"))
    clock.advance(timedelta(hours=1))
    results = await asyncio.to_thread(poll, bot.core)
    assert len(web.requests_to("/both")) == fetched + 1
    assert sorted(r.stored for r in results) == [1, 1]
    for guild in (GUILD_A, GUILD_B):
        assert VOLCANO.title in await ask(fake, guild, "articles", {"query": "magma"})


@pytest.mark.parametrize("seeds", [False])  # a few articles: every one is in the digest
async def test_digests_carry_only_the_servers_own_and_shared_articles(
    bot: BriefBot, fake: FakeDiscord, discord_settings: Settings, clock
) -> None:
    for guild in (GUILD_A, GUILD_B):
        notice = await ask(fake, guild, "digest subscribe", {"time": "10:00"})
        assert "subscribed this channel" in notice
    await asyncio.to_thread(keep, bot, HARBOUR, GUILD_A)
    await asyncio.to_thread(keep, bot, VOLCANO, GUILD_B)
    await asyncio.to_thread(keep, bot, CHESS, None)
    poster = DigestPoster(discord_settings)  # REST only, as `digest run-due` does
    try:
        outcomes = await run_due(
            bot.core, {"discord": poster}, now=clock.advance(timedelta(hours=2))
        )
    finally:
        await poster.close()
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    posted = {
        guild: json.dumps([c.payload for c in fake.of("POST", rf"/channels/{channel}/messages")])
        for guild, channel in CHANNEL.items()
    }
    assert HARBOUR.title in posted[GUILD_A] and VOLCANO.title not in posted[GUILD_A]
    assert VOLCANO.title in posted[GUILD_B] and HARBOUR.title not in posted[GUILD_B]
    assert CHESS.title in posted[GUILD_A] and CHESS.title in posted[GUILD_B]
