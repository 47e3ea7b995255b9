"""Every Slack surface keeps hostile article, feed and user text inert: the Home tab, Brief
me, DMs, the Summarize link shortcut, and the More / Sources / Unsubscribe / Undo buttons
and menus of a briefing and a digest.

The real Bolt app over HTTP on 127.0.0.1 against the loopback fake Slack, which records every
`chat.postMessage`, `chat.postEphemeral`, `chat.update`, `views.publish` and `response_url`
payload.  None may hold a live `<!…>`, `<@…>`, `<#…>` or `<url|label>` from that text, nor
mrkdwn markers that would format it; the asker's own mention in a notice and the Home tab's
links to the opener's channels are the only markup we write.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.apps import running_bolt, slack_settings_for
from fakes.hostile import (
    FORMS,
    HARBOUR_STORIES,
    MARKUP,
    hostile_feed,
    hostile_harbour_stories,
    strings,
)
from fakes.slack import action_body, command_body, post_signed
from fakes.slack_oauth import (
    DEFAULT_TEAM,
    FakeSlackWorkspaces,
    brief_me_body,
    dm_body,
    home_opened_body,
    shortcut_body,
)
from fakes.web import WebServer

from adapters.slack import blocks
from bot.app import Core
from bot.config import Settings
from bot.ingest import ingest

ASKER = "U0ASKER"
JSON = "application/json"
# Entity tricks: stored text is made plain (entities decoded), so these arrive as mentions
# unless the renderer escapes them.
TRICKS = "&lt;!channel&gt; &amp;lt;!here&amp;gt; <!subteam^S1> <@U123> <http://evil|click>"
TOPIC = "harbour <!channel> <@U123>"
RECORDED = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url")
# What a mrkdwn text must never hold from article text: a live mention, channel or link.
_LIVE = re.compile(r"<[!@#]|<https?://|<http://evil")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackWorkspaces]:
    server = await FakeSlackWorkspaces().start()
    server.workspaces[DEFAULT_TEAM].members = {"C0NEWS": {ASKER}}
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def app(settings: Settings, fake: FakeSlackWorkspaces, clock) -> AsyncIterator[tuple]:
    async with running_bolt(slack_settings_for(settings, fake), clock) as running:
        yield running


def write_hostile_stories(folder: Path) -> list[str]:
    return hostile_harbour_stories(
        folder,
        title=f"{FORMS} {TRICKS} {MARKUP}",
        source=f"Gazette <!channel> <@U0VICTIM> {TRICKS}",
        said=f"wrote {TRICKS} in the margin.",
    )


def hostile_page() -> str:
    sentences = " ".join(
        f"The harbour board said {TRICKS} about the ferry on day {n} of the winter timetable."
        for n in range(1, 6)
    )
    return (
        "<html><head><title>Harbour &lt;!here&gt; *loud*</title>"
        '<meta property="og:site_name" content="Gazette &lt;!channel&gt;"></head><body>'
        "<article><h1>Harbour &lt;!here&gt; &lt;@U123&gt; *loud*</h1>"
        f"<p>{sentences.replace('<', '&lt;').replace('>', '&gt;')}</p>"
        "<p>Officials expect the new harbour wall to be finished before the storms.</p>"
        "</article></body></html>"
    )


def mrkdwn(value: Any) -> list[str]:
    """The top-level `text` and every mrkdwn text object (plain_text is never parsed)."""
    found = [value["text"]] if isinstance(value, dict) and "text" in value else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(value.get("blocks") or value.get("view") or [])
    return [t for t in found if isinstance(t, str)]


def live_markup(text: str) -> list[str]:
    """Live mentions or links in one mrkdwn text, less the ones we mean to write."""
    text = text.removeprefix(f"<@{ASKER}> ")
    text = re.sub(r"<#(C0NEWS|DU0ASKER)>", "", text)  # the Home tab names the opener's channels
    # Links to the articles' own pages (example.com, the loopback web server) are ours.
    text = re.sub(r"<https?://(?:example\.com|127\.0\.0\.1:\d+)/[^|<>]*\|", "", text)
    return [m.group() + text[m.end() : m.end() + 12] for m in _LIVE.finditer(text)]


async def post(url: str, body: bytes, content_type: str | None = None) -> None:
    kwargs = {"content_type": content_type} if content_type else {}
    assert await post_signed(url, body, **kwargs) == 200


async def test_every_slack_surface_keeps_hostile_text_inert(
    app: tuple[str, Core], fake: FakeSlackWorkspaces, web: WebServer, tmp_path: Path, clock
) -> None:
    url, core = app
    feed = web.serve("/rss", hostile_feed(web.url("/")), "application/rss+xml")
    page = web.serve("/harbour.html", hostile_page())

    def count() -> int:
        return len([c for c in fake.calls if c.method in RECORDED])

    async def until_more(before: int) -> None:
        await fake.wait_for(lambda f: count() > before)

    # A feed with a hostile title (added in the DM: the channel's digest reads every feed),
    # and a digest on a hostile topic in the channel.
    before = count()
    await post(url, dm_body(f"feeds add {feed}"), JSON)
    await until_more(before)
    before = count()
    await post(url, command_body("/digest", f"subscribe 08:30 UTC {TOPIC} 1", fake.response_url()))
    await until_more(before)
    clock.advance(timedelta(minutes=1))  # stored after the digest began: new to it
    report = await asyncio.to_thread(
        ingest, core.store, write_hostile_stories(tmp_path), core.clock
    )
    assert report.count("stored") == len(HARBOUR_STORIES), report.summary()

    # The Home tab (digests in the opener's channels, feeds), Brief me, a DM.
    await post(url, home_opened_body(), JSON)
    await fake.wait_for(lambda f: f.of("views.publish"))
    for body, kind in (
        (brief_me_body(TOPIC), None),
        (dm_body(f"brief {TOPIC} 1"), JSON),
        (dm_body("articles harbour"), JSON),
    ):
        before = count()
        await post(url, body, kind)
        await until_more(before)

    # The Summarize link shortcut on a hostile page.
    before = count()
    await post(url, shortcut_body({"text": f"see <{page}>"}, fake.response_url()))
    await until_more(before)

    # A briefing of one bullet: Sources, then More (both in its thread).
    before = count()
    await post(url, command_body("/brief", f"{TOPIC} 1", fake.response_url()))
    await until_more(before)
    briefing = fake.messages["C0NEWS"][-1]
    for action in (blocks.SOURCES, blocks.MORE):
        before = count()
        await post(url, action_body(briefing, action, response_url=fake.response_url()))
        await until_more(before)
    assert len(fake.thread("C0NEWS", briefing["ts"])) == 2

    # The digest: Sources, Unsubscribe, then Undo (an edit of the notice).
    before = count()
    await post(url, command_body("/digest", "now", fake.response_url()))
    await until_more(before)
    digest = fake.messages["C0NEWS"][-1]
    for action in (blocks.SOURCES, blocks.UNSUBSCRIBE):
        before = count()
        await post(url, action_body(digest, action, response_url=fake.response_url()))
        await until_more(before)
    notice = fake.messages["C0NEWS"][-1]
    await post(url, action_body(notice, blocks.UNDO, response_url=fake.response_url()))
    await fake.wait_for(lambda f: f.of("chat.update"))

    # An empty briefing's menus carry the topic; choosing asks again with it.
    before = count()
    await post(url, command_body("/brief", "zzyzx <!here> <@U123>", fake.response_url()))
    await until_more(before)
    empty = fake.of("response_url")[-1].payload
    empty["ts"] = "1700000000.000900"
    before = count()
    await post(
        url, action_body(empty, blocks.BULLETS, selected="3", response_url=fake.response_url())
    )
    await until_more(before)

    recorded = [c for c in fake.calls if c.method in (*RECORDED, "views.publish")]
    assert {c.method for c in recorded} >= {*RECORDED, "views.publish"} - {"chat.postEphemeral"}
    shown: list[str] = []
    for call in recorded:
        payload = call.payload
        texts = mrkdwn(payload)
        assert texts, payload
        for text in texts:
            assert live_markup(text) == [], (call.method, text)
        shown += texts
        if call.method in {"chat.postMessage", "chat.postEphemeral"}:
            assert payload.get("link_names") in (False, 0, "0", "false"), payload
        assert not any("<http://evil" in s for s in strings(payload)), payload
    for marker in ("*loud*", "_slanted_", "~struck~"):
        assert not any(marker in t for t in shown), marker
    assert any("&lt;!channel&gt;" in t for t in shown)  # the text shows, as typed
