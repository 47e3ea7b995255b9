"""Nothing Slack posts pings anyone through article, feed or user text; the asker's mention works.

The real Bolt app over HTTP on 127.0.0.1 against the loopback fake Slack Web API, which records
every `chat.postMessage`, `chat.postEphemeral` and `response_url` payload.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakes.apps import running_bolt, slack_settings_for
from fakes.hostile import (
    FORMS,
    hostile_article,
    hostile_feed,
    shared_case,
    slack_live_mentions,
    strings,
)
from fakes.slack import (
    FakeSlack,
    command_body,
    mention_body,
    post_signed,
)

from bot.app import Core
from bot.config import Settings
from bot.feeds import poll
from bot.ingest import ingest

ASKER = "U0ASKER"
POSTS = ("chat.postMessage", "chat.postEphemeral", "response_url")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def slack(settings: Settings, fake: FakeSlack, clock) -> AsyncIterator[tuple[str, Core]]:
    """The real Bolt app on a free loopback port: its events URL and its core."""
    async with running_bolt(slack_settings_for(settings, fake), clock) as running:
        yield running


def posts(fake: FakeSlack) -> list[Any]:
    return [c for c in fake.calls if c.method in POSTS and c.status == 200]


async def command(url: str, fake: FakeSlack, name: str, text: str) -> dict[str, Any]:
    """Run one slash command; return the one message it posted."""
    before = len(posts(fake))
    assert await post_signed(url, command_body(name, text, fake.response_url())) == 200
    done = await fake.wait_for(lambda f: len(posts(f)) > before and posts(f))
    return done[before].payload


async def ingest_file(core: Core, path: Path) -> int:
    report = await asyncio.to_thread(ingest, core.store, [str(path)], core.clock)
    [result] = report.results
    assert result.article is not None, result
    return result.article.id


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """The top-level text and every mrkdwn text object (plain_text is never parsed)."""
    found = [payload.get("text", "")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(payload.get("blocks", []))
    return found


def assert_inert(fake: FakeSlack, *, mentioned: int) -> None:
    """No recorded post holds a live mention or link from article text; `mentioned` posts
    start with the asker's own live mention."""
    recorded = posts(fake)
    assert recorded
    by_asker = 0
    for call in recorded:
        payload = call.payload
        assert slack_live_mentions(payload, ASKER) == [], payload
        assert not any("<https://evil.example" in t for t in strings(payload)), payload
        if payload.get("text", "").startswith(f"<@{ASKER}> "):
            by_asker += 1
        assert payload.get("parse") in (None, "none")
        if call.method != "response_url":
            assert payload.get("link_names") in (False, 0, "0", "false"), payload
    assert by_asker == mentioned


async def test_invented_mentions_in_titles_texts_feeds_and_topics_reach_nobody(
    slack: tuple[str, Core], fake: FakeSlack, web, tmp_path: Path
) -> None:
    url, core = slack
    article = await ingest_file(core, hostile_article(tmp_path))
    feed = web.serve("/rss", hostile_feed(web.url("/")), "application/rss+xml")

    added = await command(url, fake, "/feeds", f"add {feed}")
    assert added["text"].startswith(f"<@{ASKER}> added feed #")  # live: the asker did it
    assert "&lt;!channel&gt;" in added["text"]  # the feed's name, escaped

    await command(url, fake, "/feeds", "list")
    brief = await command(url, fake, "/brief", "harbour board")
    summary = await command(url, fake, "/summarize", str(article))
    await command(url, fake, "/articles", "harbour")
    await command(url, fake, "/brief", "<!channel> @here")  # the topic is echoed back
    await command(url, fake, "/summarize", "<!channel>")  # the input is quoted back
    subscribed = await command(url, fake, "/digest", "subscribe 08:30 UTC <!here> <@U0VICTIM>")
    assert subscribed["text"].startswith(f"<@{ASKER}> subscribed this channel")
    await command(url, fake, "/digest", "list")
    await command(url, fake, "/digest", "now")

    # A failing feed's name shows in the digest's health line.
    web.serve_status("/rss", 500, "down")
    await asyncio.to_thread(poll, core, everything=True)
    await command(url, fake, "/digest", "now")
    before = len(posts(fake))
    assert await post_signed(url, mention_body("brief harbour"), content_type="application/json")
    await fake.wait_for(lambda f: len(posts(f)) > before)

    assert_inert(fake, mentioned=2)
    texts = [t for c in posts(fake) for t in mrkdwn_texts(c.payload)]
    for marker in ("*loud*", "_slanted_", "~struck~"):
        assert not any(marker in t for t in texts), marker
    assert "`code`" not in " ".join(mrkdwn_texts(brief))
    assert any("Quayside" in t for t in texts)  # the feed's name is shown, as text
    # The article's text is shown as typed, in the blocks and the notification text alike.
    assert "&lt;!everyone&gt; &lt;@U0VICTIM&gt;" in " ".join(mrkdwn_texts(summary)[1:])
    assert "&lt;!everyone&gt; &lt;@U0VICTIM&gt;" in summary["text"]
    assert "∗loud∗ ˍslantedˍ ∼struck∼ ˋcodeˋ" in " ".join(mrkdwn_texts(summary))


async def test_markup_in_article_text_arrives_literal(
    slack: tuple[str, Core], fake: FakeSlack
) -> None:
    folder = shared_case("markup-in-article-text")
    url, core = slack
    article = await ingest_file(core, folder / "article.md")

    summary = await command(url, fake, "/summarize", str(article))
    await command(url, fake, "/brief", "Norvale council")
    listing = await command(url, fake, "/articles", "Norvale")

    assert_inert(fake, mentioned=0)
    # The notification text is escaped like the blocks.
    assert "&lt;https://evil.example/login|Verify your account&gt;" in summary["text"]
    shown = " ".join(mrkdwn_texts(summary) + mrkdwn_texts(listing))
    for marker in ("*urgent*", "*fully funded*", "~on schedule~", "`code spans`"):
        assert marker not in shown, marker
    assert "&lt;!channel&gt; Gazette" in " ".join(mrkdwn_texts(listing))
    assert "&lt;!subteam^S0123|@harbour&gt;" in shown


async def test_a_feed_titled_with_mentions_shows_as_text_in_replies_and_digests(
    slack: tuple[str, Core], fake: FakeSlack, web
) -> None:
    folder = shared_case("mention-in-feed-title")
    url, core = slack
    xml = (folder / "feed-title.xml").read_text(encoding="utf-8")
    feed = web.serve(
        "/feed", re.sub(r"http://127\.0\.0\.1:8765/", web.url("/"), xml), "application/rss+xml"
    )

    added = await command(url, fake, "/feeds", f"add {feed}")
    listing = await command(url, fake, "/feeds", "list")
    await command(url, fake, "/digest", "subscribe 08:30 UTC")
    web.serve_status("/feed", 503, "down")
    await asyncio.to_thread(poll, core, everything=True)
    digest = await command(url, fake, "/digest", "now")

    assert_inert(fake, mentioned=2)
    name = (
        "Harbour News @everyone @here &lt;@&amp;1234567890&gt; &lt;@987654321&gt; &lt;!channel&gt;"
    )
    assert name in added["text"] and name in listing["text"]
    assert any(name in t for t in mrkdwn_texts(digest))


def test_forms_cover_every_slack_mention() -> None:
    for form in ("<!channel>", "<!here>", "<!everyone>", "<@U", "<#C", "<!subteam^", "|"):
        assert form in FORMS
