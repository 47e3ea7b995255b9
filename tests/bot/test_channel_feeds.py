"""A channel's own feeds (real SQLite, real HTTP on 127.0.0.1): `feeds add` in a channel
attaches the feed there and that channel's digests draw from its own feeds; other channels
keep the workspace's; a feed followed by several channels and workspaces is fetched once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fakes import CHESS, HARBOUR, VOLCANO, FeedEntry, Story, make_rss
from fakes.web import WebServer

from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer, parse_command
from bot.digests import Context, run_due
from bot.errors import BadArgument
from bot.feeds import Attachments, FeedRegistry, FeedsRequest, poll
from bot.models import Subscription

ONE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
TWO = Context(platform="slack", workspace="T1", channel="C2", user="U2")
OTHER = Context(platform="slack", workspace="T2", channel="C9", user="U9")


def entry(story: Story, web: WebServer, n: int) -> FeedEntry:
    return FeedEntry(
        title=story.title,
        link=web.url(f"/story/{n}"),
        content_html="".join(f"<p>{p}</p>" for p in story.paragraphs),
    )


def feed(web: WebServer, path: str, entries: list[FeedEntry]) -> str:
    return web.serve(path, make_rss(f"Feed {path}", web.url("/"), entries), "application/rss+xml")


class Recorder:
    def __init__(self) -> None:
        self.posts: dict[str, object] = {}

    async def post(self, subscription: Subscription, reply: object, mark: object) -> str:
        self.posts[subscription.channel] = reply
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: object) -> None:
        return None


def sources(reply: object) -> set[str]:
    assert isinstance(reply, BriefingReply), reply
    return {s.title for b in reply.briefing.bullets for s in b.sources}


def say(core: Core, text: str, context: Context) -> NoticeReply:
    reply = answer(core, text, context)
    assert isinstance(reply, NoticeReply), reply
    return reply


def test_parsing_where_a_feed_goes() -> None:
    url = "https://example.test/rss"
    assert parse_command(f"feeds add {url} World news workspace") == FeedsRequest(
        "add", url=url, name="World news", where="workspace"
    )
    assert parse_command(f"feeds add {url} live") == FeedsRequest("add", url=url, live=True)
    with pytest.raises(BadArgument):
        parse_command(f"feeds add {url} workspace live")


def test_a_channels_own_feeds_reach_only_its_digests(
    bare_core: Core, web: WebServer, clock
) -> None:
    core = bare_core
    for context in (ONE, TWO):
        say(core, "digest subscribe 10:00 UTC", context)
    own = feed(web, "/own", [entry(HARBOUR, web, 1)])
    pool = feed(web, "/pool", [entry(VOLCANO, web, 2)])
    added = say(core, f"feeds add {own}", ONE)
    assert "Attached to this channel" in added.text
    say(core, f"feeds add {pool} workspace", TWO)
    listing = say(core, "feeds list", ONE).text
    assert (
        "this channel" in listing.splitlines()[0] and "this channel" not in listing.splitlines()[1]
    )
    now = clock.advance(timedelta(hours=2))
    assert sources(answer(core, "digest now", ONE)) == {HARBOUR.title}
    poster = Recorder()
    asyncio.run(run_due(core, {"slack": poster}, now=now))
    assert sources(poster.posts["C1"]) == {HARBOUR.title}  # its own feed only
    assert sources(poster.posts["C2"]) == {HARBOUR.title, VOLCANO.title}  # the workspace's

    # The same feed in a second channel and another workspace: still fetched once a pass.
    assert "to this channel" in say(core, f"feeds add {own}", TWO).text
    assert isinstance(answer(core, f"feeds add {own}", TWO), ErrorReply)  # attached already
    say(core, f"feeds add {own}", OTHER)
    before = len(web.requests_to("/own"))
    poll(core, now=now + timedelta(days=1), everything=True)
    assert len(web.requests_to("/own")) == before + 1
    # Removing it in C2 detaches it there; C1 keeps it; removing it in C1 (where it was
    # added) and with no other channel left… C2 was detached, so it stops altogether.
    feed_id = FeedRegistry(core.store).find(own, "slack", "T1").id
    assert "Detached" in say(core, f"feeds remove {feed_id}", TWO).text
    assert [a.channel for a in Attachments(core.store).of_channel("slack", "T1", "C1")] == ["C1"]
    assert "Stopped following" in say(core, f"feeds remove {feed_id}", ONE).text
    assert Attachments(core.store).of_channel("slack", "T1", "C1") == []


def test_channel_feeds_and_a_topic_filter_together(bare_core: Core, web: WebServer, clock) -> None:
    core = bare_core
    say(core, "digest subscribe 10:00 UTC -harbour", ONE)
    own = feed(web, "/mixed", [entry(HARBOUR, web, 1), entry(CHESS, web, 3)])
    say(core, f"feeds add {own}", ONE)
    say(core, f"feeds add {feed(web, '/else', [entry(VOLCANO, web, 2)])} workspace", TWO)
    clock.advance(timedelta(hours=2))
    assert sources(answer(core, "digest now", ONE)) == {CHESS.title}
