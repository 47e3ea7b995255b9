"""`brief why N` against a real core: the channel's last briefing, kept in the database."""

from __future__ import annotations

import json

import pytest

import summarizers
from bot.app import Core, build_core
from bot.briefing import MAX_BULLET_WORDS, compose_briefing
from bot.commands import BriefingReply, BriefRequest, ErrorReply, answer, parse_command
from bot.digests import Context
from bot.errors import BadArgument
from bot.hints import Spelling, name_hints
from bot.ingest import store_draft
from bot.models import ArticleDraft
from bot.render import render
from bot.scopes import OPERATOR
from bot.why import WhyReply, WhyRequest

HERE = Context(platform="slack", workspace="T0NEWS", channel="C0NEWS", user="U0ASKER")

# One story from three outlets: two state the vote (in other words), the third reports the
# story only in one sentence over the length cap.
COUNCIL = [
    (
        "Herald",
        "Northport council approves harbour bridge toll",
        [
            "Northport city council voted 31–17 on Tuesday to approve a toll on the harbour "
            "bridge.",
            "Mayor Lena Ortiz said the toll would pay for storm repairs to the bridge.",
            "Drivers will pay two dollars a crossing from March, the council said.",
        ],
    ),
    (
        "Courier",
        "Harbour bridge toll passes Northport council",
        [
            "A toll on the Northport harbour bridge was approved by 31 votes to 17 at Tuesday's "
            "council meeting.",
            "Opponents of the harbour bridge toll said commuters from the east side would bear "
            "most of the cost.",
        ],
    ),
    (
        "Gazette",
        "Northport harbour bridge toll: what drivers need to know",
        [
            "Northport harbour bridge users, who already pay for parking near the harbour and "
            "for the ferry across the bay when the bridge closes for storms, face a new toll "
            "after the council decision on the bridge this week, which residents of the east "
            "side of the harbour say will cost them most of all over the coming years."
        ],
    ),
]


def store_council(core: Core) -> dict[str, int]:
    ids = {}
    for outlet, title, paragraphs in COUNCIL:
        draft = ArticleDraft(title, "\n".join(paragraphs), outlet)
        result = store_draft(core.store, outlet, draft, core.clock)
        assert result.article is not None, result.reason
        ids[outlet] = result.article.id
    return ids


def sentences_of(core: Core, article_id: int) -> list[str]:
    return list(core.store.analyses([article_id])[article_id].sentences)


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brief why 2", WhyRequest(2)),
        ("/brief WHY 1", WhyRequest(1)),
        ("brief why ٣", WhyRequest(3)),  # digits of any script, as everywhere
        ('brief "why" 2', BriefRequest(topic="why", bullets=2)),  # quoted: the topic "why"
        ("brief what why", BriefRequest(topic="what why")),
    ],
)
def test_parse_why(text: str, expected: object) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["brief why", "brief why two", "brief why 0", "brief why 2 nato"])
def test_a_why_without_one_bullet_number_says_how_to_ask(text: str) -> None:
    with pytest.raises(BadArgument, match="brief why"):
        parse_command(text)


# -- the composer's reasons ------------------------------------------------------------------


def test_each_bullet_lists_the_reports_it_leaves_out_with_the_composers_reason(
    bare_core: Core,
) -> None:
    ids = store_council(bare_core)
    briefing = compose_briefing(
        bare_core.store, summarizers.get("news"), bare_core.clock, scope=OPERATOR, bullets=2
    )
    vote = briefing.bullets[0]
    assert "31" in vote.text
    assert {s.id for s in vote.sources} == {ids["Herald"], ids["Courier"]}
    [gazette] = vote.left_out
    assert gazette.source.id == ids["Gazette"]
    assert gazette.reason == (
        f"does not state this fact; its best sentence is over the {MAX_BULLET_WORDS}-word cap"
    )
    second = briefing.bullets[1]
    reasons = {x.source.id: x.reason for x in second.left_out}
    assert set(reasons) == {ids["Herald"], ids["Courier"], ids["Gazette"]} - {
        s.id for s in second.sources
    }
    for article_id, reason in reasons.items():
        assert reason.startswith("does not state this fact"), reason
        if article_id in {s.id for s in vote.sources}:
            assert reason.endswith("it is a source of bullet 1")


# -- the command -----------------------------------------------------------------------------


