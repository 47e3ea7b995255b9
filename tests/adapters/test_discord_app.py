"""The real discord.py client against the loopback fake Discord (REST + gateway).

The bot logs in, syncs its commands, receives injected slash-command interactions over the
gateway and answers through the interaction webhooks, all on 127.0.0.1.  Tests wait on what
the fake records, never on time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.apps import run_discord_digest_due
from fakes.discord import (
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_CHANNELS,
    TOKEN,
    FakeDiscord,
)

from adapters.discord import BriefBot, invite_url
from bot.config import Settings
from bot.ingest import store_draft
from bot.ledger import Ledger
from bot.models import ArticleDraft

PROJECT = Path(__file__).resolve().parents[2]
WEBHOOK = r"^/webhooks/\d+/"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


def followups(fake: FakeDiscord, interaction: str) -> list:
    return [c for c in fake.responses(interaction) if c.method == "POST" and "/webhooks/" in c.path]


def embed_text(call) -> str:
    return "\n".join(
        (e.get("title") or "")
        + "\n"
        + (e.get("description") or "")
        + "".join(f"\n{f['name']}\n{f['value']}" for f in e.get("fields") or [])
        for e in call.payload.get("embeds", [])
    )


async def test_the_bot_registers_its_commands_in_the_guild(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    names = {c["name"] for c in fake.commands}
    assert {"brief", "summarize", "articles", "help", "digest"} <= names
    brief = next(c for c in fake.commands if c["name"] == "brief")
    assert {o["name"] for o in brief["options"]} == {"topic", "bullets", "since", "why"}
    assert all(o.get("description") for o in brief["options"])
    assert fake.of("PUT", rf"/guilds/{GUILD_ID}/commands")


async def test_brief_is_deferred_then_followed_by_sourced_embeds(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    interaction = await fake.inject_command("brief", {"topic": "ukraine", "bullets": 3})
    posted = await fake.wait_for(lambda f: followups(f, interaction))
    callback = fake.responses(interaction)[0]
    assert callback.path.endswith("/callback") and callback.payload["type"] == 5
    assert not callback.payload.get("data", {}).get("flags", 0) & EPHEMERAL
    text = embed_text(posted[0])
    assert text.startswith("Briefing: ukraine")
    bullets = [line for line in text.splitlines() if line.startswith("• ")]
    assert 1 <= len(bullets) <= 3
    assert "↳" in text and "China" in text  # the sources, under each bullet
    assert not posted[0].payload.get("flags", 0) & EPHEMERAL


async def test_brief_why_answers_only_the_asker_with_each_sources_sentence(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    first = await fake.inject_command("brief", {"why": 1})
    [none_yet] = await fake.wait_for(lambda f: followups(f, first))
    assert none_yet.payload["flags"] & EPHEMERAL
    assert "run `/brief` first" in none_yet.payload["content"]

    interaction = await fake.inject_command("brief", {"topic": "ukraine", "bullets": 2})
    [posted] = await fake.wait_for(lambda f: followups(f, interaction))
    bullet = next(ln for ln in embed_text(posted).splitlines() if ln.startswith("• "))

    asked = await fake.inject_command("brief", {"why": 1})
    [reply] = await fake.wait_for(lambda f: followups(f, asked))
    assert fake.responses(asked)[0].payload == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert reply.payload["flags"] & EPHEMERAL
    assert reply.payload["allowed_mentions"]["parse"] == []
    text = embed_text(reply)
    assert text.startswith("Why bullet 1 of 2")
    assert "**Stated by (" in text and "**Left out (" in text
    assert f"> “{bullet[2:42]}" in text  # the bullet's own words, quoted as its evidence

    beyond = await fake.inject_command("brief", {"why": 3})
    [error] = await fake.wait_for(lambda f: followups(f, beyond))
    assert error.payload["flags"] & EPHEMERAL and "1 to 2" in error.payload["content"]


async def test_the_topic_why_is_a_topic_not_the_why_option(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    text = "Why the harbour toll matters to drivers is simple. The toll costs two dollars."
    draft = ArticleDraft("Why the harbour toll matters", text, "Herald", outlet="Herald")
    assert store_draft(bot.core.store, "Herald", draft, bot.core.clock).article is not None
    interaction = await fake.inject_command("brief", {"topic": "Why"})
    [posted] = await fake.wait_for(lambda f: followups(f, interaction))
    assert "• Why the harbour toll matters to drivers" in embed_text(posted)


async def test_unknown_article_gets_an_ephemeral_error(bot: BriefBot, fake: FakeDiscord) -> None:
    interaction = await fake.inject_command("summarize", {"article": "99999"})
    await fake.wait_for(
        lambda f: any(c.payload and c.payload.get("flags") for c in followups(f, interaction))
    )
    [error] = followups(fake, interaction)
    assert error.payload["flags"] & EPHEMERAL
    assert "99999" in error.payload["content"]
    # The public "thinking…" message was removed, so nobody else sees a dangling reply.
    assert any(c.method == "DELETE" for c in fake.responses(interaction))


async def test_help_and_articles_answer_only_the_asker(bot: BriefBot, fake: FakeDiscord) -> None:
    texts = {}
    for name in ("help", "articles"):
        interaction = await fake.inject_command(name)
        [reply] = await fake.wait_for(lambda f, i=interaction: followups(f, i))
        assert fake.responses(interaction)[0].payload == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert reply.payload["flags"] & EPHEMERAL
        texts[name] = embed_text(reply)
    assert "/brief" in texts["help"]
    assert "`1`" in texts["articles"]


async def test_autocomplete_offers_stored_articles(bot: BriefBot, fake: FakeDiscord) -> None:
    interaction = await fake.inject_autocomplete("summarize", "article", "Xi")
    [answer] = await fake.wait_for(
        lambda f: [c for c in f.responses(interaction) if c.path.endswith("/callback")]
    )
    choices = answer.payload["data"]["choices"]
    assert choices and all(c["name"][0].isdigit() for c in choices)


async def test_a_resumed_gateway_answers_each_interaction_exactly_once(
    bot: BriefBot, fake: FakeDiscord
) -> None:
    first = await fake.inject_command("brief", {"topic": "china"})
    await fake.wait_for(lambda f: followups(f, first))
    await fake.drop_connection()
    second = await fake.inject_command("brief", {"topic": "ukraine"})  # sent while disconnected
    await fake.wait_for(lambda f: f.resumes == 1)
    await fake.wait_for(lambda f: followups(f, second))
    third = await fake.inject_command("help")
    await fake.wait_for(lambda f: followups(f, third))
    assert fake.identifies == 1
    for interaction in (first, second, third):
        callbacks = [c for c in fake.responses(interaction) if c.path.endswith("/callback")]
        assert len(callbacks) == 1
        assert len(followups(fake, interaction)) == 1


async def test_a_failed_follow_up_is_logged_and_reported_ephemerally(
    bot: BriefBot, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", WEBHOOK, status=403, code=50013, message="Missing Permissions")
    interaction = await fake.inject_command("brief", {"topic": "ukraine"})
    [notice] = await fake.wait_for(lambda f: followups(f, interaction))
    assert notice.payload["flags"] & EPHEMERAL
    assert "permission" in notice.payload["content"]
    assert "Missing Permissions" in caplog.text


async def test_digest_subscribe_needs_manage_channels_and_posts_through_rest(
    bot: BriefBot, fake: FakeDiscord, discord_settings: Settings
) -> None:
    denied = await fake.inject_command(
        "digest subscribe", {"time": "08:30", "timezone": "Europe/Paris"}
    )
    [refusal] = await fake.wait_for(lambda f: followups(f, denied))
    assert refusal.payload["flags"] & EPHEMERAL and "Manage Channels" in refusal.payload["content"]
    assert Ledger(bot.core.store).subscriptions() == []

    fake.member_permissions |= MANAGE_CHANNELS
    interaction = await fake.inject_command(
        "digest subscribe", {"time": "08:30", "timezone": "Europe/Paris"}
    )
    [notice] = await fake.wait_for(lambda f: followups(f, interaction))
    assert "subscribed this channel" in notice.payload["content"]
    delivered = await run_discord_digest_due(bot.core, discord_settings, GUILD_ID, CHANNEL_ID)
    assert delivered == ["delivered"]
    [message] = fake.of("POST", rf"/channels/{CHANNEL_ID}/messages")
    assert "Daily digest" in embed_text(message)


def test_invite_link_has_both_scopes_and_only_the_permissions_used(settings: Settings) -> None:
    url = invite_url(dataclasses.replace(settings, discord_token=TOKEN))
    assert "client_id=100000000000000000" in url
    assert "scope=bot+applications.commands" in url
    # View Channel + Send Messages + Embed Links + Read Message History (digest read-backs)
    # + Create Public Threads + Send Messages in Threads (More, Sources, threaded digests)
    assert "permissions=309237730304" in url


async def test_briefbot_run_discord_registers_and_answers(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_GUILD_ID": GUILD_ID,
        "DISCORD_API_URL": fake.api_url,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "PYTHONPATH": str(PROJECT),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "discord",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_ready(timeout=60)
        await fake.wait_for(
            lambda f: {"brief", "summarize", "articles", "help"} <= {c["name"] for c in f.commands},
            timeout=60,
        )
        interaction = await fake.inject_command("brief", {"topic": "ukraine"})
        [reply] = await fake.wait_for(lambda f: followups(f, interaction), timeout=60)
        assert "• " in embed_text(reply)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert TOKEN not in stderr.decode()
