"""Live feeds (bot.live) on a real store and real HTTP on 127.0.0.1: each new article posted
once, across a restart and a crash; a burst of 50 is one post; another outlet's report of a
story already posted is a "+1 outlet" thread reply, not a second post."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from fakes import CHESS, HARBOUR, VOLCANO, FeedEntry, Story, make_rss
from fakes.web import WebServer

from bot.app import Core, build_core
from bot.commands import BriefingReply, NoticeReply, answer
from bot.digests import Context, DigestMark, Landed
from bot.feeds import poll
from bot.ledger import CLAIM_LEASE
from bot.live import LIST_STORIES, run_live
from bot.models import Subscription
from bot.store import live_items

ONE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


class Crash(BaseException):
    """The process dies here."""


class Channel:
    """A channel as a poster sees it: posts with their marks, thread replies; can read back."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, object, DigestMark]] = []
        self.replies: list[tuple[str, object]] = []
        self.crash_after_post = False

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        assert subscription.channel == "C1"
        message_id = f"ts-{len(self.posts) + 1}"
        self.posts.append((message_id, reply, mark))
        if self.crash_after_post:
            self.crash_after_post = False
            raise Crash
        return message_id

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        for message_id, _, posted in self.posts:
            if posted.key == mark.key:
                return Landed(message_id, mark.since)
        return None

    async def follow_up(
        self, subscription: Subscription, message_id: str, reply: object, mark: DigestMark
    ) -> str:
        self.replies.append((message_id, reply))
        return f"{message_id}/reply-{len(self.replies)}"


def entry(story: Story, web: WebServer, n: int) -> FeedEntry:
    return FeedEntry(
        title=story.title,
        link=web.url(f"/story/{n}"),
        content_html="".join(f"<p>{p}</p>" for p in story.paragraphs),
    )


def serve(web: WebServer, path: str, entries: list[FeedEntry]) -> str:
    return web.serve(path, make_rss(f"Feed {path}", web.url("/"), entries), "application/rss+xml")


def live(core: Core, channel: Channel) -> list:
    return asyncio.run(run_live(core, {"slack": channel}, now=core.clock.now()))


def made_up(n: int) -> Story:
    """A story of its own words (so no two group as one story)."""
    rng = random.Random(n)
    words = [
        f"{rng.choice('bdfgklmnprstvz')}{rng.choice('aeiou')}{rng.choice('lmnrst')}o{k}"
        for k in range(200)
    ]
    sentences = [
        " ".join(rng.sample(words, 9)).capitalize() + " said officials on Tuesday."
        for _ in range(4)
    ]
    return Story(f"Report {n}: {' '.join(words[:4])}", (" ".join(sentences),))


def test_each_new_article_once_across_a_restart(bare_core: Core, web: WebServer, clock) -> None:
    core = bare_core
    url = serve(web, "/live", [entry(CHESS, web, 1)])
    added = answer(core, f"feeds add {url} live", ONE)
    assert isinstance(added, NoticeReply) and "Live" in added.text
    channel = Channel()
    assert live(core, channel) == []  # the backlog of the first fetch is not posted
    clock.advance(timedelta(minutes=30))
    serve(web, "/live", [entry(CHESS, web, 1), entry(VOLCANO, web, 2)])
    poll(core, everything=True)
    [outcome] = live(core, channel)
    assert (outcome.status, outcome.items) == ("delivered", 1)
    [(_, reply, _)] = channel.posts
    assert isinstance(reply, BriefingReply)
    [bullet] = reply.briefing.bullets
    assert [s.title for s in bullet.sources] == [VOLCANO.title]
    assert bullet.sources[0].url == web.url("/story/2")
    assert 1 <= bullet.text.count(". ") + 1 <= 3  # a two-sentence summary, not the article
    assert bullet.text != VOLCANO.title
    assert live(core, channel) == []
    # A restart: a new process on the same database posts nothing again.
    again = build_core(core.settings, clock)
    try:
        poll(again, everything=True)
        assert live(again, channel) == []
    finally:
        again.close()
    assert len(channel.posts) == 1


