"""Two Slack workspaces (team ids) on one briefbot: the real Bolt app over HTTP on 127.0.0.1,
against the loopback fake Slack.  Each team reads its own and the shared articles only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, FeedEntry, Story, make_rss
from fakes.apps import running_bolt, slack_settings_for
from fakes.slack import FakeSlack, command_body, post_signed
from fakes.web import WebServer

from adapters.slack.app import DigestPoster
from bot.app import Core
from bot.config import Settings
from bot.digests import run_due
from bot.feeds import poll
from bot.ingest import store_draft
from bot.models import ArticleDraft
from bot.scopes import SHARED, workspace_key

TEAM_A, TEAM_B = "T0ALPHA", "T0BRAVO"
CHANNEL = {TEAM_A: "C0ALPHA", TEAM_B: "C0BRAVO"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
def seeds() -> bool:
    return True


@pytest.fixture
def slack_settings(settings: Settings, fake: FakeSlack, seeds: bool) -> Settings:
    return slack_settings_for(settings, fake, load_seeds=seeds)


@pytest.fixture
async def app(slack_settings: Settings, clock) -> AsyncIterator[tuple[str, Core]]:
    """The real Bolt app on a free loopback port: its events URL and its core."""
    async with running_bolt(slack_settings, clock) as running:
        yield running


def keep(core: Core, story: Story, team: str | None) -> int:
    """Store a story as if `team`'s feed (None: the operator) had brought it in."""
    draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Herald")
    scope = workspace_key("slack", team) if team else SHARED
    result = store_draft(core.store, "x", draft, core.clock, scopes=(scope,))
    assert result.article is not None
    return result.article.id


async def ask(url: str, fake: FakeSlack, team: str, command: str, text: str) -> str:
    """Run a slash command in `team`'s channel; return everything it answered, as JSON."""
    before = len(fake.calls)
    body = command_body(command, text, fake.response_url(team), channel=CHANNEL[team], team=team)
    assert await post_signed(url, body) == 200
    answered = await fake.wait_for(
        lambda f: [c for c in f.calls[before:] if c.method in {"chat.postMessage", "response_url"}]
    )
    return json.dumps([c.payload for c in answered])


async def test_each_team_reads_only_its_own_and_the_shared_articles(
    app: tuple[str, Core], fake: FakeSlack
) -> None:
    url, core = app
    alpha = await asyncio.to_thread(keep, core, HARBOUR, TEAM_A)
    bravo = await asyncio.to_thread(keep, core, VOLCANO, TEAM_B)

    listed = await ask(url, fake, TEAM_A, "/articles", "")
    assert HARBOUR.title in listed and VOLCANO.title not in listed
    listed = await ask(url, fake, TEAM_B, "/articles", "")
    assert VOLCANO.title in listed and HARBOUR.title not in listed

    briefed = await ask(url, fake, TEAM_A, "/brief", "harbour ferry")
    assert HARBOUR.title in briefed
    refused = await ask(url, fake, TEAM_A, "/brief", "magma volcano")
    assert "No stored articles" in refused and VOLCANO.title not in refused
    shared = await ask(url, fake, TEAM_B, "/brief", "ukraine 2")
    assert "Ukraine" in shared or "ukraine" in shared  # the seeds are everyone's

    mine = await ask(url, fake, TEAM_A, "/summarize", str(alpha))
    assert HARBOUR.title in mine
    foreign = await ask(url, fake, TEAM_A, "/summarize", str(bravo))
    missing = await ask(url, fake, TEAM_A, "/summarize", "999999")
    assert f"No article with id {bravo}." in foreign and VOLCANO.title not in foreign
    assert foreign.replace(f"id {bravo}", "id N") == missing.replace("id 999999", "id N")


async def test_a_feed_both_teams_follow_is_fetched_once_and_read_by_both(
    app: tuple[str, Core], fake: FakeSlack, web: WebServer, clock
) -> None:
    url, core = app

    def entries(*stories: Story) -> str:
        return make_rss(
            "Both",
            web.url("/"),
            [
                FeedEntry(
                    title=s.title,
                    link=web.url(f"/story/{n}"),
                    content_html="".join(f"<p>{p}</p>" for p in s.paragraphs),
                    published=datetime(2024, 5, 1, 8, n, tzinfo=UTC),
                )
                for n, s in enumerate(stories, start=1)
            ],
        )

    feed = web.serve("/both", entries(HARVEST), "application/rss+xml")
    added = await ask(url, fake, TEAM_A, "/feeds", f"add {feed}")
    assert "added feed" in added
    assert HARVEST.title not in await ask(url, fake, TEAM_B, "/articles", "")
    joined = await ask(url, fake, TEAM_B, "/feeds", f"add {feed}")
    assert "1 article stored now" in joined and "earlier" not in joined
    assert HARVEST.title in await ask(url, fake, TEAM_B, "/articles", "")

    web.serve("/both", entries(HARVEST, VOLCANO), "application/rss+xml")
    fetched = len(web.requests_to("/both"))
    clock.advance(timedelta(hours=1))
    results = await asyncio.to_thread(poll, core)
    assert len(web.requests_to("/both")) == fetched + 1
    assert sorted(r.stored for r in results) == [1, 1]
    for team in (TEAM_A, TEAM_B):
        assert VOLCANO.title in await ask(url, fake, team, "/articles", "magma")


@pytest.mark.parametrize("seeds", [False])  # a few articles: every one is in the digest
async def test_digests_carry_only_the_teams_own_and_shared_articles(
    app: tuple[str, Core], fake: FakeSlack, slack_settings: Settings, clock
) -> None:
    url, core = app
    for team in (TEAM_A, TEAM_B):
        assert "subscribed this channel" in await ask(url, fake, team, "/digest", "sub 10:00")
    await asyncio.to_thread(keep, core, HARBOUR, TEAM_A)
    await asyncio.to_thread(keep, core, VOLCANO, TEAM_B)
    await asyncio.to_thread(keep, core, CHESS, None)
    now = clock.advance(timedelta(hours=2))
    before = len(fake.of("chat.postMessage"))
    outcomes = await run_due(core, {"slack": DigestPoster(slack_settings)}, now=now)
    assert [o.status for o in outcomes] == ["delivered", "delivered"]
    digests = fake.of("chat.postMessage")[before:]
    posted = {c.payload["channel"]: json.dumps(c.payload) for c in digests}
    assert len(digests) == 2
    assert HARBOUR.title in posted[CHANNEL[TEAM_A]] and VOLCANO.title in posted[CHANNEL[TEAM_B]]
    assert VOLCANO.title not in posted[CHANNEL[TEAM_A]]
    assert HARBOUR.title not in posted[CHANNEL[TEAM_B]]
    assert all(CHESS.title in text for text in posted.values())
