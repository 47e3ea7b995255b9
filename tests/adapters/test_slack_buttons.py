"""Buttons, menus, threads and help through the real slack-bolt app and the loopback fake.

Every press is a signed `block_actions` request built from the message the fake stored, as
Slack would send it; "after a restart" is a new app (new core) on the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from fakes.apps import running_bolt
from fakes.slack import (
    BOT_TOKEN,
    FakeSlack,
    action_body,
    command_body,
    post_signed,
)

from adapters.slack import blocks
from bot.config import Settings
from bot.ledger import Ledger


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


def texts(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def action_ids(message: dict) -> list[str]:
    return [
        e.get("action_id")
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]


async def _brief(url: str, fake: FakeSlack, text: str) -> dict:
    assert await post_signed(url, command_body("/brief", text, fake.response_url())) == 200
    await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
    return fake.messages["C0NEWS"][-1]


async def test_more_and_sources_answer_in_the_thread_also_after_a_restart(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, _):
        posted = await _brief(url, fake, "2")
        assert action_ids(posted) == [blocks.MORE, blocks.SOURCES]
        shown = [t for t in texts(posted) if t.startswith("• ")]
        body = action_body(posted, blocks.SOURCES, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        thread = await fake.wait_for(lambda f: f.thread("C0NEWS", posted["ts"]))
        sources = thread[0]
        assert sources["blocks"][0]["text"]["text"].startswith("Sources")
        listed = "\n".join(texts(sources))
        assert "*1.*" in listed and "*2.*" in listed and "↳ " in listed and "“" in listed

    # A new app on the same database: the old message's More still works.
    async with running_bolt(slack_settings, clock) as (url, _):
        body = action_body(posted, blocks.MORE, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        thread = await fake.wait_for(lambda f: len(f.thread("C0NEWS", posted["ts"])) >= 2 and f)
        more = fake.thread("C0NEWS", posted["ts"])[1]
        assert more["blocks"][0]["text"]["text"].startswith("More: ")
        added = [t for t in texts(more) if t.startswith("• ")]
        assert added and not set(added) & set(shown)
        assert action_ids(more) == [blocks.MORE, blocks.SOURCES]
    # conversations.replies shows the thread: the briefing, its sources, then more.
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    replies = await client.conversations_replies(channel="C0NEWS", ts=posted["ts"])
    assert [m["ts"] for m in replies["messages"]] == [
        posted["ts"],
        *(m["ts"] for m in fake.thread("C0NEWS", posted["ts"])),
    ]
    assert len(replies["messages"]) == 3


async def test_a_press_from_another_channel_finds_nothing(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, _):
        posted = await _brief(url, fake, "2")
        body = action_body(
            posted, blocks.SOURCES, channel="C0OTHER", response_url=fake.response_url()
        )
        assert await post_signed(url, body) == 200
        told = await fake.wait_for(lambda f: f.of("response_url"))
        assert "no longer have that briefing" in told[0].payload["text"]
        assert told[0].payload["response_type"] == "ephemeral"
        assert "`/brief`" in told[0].payload["text"]  # the hint as typed in Slack


async def test_digest_unsubscribe_then_undo_within_a_minute_but_not_after(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, core):
        body = command_body("/digest", "subscribe 08:30 Europe/Paris", fake.response_url())
        assert await post_signed(url, body) == 200
        await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
        (sub,) = Ledger(core.store).subscriptions("slack", "T0FAKE", "C0NEWS")
        assert await post_signed(url, command_body("/digest", "now", fake.response_url())) == 200
        await fake.wait_for(lambda f: len(f.messages["C0NEWS"]) >= 2)
        digest = fake.messages["C0NEWS"][-1]
        assert action_ids(digest) == [blocks.MORE, blocks.SOURCES, blocks.UNSUBSCRIBE]

    async with running_bolt(slack_settings, clock) as (url, core):  # after a restart
        # The digest's Sources and More answer in its thread, like a briefing's.
        for action in (blocks.SOURCES, blocks.MORE):
            body = action_body(digest, action, response_url=fake.response_url())
            assert await post_signed(url, body) == 200
        await fake.wait_for(
            lambda f: len(f.thread("C0NEWS", digest["ts"])) + len(f.of("response_url")) >= 2
        )
        sources = fake.thread("C0NEWS", digest["ts"])[0]
        assert sources["blocks"][0]["text"]["text"].startswith("Sources · Daily digest")
        more = fake.thread("C0NEWS", digest["ts"])[1:] or [
            c.payload for c in fake.of("response_url")
        ]
        assert "More: Daily digest" in str(more) or "Nothing more" in str(more)
        body = action_body(digest, blocks.UNSUBSCRIBE, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        await fake.wait_for(lambda f: [m for m in f.messages["C0NEWS"] if "removed" in m["text"]])
        notice = fake.messages["C0NEWS"][-1]
        assert "removed 1 digest" in notice["text"] and action_ids(notice) == [blocks.UNDO]
        assert not Ledger(core.store).subscriptions("slack", "T0FAKE", "C0NEWS")

        body = action_body(notice, blocks.UNDO, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        await fake.wait_for(lambda f: f.of("chat.update"))
        assert "restored digest" in fake.message("C0NEWS", notice["ts"])["text"]
        assert [s.id for s in Ledger(core.store).subscriptions("slack")] == [sub.id]

        # Unsubscribe again, wait more than a minute (the core's clock): Undo is refused.
        before = len(fake.messages["C0NEWS"])
        body = action_body(digest, blocks.UNSUBSCRIBE, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        await fake.wait_for(lambda f: len(f.messages["C0NEWS"]) > before)
        late = fake.messages["C0NEWS"][-1]
        assert "removed 1 digest" in late["text"]
        clock.advance(timedelta(seconds=61))
        body = action_body(late, blocks.UNDO, response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        told = await fake.wait_for(
            lambda f: [c for c in f.of("response_url") if "has passed" in c.payload["text"]]
        )
        assert told[0].payload["response_type"] == "ephemeral"
        assert not Ledger(core.store).subscriptions("slack")


async def test_threaded_digest_posts_one_line_and_the_stories_in_its_thread(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, core):
        body = command_body("/digest", "subscribe 08:30 UTC threads", fake.response_url())
        assert await post_signed(url, body) == 200
        await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
        assert "in a thread" in fake.messages["C0NEWS"][-1]["text"]
        from adapters.slack.app import DigestPoster
        from bot.digests import run_due

        clock.advance(timedelta(days=1))
        outcomes = await run_due(core, {"slack": DigestPoster(slack_settings)})
        assert [o.status for o in outcomes] == ["delivered"]
        top = [m for m in fake.messages["C0NEWS"] if "metadata" in m][-1]
        assert "in the thread" in top["text"] or "in the thread" in texts(top)[0]
        assert blocks.UNSUBSCRIBE in action_ids(top)
        (story,) = fake.thread("C0NEWS", top["ts"])
        assert any(t.startswith("• ") for t in texts(story))


async def test_help_keeps_its_line_breaks_names_every_command_and_offers_menus(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, _):
        assert await post_signed(url, command_body("/briefbot", "help", fake.response_url())) == 200
        (call,) = await fake.wait_for(lambda f: f.of("response_url"))
        sections = texts(call.payload)
        joined = "\n".join(sections)
        for command in ("/brief", "/summarize", "/articles", "/digest", "/feeds", "/help"):
            assert f"`{command}" in joined
        assert "`/brief why N`" in joined
        assert any("\n" in s and s.count("\n") >= 1 for s in sections)
        assert "`/brief ukraine 3`" in joined  # examples spelled for Slack
        assert blocks.BULLETS in action_ids(call.payload)

        # A menu choice posts a briefing in the channel.
        menu = {"ts": "1.0", **call.payload}
        body = action_body(menu, blocks.BULLETS, selected="3", response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        posted = await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
        assert len([t for t in texts(posted[-1]) if t.startswith("• ")]) == 3


async def test_an_empty_briefing_offers_the_window_menu_with_its_topic(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, _):
        clock.advance(timedelta(days=2))  # the seeds are two days old: none in 24h
        body = command_body("/brief", "ukraine 24h", fake.response_url())
        assert await post_signed(url, body) == 200
        (call,) = await fake.wait_for(lambda f: f.of("response_url"))
        assert "`/brief all`" in call.payload["text"] or "/brief all" in str(call.payload)
        menu_block = next(b for b in call.payload["blocks"] if b["type"] == "actions")
        assert menu_block["block_id"] == blocks.PICK_BLOCK + "ukraine"
        message = {"ts": "1.0", **call.payload}
        body = action_body(message, blocks.WINDOW, selected="all", response_url=fake.response_url())
        assert await post_signed(url, body) == 200
        posted = await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
        assert "ukraine" in posted[-1]["blocks"][0]["text"]["text"].lower()


async def test_a_one_article_summary_shows_its_source_once(
    slack_settings: Settings, fake: FakeSlack, clock
) -> None:
    async with running_bolt(slack_settings, clock) as (url, _):
        body = command_body("/summarize", "1 5", fake.response_url())
        assert await post_signed(url, body) == 200
        posted = await fake.wait_for(lambda f: f.messages.get("C0NEWS"))
        message = posted[-1]
        bullets = [t for t in texts(message) if t.startswith("• ")]
        lines = [
            e["text"]
            for b in message["blocks"]
            if b["type"] == "context"
            for e in b["elements"]
            if e["text"].startswith("Source")
        ]
        assert len(bullets) >= 3 and len(lines) == 1
        assert len(message["blocks"]) <= len(bullets) + 4  # header, stamp, source, buttons
