"""Buttons, menus, threads, role mentions and help through the real discord.py client and the
loopback fake Discord.

A press is a component interaction (type 3) the fake dispatches for a message it stored, as
Discord would; "after a restart" is a new client (and core) on the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.apps import run_discord_digest_due
from fakes.discord import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_CHANNELS,
    NEWS_ROLE_ID,
    QUIET_ROLE_ID,
    TOKEN,
    FakeDiscord,
)

from adapters.discord import BriefBot, apply_endpoints
from bot.app import build_core
from bot.config import Settings
from bot.ingest import ingest
from bot.ledger import Ledger


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


class Running:
    """A started client; `restart()` replaces it with a new one on the same database."""

    def __init__(self, settings: Settings, fake: FakeDiscord, clock) -> None:
        self.settings, self.fake, self.clock = settings, fake, clock
        self.client: BriefBot | None = None
        self.task: asyncio.Task | None = None

    async def start(self) -> BriefBot:
        core = build_core(self.settings, self.clock)
        core.store  # noqa: B018
        apply_endpoints(self.settings)
        self.client = BriefBot(core, self.settings)
        identifies = self.fake.identifies
        self.task = asyncio.create_task(self.client.start(TOKEN))
        # READY and GUILD_CREATE are sent; whatever the test sends next reaches the client
        # after them, on the same socket.  Not `wait_until_ready()`: discord.py holds `ready`
        # back for `guild_ready_timeout` (2 s) after the last GUILD_CREATE, a plain wait.
        await self.fake.wait_for(lambda f: f.identifies > identifies and f.connected)
        return self.client

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            await asyncio.gather(self.task, return_exceptions=True)
            await asyncio.to_thread(self.client.core.close)

    async def restart(self) -> BriefBot:
        await self.stop()
        return await self.start()


@pytest.fixture
async def running(discord_settings: Settings, fake: FakeDiscord, clock) -> AsyncIterator[Running]:
    run = Running(discord_settings, fake, clock)
    await run.start()
    try:
        yield run
    finally:
        await run.stop()


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


def text_of(message: dict) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    return "\n".join(parts)


async def _briefing(fake: FakeDiscord, options: dict) -> dict:
    interaction = await fake.inject_command("brief", options)
    [message] = await fake.wait_for(lambda f: f.followup_messages(interaction))
    return message


async def test_more_and_sources_post_in_a_thread_also_after_a_restart(
    running: Running, fake: FakeDiscord
) -> None:
    message = await _briefing(fake, {"bullets": 2})
    ids = custom_ids(message)
    assert [i.split(":")[1] for i in ids] == ["more", "src"]
    assert all(len(i) <= 100 for i in ids)

    press = await fake.inject_component(message, ids[1])  # Sources
    await fake.wait_for(lambda f: f.channel_messages.get(message["id"]))
    assert fake.responses(press)[0].payload["type"] == 6  # acked at once, nothing shown
    assert message["id"] in fake.threads
    [sources] = fake.channel_messages[message["id"]]
    assert "Sources" in text_of(sources) and "“" in text_of(sources)

    await running.restart()
    await fake.inject_component(message, ids[0])  # More, on the new client
    thread = await fake.wait_for(
        lambda f: len(f.channel_messages.get(message["id"], [])) >= 2 and f.channel_messages
    )
    more = thread[message["id"]][1]
    assert text_of(more).startswith("\nMore: ")
    assert [i.split(":")[1] for i in custom_ids(more)] == ["more", "src"]


async def test_buttons_pressed_inside_the_thread_answer_in_that_thread(
    running: Running, fake: FakeDiscord
) -> None:
    message = await _briefing(fake, {"bullets": 1})
    await fake.inject_component(message, custom_ids(message)[0])  # More, in the channel
    first = await fake.wait_for(lambda f: f.channel_messages.get(message["id"]))
    [more] = first
    press = await fake.inject_component(more, custom_ids(more)[0])  # More again, in the thread
    thread = await fake.wait_for(
        lambda f: (
            len(f.channel_messages.get(message["id"], [])) >= 2
            and f.channel_messages[message["id"]]
        )
    )
    assert text_of(thread[1]).startswith("\nMore: ")
    assert not any("no longer have" in text_of(m) for m in fake.followup_messages(press))
    press = await fake.inject_component(more, custom_ids(more)[1])  # Sources, in the thread
    thread = await fake.wait_for(
        lambda f: (
            len(f.channel_messages.get(message["id"], [])) >= 3
            and f.channel_messages[message["id"]]
        )
    )
    assert "Sources" in text_of(thread[2])


async def test_unsubscribe_refused_for_a_non_manager_then_done_and_undone(
    running: Running, fake: FakeDiscord, discord_settings: Settings, clock
) -> None:
    fake.member_permissions |= MANAGE_CHANNELS
    interaction = await fake.inject_command("digest subscribe", {"time": "08:30"})
    await fake.wait_for(lambda f: f.followup_messages(interaction))
    delivered = await run_discord_digest_due(running.client.core, discord_settings)
    assert delivered == ["delivered"]
    [digest] = fake.channel_messages[CHANNEL_ID]
    unsubscribe = next(i for i in custom_ids(digest) if i.startswith("bb:unsub:"))

    await running.restart()
    fake.member_permissions &= ~MANAGE_CHANNELS
    # Anyone may ask for the digest's sources: in its thread.
    await fake.inject_component(digest, next(i for i in custom_ids(digest) if ":src:" in i))
    [sources] = await fake.wait_for(lambda f: f.channel_messages.get(digest["id"]))
    assert "Sources · Daily digest" in text_of(sources)
    denied = await fake.inject_component(digest, unsubscribe)
    [refusal] = await fake.wait_for(lambda f: f.followup_messages(denied))
    assert refusal["flags"] & EPHEMERAL and "Manage Channels" in refusal["content"]
    assert Ledger(running.client.core.store).subscriptions("discord")

    fake.member_permissions |= MANAGE_CHANNELS
    done = await fake.inject_component(digest, unsubscribe)
    [notice] = await fake.wait_for(lambda f: f.followup_messages(done))
    assert "removed 1 digest" in notice["content"] and not notice["flags"] & EPHEMERAL
    assert not Ledger(running.client.core.store).subscriptions("discord")
    [undo] = custom_ids(notice)
    undone = await fake.inject_component(notice, undo)
    await fake.wait_for(lambda f: "restored" in (notice.get("content") or ""))
    assert fake.responses(undone)[0].payload["type"] == 6
    assert custom_ids(notice) == []  # the Undo button is gone once used
    assert Ledger(running.client.core.store).subscriptions("discord")

    # A minute later (the core's clock) Undo no longer works.
    again = await fake.inject_component(digest, unsubscribe)
    [late] = await fake.wait_for(lambda f: f.followup_messages(again))
    clock.advance(timedelta(seconds=61))
    too_late = await fake.inject_component(late, custom_ids(late)[0])
    [told] = await fake.wait_for(lambda f: f.followup_messages(too_late))
    assert told["flags"] & EPHEMERAL and "has passed" in told["content"]
    assert not Ledger(running.client.core.store).subscriptions("discord")


async def test_a_digest_pings_exactly_its_role_and_threads_its_stories(
    running: Running, fake: FakeDiscord, discord_settings: Settings
) -> None:
    fake.member_permissions |= MANAGE_CHANNELS
    for role in (GUILD_ID, QUIET_ROLE_ID):  # @everyone, and a role nobody may ping
        refused = await fake.inject_command("digest subscribe", {"time": "08:30", "mention": role})
        await fake.wait_for(lambda f, i=refused: f.responses(i))
        answer = fake.responses(refused)[0].payload
        assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert not Ledger(running.client.core.store).subscriptions("discord")

    interaction = await fake.inject_command(
        "digest subscribe", {"time": "08:30", "mention": NEWS_ROLE_ID, "threads": True}
    )
    await fake.wait_for(lambda f: f.followup_messages(interaction))
    await run_discord_digest_due(running.client.core, discord_settings)
    [call] = fake.of("POST", rf"^/channels/{CHANNEL_ID}/messages$")
    allowed = call.payload["allowed_mentions"]
    assert allowed["parse"] == [] and [str(r) for r in allowed["roles"]] == [NEWS_ROLE_ID]
    assert set(allowed) <= {"parse", "roles", "replied_user"}
    [top] = fake.channel_messages[CHANNEL_ID]
    assert top["content"].startswith(f"<@&{NEWS_ROLE_ID}>")
    assert "in the thread" in text_of(top)
    [stories] = fake.channel_messages[top["id"]]
    assert "•" in text_of(stories)
    thread_posts = fake.of("POST", rf"^/channels/{top['id']}/messages$")
    assert thread_posts[0].payload["allowed_mentions"] == {"parse": []}


async def test_help_keeps_line_breaks_names_commands_the_discord_way_and_has_menus(
    running: Running, fake: FakeDiscord
) -> None:
    interaction = await fake.inject_command("help")
    [message] = await fake.wait_for(lambda f: f.followup_messages(interaction))
    text = text_of(message)
    for command in ("/brief", "/summarize", "/articles", "/digest", "/feeds", "/help"):
        assert command in text
    assert "`/articles query:nato`" in text and "/brief why:N" in text
    fields = message["embeds"][0]["fields"]
    assert any("\n" in f["value"] for f in fields)
    assert "`/help command:digest`" in text  # `digest help`, the Discord way
    digest_help = await fake.inject_command("help", {"command": "digest"})
    [answer] = await fake.wait_for(lambda f: f.followup_messages(digest_help))
    assert "/digest subscribe time:" in text_of(answer) and "threads" in text_of(answer)
    picks = custom_ids(message)
    assert picks == ["bb:pick:b:", "bb:pick:w:"]
    chosen = await fake.inject_component(message, picks[0], values=["3"])
    [briefing] = await fake.wait_for(lambda f: f.followup_messages(chosen))
    assert text_of(briefing).count("• ") == 3 and not briefing["flags"] & EPHEMERAL


async def test_a_one_article_summary_names_its_source_once(
    running: Running, fake: FakeDiscord
) -> None:
    interaction = await fake.inject_command("summarize", {"article": "1", "sentences": 4})
    [message] = await fake.wait_for(lambda f: f.followup_messages(interaction))
    text = text_of(message)
    assert text.count("• ") >= 3
    assert text.count("Source:") == 1 and "↳" not in text


async def test_summarize_suggests_articles_by_word_prefix(
    running: Running, fake: FakeDiscord, tmp_path: Path, clock
) -> None:
    story = tmp_path / "meridian.txt"
    story.write_text(
        "Meridian Port reopens after storm\n\nThe Meridian port reopened on Monday after "
        "the storm closed it for three days, the harbour authority said.\n"
    )
    ingest(running.client.core.store, [str(story)], clock)
    interaction = await fake.inject_autocomplete("summarize", "article", "meri")
    [answer] = await fake.wait_for(
        lambda f: [c for c in f.responses(interaction) if c.path.endswith("/callback")]
    )
    names = [c["name"] for c in answer.payload["data"]["choices"]]
    assert any("Meridian" in n for n in names)
