"""Live posts (bot.live) keep feed text inert on both platforms, "+1 outlet" updates included.

A story posted live, then another outlet's report of it from a feed whose title and headline
carry every mention form: the post and its "+1 outlet" update go through each adapter's real
digest poster to the loopback fakes (Slack Web API, Discord REST), and the thread reply a
poster with `follow_up` is handed is rendered by each adapter's renderer.  Nothing may ping or
show mention syntax, and every Discord message allows no mentions.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fakes import HARBOUR, FeedEntry, Story, make_rss
from fakes.apps import discord_settings_for
from fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from fakes.hostile import FORMS, MARKUP, discord_visible_mentions, slack_live_mentions
from fakes.slack import BOT_TOKEN, FakeSlack
from fakes.web import WebServer

from adapters.discord import apply_endpoints
from adapters.discord import embeds as discord_embeds
from adapters.discord.client import DigestPoster as DiscordPoster
from adapters.slack import blocks as slack_blocks
from adapters.slack.app import DigestPoster as SlackPoster
from bot.app import Core, build_core
from bot.commands import answer
from bot.config import Settings
from bot.digests import Context, DigestMark
from bot.feeds import poll
from bot.live import run_live
from bot.models import Subscription

HOSTILE_TITLE = f"Harbour bridge {FORMS} {MARKUP}"


@pytest.fixture
async def slack_fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def discord_fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


def entry(story: Story, web: WebServer, n: int) -> FeedEntry:
    return FeedEntry(
        title=story.title,
        link=web.url(f"/story/{n}"),
        content_html="".join(f"<p>{p}</p>" for p in story.paragraphs),
    )


class Recording:
    """Wraps a real poster; adds `follow_up`, keeping the replies it is handed."""

    def __init__(self, poster: Any) -> None:
        self.poster = poster
        self.replies: list[object] = []

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        return await self.poster.post(subscription, reply, mark)

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Any:
        return await self.poster.landed(subscription, mark)

    async def follow_up(
        self, subscription: Subscription, message_id: str, reply: object, mark: DigestMark
    ) -> str:
        self.replies.append(reply)
        return f"{message_id}-reply"


async def story_then_another_outlet(
    core: Core, where: Context, web: WebServer, clock, poster: Any
) -> list[object]:
    """A live story, then another outlet's hostile report of it: run_live after each; a
    third feed's report goes to a poster with `follow_up`: the replies it was handed."""
    first = web.serve("/first", make_rss("Gazette", web.url("/"), []), "application/rss+xml")
    hostile = make_rss(f"Quayside {FORMS} {MARKUP}", web.url("/"), [])
    second = web.serve("/second", hostile, "application/rss+xml")
    third = web.serve("/third", hostile, "application/rss+xml")
    for url in (first, second, third):
        assert "Live" in str(await asyncio.to_thread(answer, core, f"feeds add {url} live", where))
    clock.advance(timedelta(minutes=30))
    story = Story(HOSTILE_TITLE, HARBOUR.paragraphs)
    web.serve("/first", make_rss("Gazette", web.url("/"), [entry(story, web, 1)]), "text/xml")
    await asyncio.to_thread(poll, core, everything=True)
    [posted] = await run_live(core, {where.platform: poster}, now=core.clock.now())
    assert posted.status == "delivered", posted

    clock.advance(timedelta(minutes=30))
    copy = Story(f"Harbour bridge open again {FORMS} {MARKUP}", HARBOUR.paragraphs)
    web.serve("/second", make_rss(f"Quayside {FORMS}", web.url("/"), [entry(copy, web, 2)]))
    await asyncio.to_thread(poll, core, everything=True)
    [update] = await run_live(core, {where.platform: poster}, now=core.clock.now())
    assert update.status == "delivered", update

    clock.advance(timedelta(minutes=30))
    again = Story(f"Harbour bridge reopens {FORMS} {MARKUP}", HARBOUR.paragraphs)
    web.serve("/third", make_rss(f"Wharf {FORMS}", web.url("/"), [entry(again, web, 3)]))
    await asyncio.to_thread(poll, core, everything=True)
    recording = Recording(poster)
    [threaded] = await run_live(core, {where.platform: recording}, now=core.clock.now())
    assert threaded.status == "delivered", threaded
    assert len(recording.replies) == 1
    return recording.replies


async def test_live_posts_and_plus_one_updates_stay_inert_on_slack(
    settings: Settings, slack_fake: FakeSlack, web: WebServer, clock
) -> None:
    settings = dataclasses.replace(
        settings, load_seeds=False, slack_bot_token=BOT_TOKEN, slack_api_url=slack_fake.api_url
    )
    core = build_core(settings, clock)
    poster = SlackPoster(settings)
    try:
        where = Context(platform="slack", workspace="T0FAKE", channel="C0NEWS", user="U0ASKER")
        follow_ups = await story_then_another_outlet(core, where, web, clock, poster)
    finally:
        await asyncio.to_thread(core.close)
    posts = [c.payload for c in slack_fake.of("chat.postMessage")]
    assert len(posts) == 2 and "+1 outlet" in str(posts[1])
    for reply in follow_ups:
        posts.append(slack_blocks.render(reply))  # what a threaded "+1 outlet" would say
    for payload in posts:
        assert slack_live_mentions(payload) == [], payload
        assert "<https://evil.example" not in str(payload), payload
        for marker in ("*loud*", "~struck~", "`code`"):  # feed text never formats
            assert marker not in str(payload), payload
    assert "Quayside &lt;!channel&gt;" in str(posts[1])  # the outlet shows, as text
    assert "Wharf &lt;!channel&gt;" in str(posts[2])


async def test_live_posts_and_plus_one_updates_stay_inert_on_discord(
    settings: Settings, discord_fake: FakeDiscord, web: WebServer, clock
) -> None:
    settings = discord_settings_for(settings, discord_fake, load_seeds=False)
    apply_endpoints(settings)
    core = build_core(settings, clock)
    poster = DiscordPoster(settings)
    try:
        where = Context(platform="discord", workspace=GUILD_ID, channel=CHANNEL_ID, user="1")
        follow_ups = await story_then_another_outlet(core, where, web, clock, poster)
    finally:
        await poster.close()
        await asyncio.to_thread(core.close)
    bodies = [c.payload for c in discord_fake.of("POST", rf"^/channels/{CHANNEL_ID}/messages$")]
    assert len(bodies) == 2 and "+1 outlet" in str(bodies[1])
    for body in bodies:
        assert body["allowed_mentions"] == {"parse": []}, body
    for reply in follow_ups:  # what a threaded "+1 outlet" would send
        for message in discord_embeds.render(reply):
            assert message.allowed_mentions.to_dict() == {"parse": []}
            bodies.append(
                {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}
            )
    for body in bodies:
        assert discord_visible_mentions(body) == [], body
        assert "*loud*" not in str(body) and "~struck~" not in str(body), body
        assert "`code`" not in str(body), body  # feed text never formats
    assert "Quayside <!channel>" in str(bodies[1])  # the outlet shows, as text
    assert "Wharf <!channel>" in str(bodies[2])
