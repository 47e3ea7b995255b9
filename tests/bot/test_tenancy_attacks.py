"""Tenancy attacks found in review: a workspace's own feed claiming another workspace's article.

A feed is whatever its publisher writes, so workspace B can serve a feed whose entries carry
the link (or a GUID) of an article workspace A's feed brought in.  Naming a link is not having
its words: B must get its own copy (from B's feed or the page, fetched through the guard), never
A's stored text.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fakes import HARBOUR, FeedEntry, make_rss
from fakes.web import WebServer

from bot.app import Core
from bot.commands import ArticlesReply, BriefingReply, NoticeReply, answer
from bot.digests import Context
from bot.scopes import OPERATOR

A = Context(platform="slack", workspace="TA", channel="CA", user="UA")
B = Context(platform="slack", workspace="TB", channel="CB", user="UB")
# The words only A's (private, full-text) feed carries; the page itself is behind a wall.
SECRET = (
    "The board approved the confidential harbour purchase for twelve million on Monday. "
    "Only members of the finance committee were told the price before the vote was held. "
    "The seller asked that the figure stay private until the contracts are signed in June."
)


def follow(core: Core, url: str, context: Context) -> NoticeReply:
    reply = answer(core, f"feeds add {url}", context)
    assert isinstance(reply, NoticeReply), reply
    return reply


def readable(core: Core, context: Context) -> str:
    reply = answer(core, "articles", context)
    assert isinstance(reply, ArticlesReply), reply
    parts = []
    for article in reply.articles:
        parts.append(article.title)
        summary = answer(core, f"summarize {article.id} 20", context)
        if isinstance(summary, BriefingReply):
            parts += [b.text for b in summary.briefing.bullets]
    return " ".join(parts)


def test_a_feed_naming_another_workspaces_link_does_not_read_its_article(
    core: Core, web: WebServer
) -> None:
    link = "https://paywalled.example/story/1"  # never fetched: it does not resolve
    private = FeedEntry(
        title="Confidential harbour purchase",
        link=link,
        content_html=f"<p>{SECRET}</p>",
        published=datetime(2024, 5, 1, 8, 0, tzinfo=UTC),
    )
    a_feed = web.serve(
        "/a-private", make_rss("A's full text", web.url("/"), [private]), "application/rss+xml"
    )
    follow(core, a_feed, A)
    assert "confidential harbour purchase" in readable(core, A).lower()

    claim = FeedEntry(
        title=HARBOUR.title,
        link=link,
        summary="A teaser written by workspace B, naming the same link as workspace A's story.",
        published=datetime(2024, 5, 1, 8, 5, tzinfo=UTC),
    )
    b_feed = web.serve(
        "/b-claims", make_rss("B's claims", web.url("/"), [claim]), "application/rss+xml"
    )
    follow(core, b_feed, B)
    from bot.feeds import poll

    poll(core, everything=True)
    seen = readable(core, B).lower()
    assert "confidential" not in seen and "twelve million" not in seen
    # A still reads its own article, unchanged.
    assert "twelve million" in readable(core, A).lower()
    [mine] = [
        a
        for a in core.store.search(None, limit=1000, scope=OPERATOR)
        if a.title == "Confidential harbour purchase"
    ]
    assert core.store.scopes_of(mine.id) == {"slack:TA"}
