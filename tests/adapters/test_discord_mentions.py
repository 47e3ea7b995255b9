"""Nothing Discord posts pings anyone through article, feed or user text; the asker's works.

The real discord.py client against the loopback fake Discord, which records every REST call:
interaction callbacks, follow-ups and `digest run-due`'s channel posts.  Every call that
carries a message must carry `allowed_mentions` that parse nothing and name at most the asker.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakes.apps import run_discord_digest_due
from fakes.discord import CHANNEL_ID, GUILD_ID, MANAGE_CHANNELS, USER_ID, FakeDiscord
from fakes.hostile import discord_visible_mentions, hostile_article, hostile_feed, shared_case

from adapters.discord import BriefBot
from bot.app import Core
from bot.config import Settings
from bot.feeds import poll
from bot.ingest import ingest


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.member_permissions |= MANAGE_CHANNELS  # may add feeds and digests
        yield server


def followups(fake: FakeDiscord, interaction: str) -> list:
    return [c for c in fake.responses(interaction) if c.method == "POST" and "/webhooks/" in c.path]


async def command(fake: FakeDiscord, name: str, options: dict | None = None) -> dict[str, Any]:
    """Run one slash command; return its first follow-up's payload."""
    interaction = await fake.inject_command(name, options or {})
    [first, *_] = await fake.wait_for(lambda f: followups(f, interaction))
    return first.payload


async def ingest_file(core: Core, path: Path) -> int:
    report = await asyncio.to_thread(ingest, core.store, [str(path)], core.clock)
    [result] = report.results
    assert result.article is not None, result
    return result.article.id


def assert_inert(fake: FakeDiscord, *, mentioned: int) -> None:
    """Every message parses no mentions and names at most the asker; `mentioned` name them."""
    sent = fake.message_bodies()
    assert sent
    naming_asker = 0
    for body in sent:
        allowed = body.get("allowed_mentions")
        assert allowed is not None, body
        assert allowed.get("parse") == [], body
        assert not allowed.get("roles") and not allowed.get("replied_user"), body
        assert set(allowed.get("users", [])) <= {USER_ID, int(USER_ID)}, body
        if allowed.get("users"):
            naming_asker += 1
            assert body["content"].startswith(f"<@{USER_ID}> ")  # a live mention of the asker
        assert discord_visible_mentions(body, asker=USER_ID) == [], body
    assert naming_asker == mentioned


async def post_due_digest(bot: BriefBot, settings: Settings) -> None:
    """Post the channel's digest through REST alone, as `briefbot digest run-due` does."""
    assert await run_discord_digest_due(bot.core, settings, GUILD_ID, CHANNEL_ID) == ["delivered"]


async def test_invented_mentions_in_titles_texts_feeds_and_topics_reach_nobody(
    bot: BriefBot, fake: FakeDiscord, discord_settings: Settings, web, tmp_path: Path
) -> None:
    article = await ingest_file(bot.core, hostile_article(tmp_path))
    feed = web.serve("/rss", hostile_feed(web.url("/")), "application/rss+xml")

    added = await command(fake, "feeds add", {"url": feed})
    assert added["content"].startswith(f"<@{USER_ID}> added feed #")
    await command(fake, "feeds list")
    await command(fake, "brief", {"topic": "harbour board"})
    summary = await command(fake, "summarize", {"article": str(article)})
    await command(fake, "articles", {"query": "harbour"})
    await command(fake, "brief", {"topic": "@everyone <@&555555555555555555>"})
    await command(fake, "summarize", {"article": "@here"})
    subscribed = await command(
        fake, "digest subscribe", {"time": "08:30", "timezone": "UTC", "topic": "@here harbour"}
    )
    assert subscribed["content"].startswith(f"<@{USER_ID}> subscribed this channel")
    await command(fake, "digest list")
    await command(fake, "digest now")
    fake.fail("POST", r"^/webhooks/\d+/", status=403, code=50013, message="Missing Permissions")
    await command(fake, "brief", {"topic": "harbour"})  # the failure notice is a send too

    web.serve_status("/rss", 500, "down")
    await asyncio.to_thread(poll, bot.core, everything=True)
    await post_due_digest(bot, discord_settings)

    assert fake.of("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert_inert(fake, mentioned=2)
    description = " ".join(e.get("description") or "" for e in summary["embeds"])
    assert "@\u200beveryone @\u200bhere <@\u200b&555555555555555555>" in description
    assert "\\~struck\\~" in description  # markdown shows as typed
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}


async def test_markup_in_article_text_arrives_literal(bot: BriefBot, fake: FakeDiscord) -> None:
    folder = shared_case("markup-in-article-text")
    article = await ingest_file(bot.core, folder / "article.md")

    summary = await command(fake, "summarize", {"article": str(article)})
    await command(fake, "brief", {"topic": "Norvale council"})
    listing = await command(fake, "articles", {"query": "Norvale"})

    assert_inert(fake, mentioned=0)
    shown = " ".join(
        (e.get("title") or "") + " " + (e.get("description") or "")
        for body in (summary, listing)
        for e in body["embeds"]
    )
    for marker in ("*urgent*", "*fully funded*", "~on schedule~", "`code spans`"):
        assert marker not in shown, marker
    assert "@everyone" not in shown


async def test_a_feed_titled_with_mentions_shows_as_text_in_replies_and_digests(
    bot: BriefBot, fake: FakeDiscord, discord_settings: Settings, web
) -> None:
    folder = shared_case("mention-in-feed-title")
    xml = (folder / "feed-title.xml").read_text(encoding="utf-8")
    feed = web.serve(
        "/feed", re.sub(r"http://127\.0\.0\.1:8765/", web.url("/"), xml), "application/rss+xml"
    )

    added = await command(fake, "feeds add", {"url": feed})
    listing = await command(fake, "feeds list")
    await command(fake, "digest subscribe", {"time": "08:30", "timezone": "UTC"})
    web.serve_status("/feed", 503, "down")
    await asyncio.to_thread(poll, bot.core, everything=True)
    await post_due_digest(bot, discord_settings)

    assert_inert(fake, mentioned=2)
    [digest] = fake.of("POST", rf"/channels/{CHANNEL_ID}/messages")
    for body in (added, listing, digest.payload):
        assert "Harbour News @\u200beveryone @\u200bhere <@\u200b&1234567890>" in body["content"]
