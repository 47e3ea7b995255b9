"""The embed renderer, offline: every Discord limit holds whatever the briefing's size."""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from fakes.briefings import WHEN, make_briefing, make_bullet

from adapters.discord.embeds import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    MAX_EMBEDS,
    MESSAGE_CHARS,
    TITLE_MAX,
    Message,
    briefing_messages,
    notice_md,
    render,
    source_link,
)
from bot.commands import (
    HELP,
    HELP_ENTRIES,
    HELP_TITLE,
    ArticlesReply,
    BriefingReply,
    ErrorReply,
    HelpReply,
    NoticeReply,
    SourcesReply,
)
from bot.models import Article, Bullet, Source


def assert_within_limits(message: Message) -> None:
    assert message.content is None or len(message.content) <= CONTENT_MAX
    assert len(message.embeds) <= MAX_EMBEDS
    assert sum(len(e) for e in message.embeds) <= MESSAGE_CHARS
    for embed in message.embeds:
        data = embed.to_dict()
        assert len(data.get("title", "")) <= TITLE_MAX
        assert len(data.get("description", "")) <= DESCRIPTION_MAX
        assert len(data.get("fields", [])) <= 25
        assert len(data.get("footer", {}).get("text", "")) <= 2048


def descriptions(messages: list[Message]) -> str:
    return "\n".join(e.description or "" for m in messages for e in m.embeds)


def test_bullets_carry_their_sources_as_markdown_links_with_timestamp_and_footer() -> None:
    [message] = briefing_messages(make_briefing([make_bullet(1), make_bullet(2, sources=1)]))
    [embed] = message.embeds
    assert embed.title == "Briefing: ukraine"
    assert embed.description.startswith("• w1x0 w1x1")
    assert (
        "[Report 1.0](https://news.test/1/0), [Report 1.1](https://news.test/1/1)"
        in embed.description
    )
    assert "[Report 2.0](https://news.test/2/0)" in embed.description
    assert embed.timestamp == WHEN
    assert "from 9 articles" in embed.footer.text


@pytest.mark.parametrize("count, words", [(60, 40), (60, 200), (200, 60), (5, 2000)])
def test_any_briefing_is_split_at_bullet_boundaries_within_every_limit(
    count: int, words: int
) -> None:
    bullets = [make_bullet(i, words=words, sources=3) for i in range(count)]
    messages = briefing_messages(make_briefing(bullets))
    for message in messages:
        assert_within_limits(message)
    text = descriptions(messages)
    # Every bullet appears once, whole or cut at a word, in order.
    positions = [text.index(f"• w{i}x0 ") for i in range(count)]
    assert positions == sorted(positions)
    # As few messages as possible: no two neighbours would have fitted in one.
    sizes = [sum(len(e) for e in m.embeds) for m in messages]
    assert all(a + b > MESSAGE_CHARS - 600 for a, b in itertools.pairwise(sizes))


def test_sixty_bullets_keep_whole_bullets_in_each_embed() -> None:
    bullets = [make_bullet(i, words=40, sources=3) for i in range(60)]
    messages = briefing_messages(make_briefing(bullets))
    assert len(messages) > 1
    for message in messages:
        for embed in message.embeds:
            for line in embed.description.split("\n"):
                assert line.startswith(("• ", "  ↳ "))
            assert embed.description.split("\n")[-1].startswith("  ↳ ")  # ends after sources
    assert messages[0].embeds[0].title and messages[-1].embeds[-1].footer.text


def test_an_enormous_sentence_is_cut_at_a_word() -> None:
    [message] = briefing_messages(make_briefing([Bullet("alpha " * 3000, ())]))
    assert_within_limits(message)
    assert message.embeds[0].description.endswith("alpha…")


def test_markdown_in_articles_is_shown_literally_and_links_stay_links() -> None:
    risky = Bullet(
        "Shares **soared** _today_ ~~not~~ `x` > y",
        (Source(1, "A [big] (day)", "https://x.test/a b(c)"),),
    )
    [message] = briefing_messages(make_briefing([risky]))
    description = message.embeds[0].description
    assert "\\*\\*soared\\*\\*" in description and "\\_today\\_" in description
    assert source_link(risky.sources[0]) == "[A (big) (day)](https://x.test/a%20b%28c%29)"


def test_other_replies() -> None:
    article = Article(
        7, "Harbour reopens", "…", "Test Herald", "https://news.test/h", WHEN, WHEN, "h"
    )
    [listing] = render(ArticlesReply((article,), None, 1))
    assert "`7` [Harbour reopens](https://news.test/h)" in listing.embeds[0].description
    [help_] = render(HelpReply(HELP, HELP_TITLE, HELP_ENTRIES))
    names = [f.name for f in help_.embeds[0].fields]
    for command in ("/brief", "/summarize", "/articles", "/digest", "/feeds", "/help"):
        assert any(n.startswith(command) for n in names)
    assert "/brief why:N" in names
    values = "\n".join(f.value for f in help_.embeds[0].fields)
    assert "`/brief topic:ukraine bullets:3`" in values and "\n" in values
    [error] = render(ErrorReply("No article with id 99999."))
    assert "99999" in error.content and not error.embeds
    [long_error] = render(ErrorReply("x " * 5000))
    assert len(long_error.content) <= CONTENT_MAX


