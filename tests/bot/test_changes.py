"""What changed since the last digest (bot.changes), over three consecutive days of one story:
New on day 1, Updated with only its new fact and outlet on day 2, left out on day 3 when
nothing about it is new.  Real store, fake clock, the real scheduler pass."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fakes import CHESS, HARBOUR, VOLCANO, Story

from bot.app import Core
from bot.commands import BriefingReply, NoticeReply, answer
from bot.digests import Context, DigestMark, Landed, run_due
from bot.ingest import store_draft
from bot.models import ArticleDraft, Subscription
from bot.store import digest_stories

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
P = HARBOUR.paragraphs

# Day 2: another outlet's follow-up: two facts already told, and one new.
FOLLOW_UP = Story(
    "Northport council backs sea wall after bridge reopening",
    (
        "The city council voted on Thursday to fund a permanent sea wall along the waterfront, "
        "approving eighty million crowns for the four-year project.",
        P[0],
        P[2],
    ),
)
# Day 3: the first outlet again, retelling what was already said, nothing new.
RETOLD = Story(
    "Bridge in Northport back in use after repairs",
    (P[3], P[1], P[5], P[6]),
)


class Poster:
    def __init__(self) -> None:
        self.posts: list[object] = []

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        self.posts.append(reply)
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        return None


def store(core: Core, story: Story, outlet: str) -> None:
    draft = ArticleDraft(story.title, "\n".join(story.paragraphs), outlet, outlet=outlet)
    result = store_draft(core.store, "x", draft, core.clock)
    assert result.status == "stored", result


def marked(reply: object) -> dict[str, list[str]]:
    """Story line → its bullets' texts."""
    assert isinstance(reply, BriefingReply), reply
    out: dict[str, list[str]] = {}
    current = ""
    for bullet in reply.briefing.bullets:
        current = bullet.story or current
        out.setdefault(current, []).append(bullet.text)
    return out


def day(n: int, hour: int) -> datetime:
    return datetime(2026, 11, 24 + n, hour, 0, tzinfo=UTC)


def test_three_days_of_one_story(bare_core: Core, clock) -> None:
    core = bare_core
    clock._now = day(0, 12)
    assert isinstance(answer(core, "digest subscribe 08:30 UTC", HERE), NoticeReply)
    poster = Poster()

    def digest_on(n: int) -> object:
        now = day(n, 8) + timedelta(minutes=30)
        clock._now = now
        asyncio.run(run_due(core, {"slack": poster}, now=now))
        return poster.posts[-1]

    clock._now = day(1, 7)
    store(core, HARBOUR, "Northport Herald")
    first = marked(digest_on(1))
    assert list(first) == [f"New · {HARBOUR.title}"]

    clock._now = day(2, 7)
    store(core, FOLLOW_UP, "Coast Radio")
    store(core, VOLCANO, "Science Daily")
    second = marked(digest_on(2))
    assert f"New · {VOLCANO.title}" in second
    [update] = [k for k in second if k.startswith("Updated · ")]
    assert update == f"Updated · {HARBOUR.title}"  # the story keeps its identity and headline
    facts = second[update]
    assert any("eighty million" in f for f in facts)  # the new fact…
    assert all("eleven weeks" not in f and "three million" not in f for f in facts)  # …only
    assert "Coast Radio" in facts[-1]  # the new outlet is named

    clock._now = day(3, 7)
    store(core, RETOLD, "Northport Herald")
    store(core, CHESS, "Sports Wire")
    third = marked(digest_on(3))
    assert list(third) == [f"New · {CHESS.title}"]  # the retold story is left out

    # Story identity is stored: the retelling joined the harbour story's id.
    with core.store.engine.connect() as conn:
        rows = conn.execute(digest_stories.select()).all()
    stories = {r.story_id for r in rows}
    assert len(stories) == 3  # harbour, volcano, chess
    harbour = [r for r in rows if r.story_id == min(r.article_id for r in rows)]
    assert len(harbour) == 3  # HARBOUR, FOLLOW_UP, RETOLD