def test_brief_then_why_shows_each_sources_sentence_and_what_was_left_out(
    bare_core: Core,
) -> None:
    ids = store_council(bare_core)
    posted = answer(bare_core, "brief 2", HERE)
    assert isinstance(posted, BriefingReply)

    reply = answer(bare_core, "brief why 1", HERE)
    assert isinstance(reply, WhyReply), reply
    assert (reply.number, reply.of) == (1, 2)
    assert reply.bullet == posted.briefing.bullets[0]
    for source in reply.bullet.sources:
        assert source.evidence in sentences_of(bare_core, source.id)
        assert "31" in source.evidence
    text = render(reply)
    assert text.startswith("Why bullet 1 of 2 · Briefing: top stories")
    assert "Stated by (2):" in text and "Left out (1):" in text
    for source in reply.bullet.sources:
        assert f"“{source.evidence}”" in text
    assert f"[{ids['Gazette']}] Northport harbour bridge toll" in text
    assert f"over the {MAX_BULLET_WORDS}-word cap" in text

    data = json.loads(render(reply, "json"))
    assert (data["bullet"], data["of"]) == (1, 2)
    assert [s["evidence"] for s in data["sources"]] == [s.evidence for s in reply.bullet.sources]
    [left] = data["left_out"]
    assert left["id"] == ids["Gazette"] and left["reason"].startswith("does not state")

    markdown = render(reply, "markdown")
    assert markdown.startswith("## Why bullet 1 of 2")
    assert "**Left out (1)**" in markdown


def test_why_is_only_for_the_asker(bare_core: Core) -> None:
    from bot.commands import is_public

    store_council(bare_core)
    answer(bare_core, "brief", HERE)
    assert not is_public(answer(bare_core, "brief why 1", HERE))


def test_a_number_out_of_range_gets_one_line_with_the_range(bare_core: Core) -> None:
    store_council(bare_core)
    answer(bare_core, "brief 2", HERE)
    reply = answer(bare_core, "brief why 3", HERE)
    assert isinstance(reply, ErrorReply)
    assert "2 bullets" in reply.message and "1 to 2" in reply.message
    assert "\n" not in reply.message


@pytest.mark.parametrize("number", ["2147483648", "0003000", "9" * 5000])
def test_a_number_past_every_briefing_gets_the_range_in_one_line(
    bare_core: Core, number: str
) -> None:
    from bot.why import parse_why

    assert parse_why([number]).number > 2  # read, however long (int() refuses 4,301 digits)
    store_council(bare_core)
    answer(bare_core, "brief 2", HERE)
    reply = answer(bare_core, f"brief why {number[:900]}", HERE)  # chat caps a command
    assert isinstance(reply, ErrorReply) and "1 to 2" in reply.message


def test_no_briefing_yet_says_to_run_brief_first_as_the_platform_spells_it(
    bare_core: Core,
) -> None:
    reply = answer(bare_core, "brief why 1", HERE)
    assert isinstance(reply, ErrorReply)
    assert "No briefing in this channel yet" in reply.message
    # The core writes its own words; each renderer spells them (bot.hints).
    slack = name_hints(reply.message, Spelling("/"))
    assert "`/brief`" in slack and "\n" not in reply.message
    discord = Context(platform="discord", workspace="81384788765712384", channel="1")
    reply = answer(bare_core, "brief why 1", discord)
    assert isinstance(reply, ErrorReply)
    assert "`/brief why:1`" in name_hints(reply.message, Spelling("/", named=True))
    reply = answer(bare_core, "brief why 1")  # the command line
    assert isinstance(reply, ErrorReply) and "run `brief` first" in reply.message


def test_a_failed_brief_leaves_the_last_briefing_as_it_was(bare_core: Core) -> None:
    store_council(bare_core)
    answer(bare_core, "brief 2", HERE)
    assert isinstance(answer(bare_core, "brief zeppelins", HERE), ErrorReply)
    reply = answer(bare_core, "brief why 2", HERE)
    assert isinstance(reply, WhyReply) and reply.of == 2


