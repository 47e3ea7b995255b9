"""`brief why N` in Block Kit and Discord embeds: article text inert, every limit kept."""

from __future__ import annotations

import json

from fakes.briefings import WHEN
from fakes.hostile import FORMS, MARKUP, discord_visible_mentions, slack_live_mentions

from adapters.discord.embeds import DESCRIPTION_MAX, MESSAGE_CHARS
from adapters.discord.embeds import render as discord_render
from adapters.slack.blocks import HEADER_MAX, MAX_BLOCKS, SECTION_MAX, TEXT_BUDGET
from adapters.slack.blocks import render as slack_render
from bot.models import Bullet, LeftOut, Source
from bot.why import WhyReply

HOSTILE = f"{FORMS} {MARKUP}"


def why(bullet: Bullet, title: str = "Briefing: ukraine") -> WhyReply:
    return WhyReply(number=2, of=5, title=title, made_at=WHEN, bullet=bullet)


def hostile_why() -> WhyReply:
    source = Source(
        3, f"Report {HOSTILE}", "https://a.test/3", f"Gazette {HOSTILE}", f"Said {HOSTILE}."
    )
    left = LeftOut(Source(4, f"Other {HOSTILE}", None, "Courier"), "does not state this fact")
    return why(Bullet(f"Said {HOSTILE}.", (source,), left_out=(left,)), f"Briefing: {HOSTILE}")


def big_why() -> WhyReply:
    evidence = "word " * 400
    sources = tuple(
        Source(i, f"Report {i} " * 20, f"https://a.test/{i}", "Outlet", evidence) for i in range(60)
    )
    left = tuple(LeftOut(Source(100 + i, "Other " * 30, None), "reason " * 300) for i in range(60))
    return why(Bullet("fact " * 300, sources, left_out=left))


def test_slack_shows_each_sources_sentence_and_each_reason() -> None:
    source = Source(3, "Vote passes", "https://a.test/3", "Herald", "The council voted 31–17.")
    left = LeftOut(Source(4, "Toll guide", None, "Gazette"), "does not state this fact")
    message = slack_render(why(Bullet("The council voted 31–17.", (source,), left_out=(left,))))
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert message["blocks"][0]["text"]["text"] == "Why bullet 2 of 5"
    assert "“The council voted 31–17.”" in text
    assert "Stated by (1)" in text and "Left out (1)" in text
    assert "Gazette: Toll guide" in text and "does not state this fact" in text
    assert "https://a.test/3#:~:text=" in text  # the link lands on the sentence


def test_slack_keeps_article_text_inert() -> None:
    message = slack_render(hostile_why())
    assert slack_live_mentions(message) == []
    for block in message["blocks"]:
        for part in [block.get("text"), *block.get("elements", ())]:
            if part and part["type"] == "mrkdwn":
                assert part["verbatim"] is True
                assert "*loud*" not in part["text"] and "`code`" not in part["text"]


def test_slack_cuts_a_huge_explanation_to_fit_one_message() -> None:
    message = slack_render(big_why())
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= HEADER_MAX
    texts = [p["text"] for b in blocks for p in [b.get("text"), *b.get("elements", ())] if p]
    assert all(len(t) <= SECTION_MAX for t in texts)
    assert sum(len(t) for t in texts) <= TEXT_BUDGET + 500
    assert any("more, left out to fit one message" in t for t in texts)


def test_discord_shows_each_sources_sentence_and_mentions_nobody() -> None:
    [message] = discord_render(hostile_why())
    [embed] = message.embeds
    assert embed.title == "Why bullet 2 of 5"
    assert "**Stated by (1)**" in embed.description and "**Left out (1)**" in embed.description
    assert "does not state this fact" in embed.description
    payload = {"content": message.content, "embeds": [e.to_dict() for e in message.embeds]}
    assert discord_visible_mentions(payload) == []
    am = message.allowed_mentions
    assert not am.everyone and not am.users and not am.roles


def test_discord_cuts_a_huge_explanation_to_fit_one_embed() -> None:
    [message] = discord_render(big_why())
    [embed] = message.embeds
    assert len(embed.description) <= DESCRIPTION_MAX
    assert len(embed) <= MESSAGE_CHARS
    assert "more, left out to fit one message" in embed.description
