"""The chat command layer: parsing text into requests and answering them against a real core."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fakes import HARBOUR, story_html
from fakes.web import WebServer

from bot.app import Core
from bot.commands import (
    HELP,
    MAX_BULLETS,
    ArticlesReply,
    ArticlesRequest,
    BriefingReply,
    BriefRequest,
    ErrorReply,
    HelpReply,
    HelpRequest,
    SummarizeRequest,
    answer,
    handle,
    parse_command,
    parse_since,
)
from bot.errors import BadArgument
from bot.scopes import OPERATOR

# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brief ukraine 3", BriefRequest(topic="ukraine", bullets=3)),
        ("brief", BriefRequest()),
        ("/brief", BriefRequest()),
        ("BRIEF Ukraine", BriefRequest(topic="Ukraine")),
        ("brief nato 5 7d", BriefRequest(topic="nato", bullets=5, since=timedelta(days=7))),
        ("brief 7d nato 5", BriefRequest(topic="nato", bullets=5, since=timedelta(days=7))),
        ("brief 24h", BriefRequest(since=timedelta(hours=24))),
        ("brief 2w", BriefRequest(since=timedelta(weeks=2))),
        ("brief 90m", BriefRequest(since=timedelta(minutes=90))),
        ("brief nato all", BriefRequest(topic="nato")),
        ("brief peace talks 4", BriefRequest(topic="peace talks", bullets=4)),
        ('brief "peace talks" 4', BriefRequest(topic="peace talks", bullets=4)),
        ("brief 20", BriefRequest(bullets=20)),
        ("brief 1", BriefRequest(bullets=1)),
        ("briefing china", BriefRequest(topic="china")),
        ("brief help", HelpRequest("brief")),
        ("summarize 2", SummarizeRequest(target="2")),
        ("summarize 2 3", SummarizeRequest(target="2", sentences=3)),
        ("summarise #2", SummarizeRequest(target="#2")),
        (
            "summarize https://example.test/story",
            SummarizeRequest(target="https://example.test/story"),
        ),
        ("articles nato", ArticlesRequest(query="nato")),
        ("articles", ArticlesRequest()),
        ("search peace talks", ArticlesRequest(query="peace talks")),
        ("help", HelpRequest()),
        ("help brief", HelpRequest("brief")),
        ("?", HelpRequest()),
        ("", HelpRequest()),
        ("   ", HelpRequest()),
    ],
)
def test_parse_command(text: str, expected: object) -> None:
    assert parse_command(text) == expected


def test_chat_never_allows_files() -> None:
    request = parse_command("summarize /etc/passwd")
    assert isinstance(request, SummarizeRequest)
    assert request.allow_files is False


def test_an_unknown_verb_is_a_helpful_error() -> None:
    with pytest.raises(BadArgument) as caught:
        parse_command("frobnicate the news")
    message = str(caught.value)
    assert "frobnicate" in message
    assert "help" in message


@pytest.mark.parametrize("count", ["0", "21", "99", "100000"])
def test_bullets_outside_the_range_are_refused(count: str) -> None:
    with pytest.raises(BadArgument) as caught:
        parse_command(f"brief ukraine {count}")
    assert f"1 to {MAX_BULLETS}" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "summarize",
        "summarize 2 0",
        "summarize 2 99",
        "summarize 2 three",
        "summarize 2 3 4",
        "articles " + "x" * 300,
        "brief " + "nato " * 60,
    ],
)
def test_malformed_arguments_are_refused(text: str) -> None:
    with pytest.raises(BadArgument):
        parse_command(text)


def test_a_long_paste_is_refused_with_its_length() -> None:
    with pytest.raises(BadArgument, match="100,000"):
        parse_command("a" * 100_000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("all", None),
        ("ALL", None),
        ("", None),
        ("24h", timedelta(hours=24)),
        ("7D", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("45m", timedelta(minutes=45)),
    ],
)
def test_parse_since(value: str | None, expected: timedelta | None) -> None:
    assert parse_since(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "0d", "7", "d", "7y", "-1d", "1.5h", "99999d"])
def test_parse_since_refuses_other_windows(value: str) -> None:
    with pytest.raises(BadArgument, match="24h"):
        parse_since(value)


# -- answering -------------------------------------------------------------------------------


def test_brief_answers_with_a_sourced_briefing(core: Core) -> None:
    reply = answer(core, "brief ukraine 3")
    assert isinstance(reply, BriefingReply)
    assert reply.briefing.topic == "ukraine"
    assert len(reply.briefing.bullets) == 3
    assert all(b.sources for b in reply.briefing.bullets)


def test_brief_uses_the_configured_number_of_bullets(core: Core) -> None:
    reply = answer(core, "brief")
    assert isinstance(reply, BriefingReply)
    assert len(reply.briefing.bullets) == core.settings.bullets


def test_brief_about_nothing_stored_is_an_error_reply(core: Core) -> None:
    reply = answer(core, "brief volcano")
    assert isinstance(reply, ErrorReply)
    assert "volcano" in reply.message


def test_brief_with_a_window_excludes_older_articles(core: Core) -> None:
    assert isinstance(answer(core, "brief 1h"), BriefingReply)  # seeds stored just now
    core.clock.advance(timedelta(days=2))
    reply = answer(core, "brief 1d")
    assert isinstance(reply, ErrorReply)
    assert "window" in reply.message
    assert isinstance(answer(core, "brief all"), BriefingReply)


def test_brief_with_an_unknown_summarizer_is_an_error_reply(core: Core) -> None:
    reply = handle(core, BriefRequest(summarizer="nope"))
    assert isinstance(reply, ErrorReply)
    assert "nope" in reply.message


@pytest.mark.parametrize(
    "text",
    [
        'brief "AND"',
        "brief ukraine AND",
        "brief (ukraine",
        "brief ukr*",
        "brief -ukraine",
        "brief NEAR(xi putin)",
        'brief "unclosed',
        "articles ukraine OR",
        "articles (",
        "articles *",
    ],
)
def test_fts_syntax_in_chat_never_breaks_a_reply(core: Core, text: str) -> None:
    reply = answer(core, text)
    assert isinstance(reply, BriefingReply | ArticlesReply | ErrorReply)
    if isinstance(reply, ErrorReply):
        assert "went wrong" not in reply.message


def test_a_100000_character_paste_is_an_error_reply(core: Core) -> None:
    paste = ("The harbour bridge reopened on Monday. " * 3000)[:100_000]
    assert len(paste) == 100_000
    reply = answer(core, paste)
    assert isinstance(reply, ErrorReply)
    assert "100,000" in reply.message


def test_summarize_a_stored_article(core: Core) -> None:
    [article] = core.store.search("Truss", scope=OPERATOR)
    reply = answer(core, f"summarize {article.id} 2")
    assert isinstance(reply, BriefingReply)
    assert article.title in reply.briefing.title
    assert len(reply.briefing.bullets) == 2
    for bullet in reply.briefing.bullets:
        assert bullet.text in article.text
        assert [s.id for s in bullet.sources] == [article.id]


def test_summarize_an_unknown_id_names_it(core: Core) -> None:
    reply = answer(core, "summarize 99999")
    assert isinstance(reply, ErrorReply)
    assert "99999" in reply.message
    assert "articles" in reply.message


def test_summarize_a_huge_id_is_an_unknown_article_not_an_internal_error(core: Core) -> None:
    reply = answer(core, "summarize 99999999999999999999")
    assert isinstance(reply, ErrorReply)
    assert "99999999999999999999" in reply.message
    assert "went wrong" not in reply.message


def test_summarize_a_file_from_chat_is_refused(core: Core) -> None:
    reply = answer(core, "summarize /etc/passwd")
    assert isinstance(reply, ErrorReply)
    assert "/etc/passwd" in reply.message
    assert "root:" not in reply.message


def test_summarize_a_web_page(core: Core, web: WebServer) -> None:
    url = web.serve("/harbour.html", story_html(HARBOUR))
    count = core.store.count()
    reply = answer(core, f"summarize {url} 2")
    assert isinstance(reply, BriefingReply)
    assert len(reply.briefing.bullets) == 2
    for bullet in reply.briefing.bullets:
        assert bullet.text in HARBOUR.paragraphs
        assert bullet.sources[0].url == url
    assert core.store.count() == count  # summarizing does not store


def test_summarize_a_missing_web_page_is_an_error_reply(core: Core, web: WebServer) -> None:
    url = web.url("/missing.html")
    reply = answer(core, f"summarize {url}")
    assert isinstance(reply, ErrorReply)
    assert "404" in reply.message


def test_articles_lists_the_newest(core: Core) -> None:
    reply = answer(core, "articles")
    assert isinstance(reply, ArticlesReply)
    assert reply.total == 2
    assert [a.id for a in reply.articles] == sorted((a.id for a in reply.articles), reverse=True)


def test_articles_with_a_query(core: Core) -> None:
    reply = answer(core, "articles Truss")
    assert isinstance(reply, ArticlesReply)
    assert len(reply.articles) == 1
    assert "Truss" in reply.articles[0].text
    none = answer(core, "articles volcano")
    assert isinstance(none, ErrorReply)
    assert "volcano" in none.message


@pytest.mark.parametrize("text", ["help", "brief help", "?", ""])
def test_help_replies_with_the_commands(core: Core, text: str) -> None:
    reply = answer(core, text)
    assert isinstance(reply, HelpReply)
    assert reply.text == HELP
    for verb in ("brief", "summarize", "articles", "help"):
        assert verb in reply.text


def test_an_unknown_verb_is_an_error_reply(core: Core) -> None:
    reply = answer(core, "frobnicate")
    assert isinstance(reply, ErrorReply)
    assert "frobnicate" in reply.message
    assert "help" in reply.message


@pytest.mark.parametrize("text", ["brief 0", "brief 99", "summarize", "brief yesterday 3 3"])
def test_user_mistakes_are_error_replies_not_exceptions(core: Core, text: str) -> None:
    reply = answer(core, text)
    assert isinstance(reply, ErrorReply)
    assert reply.message
    assert "went wrong" not in reply.message