def test_another_channel_or_workspace_cannot_see_this_channels_briefing(
    bare_core: Core,
) -> None:
    store_council(bare_core)
    answer(bare_core, "brief 2", HERE)
    elsewhere = [
        Context(platform="slack", workspace="T0NEWS", channel="C0OTHER"),
        Context(platform="slack", workspace="T0RIVAL", channel="C0NEWS"),
        Context(platform="discord", workspace="T0NEWS", channel="C0NEWS"),
        Context(),  # the command line
    ]
    for context in elsewhere:
        reply = answer(bare_core, "brief why 1", context)
        assert isinstance(reply, ErrorReply), context
        assert "No briefing in this channel yet" in reply.message
    assert isinstance(answer(bare_core, "brief why 1", HERE), WhyReply)


def test_the_last_briefing_survives_a_restart(bare_core: Core, clock) -> None:
    store_council(bare_core)
    posted = answer(bare_core, "brief 2", HERE)
    assert isinstance(posted, BriefingReply)
    bare_core.close()

    again = build_core(bare_core.settings, clock)
    try:
        reply = answer(again, "brief why 2", HERE)
        assert isinstance(reply, WhyReply), reply
        assert reply.bullet == posted.briefing.bullets[1]
        assert reply.made_at == posted.briefing.generated_at
    finally:
        again.close()


def test_a_newer_briefing_replaces_the_last_one(bare_core: Core) -> None:
    store_council(bare_core)
    answer(bare_core, "brief 2", HERE)
    answer(bare_core, "brief 1", HERE)
    reply = answer(bare_core, "brief why 2", HERE)
    assert isinstance(reply, ErrorReply) and "1 bullet:" in reply.message


def test_a_digest_posted_in_the_channel_counts_as_its_last_briefing(bare_core: Core) -> None:
    store_council(bare_core)
    here = Context(platform="discord", workspace="81384788765712384", channel="42", user="7")
    assert not isinstance(answer(bare_core, "digest subscribe 08:30 3", here), ErrorReply)
    digest = answer(bare_core, "digest now", here)
    assert isinstance(digest, BriefingReply)
    reply = answer(bare_core, "brief why 1", here)
    assert isinstance(reply, WhyReply), reply
    assert reply.title == digest.briefing.title and reply.title.startswith("Daily digest")


# -- the command line ------------------------------------------------------------------------


def test_the_command_line_explains_its_last_brief(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    briefbot = str(Path(sys.executable).with_name("briefbot"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["PYTHONIOENCODING"] = "utf-8"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [briefbot, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )

    none_yet = run("why", "1")
    assert none_yet.returncode == 2 and "run `brief` first" in none_yet.stderr
    brief = run("brief", "--bullets", "2")
    assert brief.returncode == 0, brief.stderr
    first = next(line for line in brief.stdout.splitlines() if line.startswith("• "))

    why = run("why", "1")
    assert why.returncode == 0, why.stderr
    assert why.stdout.startswith("Why bullet 1 of 2")
    assert f"“{first[2:]}”" in why.stdout  # the bullet's own sentence, as its evidence
    data = json.loads(run("brief", "why", "2", "--format", "json").stdout)
    assert (data["bullet"], data["of"]) == (2, 2)
    assert all(s["evidence"] for s in data["sources"])
    beyond = run("chat", "brief why 3")
    assert beyond.returncode == 2 and "1 to 2" in beyond.stderr


class ChannelPoster:
    """Keeps what a scheduled digest would post (or refuses it, like a channel gone)."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.posts: list[object] = []

    async def post(self, subscription, reply, mark) -> str:
        if self.refuse:
            raise RuntimeError("channel_not_found")
        self.posts.append(reply)
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription, mark):
        return None


@pytest.mark.parametrize("refuse", [False, True])
def test_a_scheduled_digest_is_the_channels_last_briefing_once_posted(
    bare_core: Core, clock, refuse: bool
) -> None:
    import asyncio
    from datetime import timedelta

    from bot.digests import run_due

    store_council(bare_core)
    assert not isinstance(answer(bare_core, "digest subscribe 08:30 UTC 2", HERE), ErrorReply)
    poster = ChannelPoster(refuse)
    now = clock.advance(timedelta(hours=23, minutes=31))  # 08:31 the next day
    [outcome] = asyncio.run(run_due(bare_core, {"slack": poster}, now=now))
    reply = answer(bare_core, "brief why 2", HERE)
    if refuse:
        assert outcome.status == "failed"
        assert isinstance(reply, ErrorReply) and "No briefing" in reply.message
        return
    assert outcome.status == "delivered"
    [digest] = poster.posts
    assert isinstance(reply, WhyReply), reply
    assert reply.bullet == digest.briefing.bullets[1]