def test_markdown_heavy_bullets_stay_within_limits_once_escaped() -> None:
    heavy = [Bullet("__init__ *a* _b_ " * 400, ()) for _ in range(3)]
    for message in briefing_messages(make_briefing(heavy)):
        assert_within_limits(message)


def test_huge_bullets_with_story_lines_and_coverage_stay_within_limits() -> None:
    many = tuple(
        Source(i, "_Report_ " * 30, f"https://n.test/{i}", evidence="*x* " * 50) for i in range(40)
    )
    huge = [Bullet("*a* " * 2000, many, coverage=many, story="_S_ " * 300) for _ in range(4)]
    messages = briefing_messages(make_briefing(huge))
    for message in messages:
        assert_within_limits(message)
        for embed in message.embeds:
            assert len(embed.description or "") <= DESCRIPTION_MAX


# -- nothing pings anyone ------------------------------------------------------------------

HOSTILE = "@everyone @here <@&555555555555555555> <@666666666666666666> <#777> *bold* `code`"
LIVE = ("@everyone", "@here", "<@&", "<@6", "<#7", "*bold*")


def shown(message: Message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        data = embed.to_dict()
        parts += [data.get("title", ""), data.get("description", "")]
    return "\n".join(parts)


def test_every_message_mentions_nobody_and_article_text_looks_literal() -> None:
    bullet = Bullet(f"Said {HOSTILE}.", (Source(1, f"Report {HOSTILE}", "https://a.test/1"),))
    briefing = dataclasses.replace(
        make_briefing([bullet], title=f"Summary: {HOSTILE}"), notes=(f"⚠️ {HOSTILE} failing",)
    )
    article = Article(
        id=3,
        title=HOSTILE,
        text="…",
        source=HOSTILE,
        url=None,
        published_at=WHEN,
        ingested_at=WHEN,
        content_hash="h",
    )
    replies = [
        BriefingReply(briefing),
        ArticlesReply((article,), HOSTILE, 1),
        NoticeReply(f"Nothing new about {HOSTILE}."),
        ErrorReply(f"No stored articles about '{HOSTILE}'."),
    ]
    for reply in replies:
        for message in render(reply):
            assert message.allowed_mentions.to_dict() == {"parse": []}
            text = shown(message)
            for live in LIVE:
                assert live not in text, (live, text)
            # Code spans stay only in core lines (notes, notices, errors): its command hints.
            assert all("`code`" not in shown(Message(embeds=[e])) for e in message.embeds)
    assert "@\u200beveryone" in shown(render(BriefingReply(briefing))[0])


def test_a_notice_mentions_its_doer_and_may_notify_only_them() -> None:
    [message] = render(NoticeReply(f"added feed #1 ({HOSTILE}).", by="400000000000000000"))
    assert message.content is not None
    assert message.content.startswith("<@400000000000000000> added feed #1 (@\u200beveryone")
    assert message.allowed_mentions.to_dict() == {"parse": [], "users": [400000000000000000]}
    [other] = render(NoticeReply("did it", by="@everyone"))  # not a user id: text, no one
    assert other.content == "@\u200beveryone did it"
    assert other.allowed_mentions.to_dict() == {"parse": []}


def test_command_hints_keep_their_code_spans() -> None:
    assert notice_md("See `feeds list` for *all*.") == "See `feeds list` for \\*all\\*."


def test_a_story_line_coverage_and_evidence_links_are_shown_escaped() -> None:
    bullet = Bullet(
        "Talks *resumed* on Monday.",
        (Source(1, "Talks resume", "https://a.test/1", evidence="Talks resumed, at last."),),
        coverage=(Source(2, "Peace **push** @everyone", "https://b.test/2"),),
        story="Ukraine *peace* talks",
    )
    [message] = briefing_messages(make_briefing([bullet]))
    text = "\n".join(e.description or "" for e in message.embeds)
    assert "**Ukraine \\*peace\\* talks**" in text
    assert "(https://a.test/1#:~:text=Talks%20resumed%2C%20at%20last)" in text
    assert "Also covered by: [Peace \\*\\*push\\*\\* @\u200beveryone](https://b.test/2)" in text


def test_the_sources_button_lists_coverage_apart_from_the_sources_that_state_the_bullet() -> None:
    bullet = Bullet(
        "Talks resumed on Monday.",
        (Source(1, "Talks resume", "https://a.test/1", evidence="Talks resumed, at last."),),
        coverage=(Source(2, "Peace push", "https://b.test/2"),),
    )
    [message] = render(SourcesReply("Briefing: ukraine", (bullet,)))
    [field] = message.embeds[0].fields
    stated = [line for line in (field.value or "").splitlines() if line.startswith("↳ ")]
    assert len(stated) == 1 and "https://a.test/1" in stated[0]  # only the one stating it
    assert "Also covered by: [Peace push](https://b.test/2)" in (field.value or "")
