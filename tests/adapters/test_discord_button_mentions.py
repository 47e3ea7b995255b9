"""Every button answer on Discord keeps article text inert: More, Sources, Unsubscribe, Undo
and the menus, pressed on a briefing and a digest whose articles carry every mention form.

The real discord.py client against the loopback fake, which records every REST call: each
message body (follow-ups, channel and thread posts, edits) must parse no mentions and show no
mention syntax anywhere (content, embed titles, descriptions, field names and values,
footers, authors), and threads opened for the answers must not be named with one either.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fakes.apps import run_discord_digest_due
from fakes.discord import CHANNEL_ID, MANAGE_CHANNELS, USER_ID, FakeDiscord
from fakes.hostile import (
    FORMS,
    HARBOUR_STORIES,
    MARKUP,
    discord_visible_mentions,
    hostile_harbour_stories,
)

from adapters.discord import BriefBot
from bot.config import Settings
from bot.ingest import ingest

TOPIC = "harbour @everyone <@&555555555555555555>"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        server.member_permissions |= MANAGE_CHANNELS  # may subscribe and unsubscribe
        yield server


def write_hostile_stories(folder: Path) -> list[str]:
    return hostile_harbour_stories(
        folder,
        title=f"{FORMS} {MARKUP}",
        source="Gazette <!channel> @everyone <@U0VICTIM> <#777>",
        said="said @here <@666666666666666666> will vote next week.",
    )


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def followup(fake: FakeDiscord, interaction: str) -> dict[str, Any]:
    [message, *_] = await fake.wait_for(lambda f: f.followup_messages(interaction))
    return message


async def test_every_button_answer_keeps_hostile_article_text_inert(
    bot: BriefBot, fake: FakeDiscord, discord_settings: Settings, tmp_path: Path
) -> None:
    report = await asyncio.to_thread(
        ingest, bot.core.store, write_hostile_stories(tmp_path), bot.core.clock
    )
    assert report.count("stored") == len(HARBOUR_STORIES), report.summary()

    # A briefing of one bullet: Sources, then More, both answered in its thread.
    briefing = await followup(
        fake, await fake.inject_command("brief", {"topic": TOPIC, "bullets": 1})
    )
    more, sources = custom_ids(briefing)[:2]
    await fake.inject_component(briefing, sources)
    await fake.wait_for(lambda f: f.channel_messages.get(briefing["id"]))
    await fake.inject_component(briefing, more)
    await fake.wait_for(lambda f: len(f.channel_messages.get(briefing["id"], [])) >= 2)
    shown = fake.channel_messages[briefing["id"]]
    assert shown[0]["embeds"][0]["fields"], shown[0]  # Sources: one field per bullet
    assert "•" in str(shown[1]["embeds"])  # More: the next bullet

    # A digest on the same topic: Unsubscribe, then Undo.
    subscribed = await fake.inject_command(
        "digest subscribe", {"time": "08:30", "timezone": "UTC", "topic": TOPIC, "bullets": 1}
    )
    await followup(fake, subscribed)
    assert await run_discord_digest_due(bot.core, discord_settings) == ["delivered"]
    digest = fake.channel_messages[CHANNEL_ID][-1]
    await fake.inject_component(digest, next(i for i in custom_ids(digest) if ":src:" in i))
    await fake.wait_for(lambda f: f.channel_messages.get(digest["id"]))
    unsubscribe = next(i for i in custom_ids(digest) if i.startswith("bb:unsub:"))
    notice = await followup(fake, await fake.inject_component(digest, unsubscribe))
    await fake.inject_component(notice, custom_ids(notice)[0])  # Undo
    await fake.wait_for(lambda f: "restored" in (notice.get("content") or ""))

    # The menus of an empty briefing carry the topic: choosing a window asks again.
    empty = await followup(
        fake, await fake.inject_command("brief", {"topic": "zzyzx @here <#777>"})
    )
    [bullets, _window] = custom_ids(empty)
    await followup(fake, await fake.inject_component(empty, bullets, values=["3"]))

    sent = fake.message_bodies()
    assert len(sent) >= 8
    for body in sent:
        allowed = body.get("allowed_mentions")
        assert allowed is not None and allowed.get("parse") == [], body
        assert not allowed.get("roles") and not allowed.get("replied_user"), body
        # Only notices name someone: the asker, who did what they say (a live mention).
        assert set(allowed.get("users", [])) <= {int(USER_ID)}, body
        if allowed.get("users"):
            assert body["content"].startswith(f"<@{USER_ID}> "), body
        assert discord_visible_mentions(body, asker=USER_ID) == [], body
    assert fake.threads, "answers went to threads"
    for thread in fake.threads.values():
        assert discord_visible_mentions({"content": thread["name"]}) == [], thread["name"]