def test_a_burst_of_fifty_is_one_post(bare_core: Core, web: WebServer, clock) -> None:
    core = bare_core
    url = serve(web, "/burst", [entry(CHESS, web, 1)])
    answer(core, f"feeds add {url} live", ONE)
    clock.advance(timedelta(minutes=30))
    stories = [made_up(n) for n in range(50)]
    serve(web, "/burst", [entry(s, web, 100 + i) for i, s in enumerate(stories)])
    [result] = poll(core, everything=True)
    assert result.stored == 50, result
    channel = Channel()
    [outcome] = live(core, channel)
    assert (outcome.status, outcome.items) == ("delivered", 50)
    [(_, reply, _)] = channel.posts
    assert len(reply.briefing.bullets) == LIST_STORIES
    assert reply.briefing.notes == (f"…and {50 - LIST_STORIES} more new articles.",)
    with core.store.engine.connect() as conn:
        assert conn.execute(live_items.select()).all().__len__() == 50
    assert live(core, channel) == []


def test_a_second_outlets_report_is_a_plus_one_reply(
    bare_core: Core, web: WebServer, clock
) -> None:
    core = bare_core
    first = serve(web, "/first", [])
    second = serve(web, "/second", [])
    answer(core, f"feeds add {first} live", ONE)
    answer(core, f"feeds add {second} live", ONE)
    clock.advance(timedelta(minutes=30))
    serve(web, "/first", [entry(HARBOUR, web, 1)])
    poll(core, everything=True)
    channel = Channel()
    live(core, channel)
    assert len(channel.posts) == 1
    clock.advance(timedelta(minutes=30))
    # The same story from another outlet (its own headline, the same report).
    copy = Story("Harbour bridge open again, city says", HARBOUR.paragraphs)
    serve(web, "/second", [entry(copy, web, 2)])
    poll(core, everything=True)
    [outcome] = live(core, channel)
    assert outcome.status == "delivered"
    assert len(channel.posts) == 1  # no second post
    [(thread, reply)] = channel.replies
    assert thread == "ts-1" and isinstance(reply, BriefingReply)
    [bullet] = reply.briefing.bullets
    assert bullet.text == "+1 outlet on this story"  # feed text only in the sources
    assert [s.title for s in bullet.sources] == ["Harbour bridge open again, city says"]
    assert bullet.sources[0].url == web.url("/story/2")
    assert live(core, channel) == []


def test_a_crash_after_posting_is_found_and_not_posted_again(
    bare_core: Core, web: WebServer, clock
) -> None:
    core = bare_core
    url = serve(web, "/crash", [])
    answer(core, f"feeds add {url} live", ONE)
    clock.advance(timedelta(minutes=30))
    serve(web, "/crash", [entry(VOLCANO, web, 1)])
    poll(core, everything=True)
    channel = Channel()
    channel.crash_after_post = True
    try:
        live(core, channel)
    except Crash:
        pass
    else:  # pragma: no cover
        raise AssertionError("the poster should have died")
    assert live(core, channel) == []  # the claim's lease still holds
    clock.advance(CLAIM_LEASE + timedelta(seconds=1))
    [outcome] = live(core, channel)
    assert (outcome.status, outcome.detail) == ("delivered", "ts-1")
    assert len(channel.posts) == 1


def test_a_live_feed_with_a_topic_filter(bare_core: Core, web: WebServer, clock) -> None:
    from bot.commands import parse_command
    from bot.feeds import FeedsRequest

    url = serve(web, "/filtered", [])
    assert parse_command(f'feeds add {url} World live "harbour bridge" -from:tabloid') == (
        FeedsRequest(
            "add", url=url, name="World", live=True, topic='"harbour bridge" -from:tabloid'
        )
    )
    core = bare_core
    answer(core, f"feeds add {url} live chess OR volcano -seismic", ONE)
    clock.advance(timedelta(minutes=30))
    serve(web, "/filtered", [entry(s, web, n) for n, s in enumerate((CHESS, VOLCANO, HARBOUR))])
    poll(core, everything=True)
    channel = Channel()
    [outcome] = live(core, channel)
    assert outcome.items == 1  # the volcano story mentions seismic stations; harbour no topic
    [(_, reply, _)] = channel.posts
    assert [s.title for b in reply.briefing.bullets for s in b.sources] == [CHESS.title]
    assert live(core, channel) == []
