"""The chat command layer: parsing text into requests and answering them against a real core."""

from __future__ import annotations

import ast
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
from fakes import HARBOUR, story_html
from fakes.keyboard import plainly
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
    parse_count,
    parse_since,
)
from bot.digests import DigestRequest
from bot.errors import BadArgument
from bot.feeds import FeedsRequest
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
        # A phrase in double quotes stays a phrase for the topic filter (bot.filters).
        ('brief "peace talks" 4', BriefRequest(topic='"peace talks"', bullets=4)),
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


@pytest.mark.parametrize(
    ("text", "option", "instead"),
    [
        ("brief --bulets 3", "--bulets", "brief 3"),
        ("brief --bullets 3 xi", "--bullets", "brief xi 3"),
        ("brief -n 3 xi", "-n", "brief xi 3"),
        ("brief xi -N 3 7d", "-N", "brief xi 3 7d"),
        ("brief --since 7d ukraine", "--since", "brief ukraine 7d"),
    ],
)
def test_options_typed_in_chat_are_refused_with_the_chat_form(
    core: Core, text: str, option: str, instead: str
) -> None:
    # Read as topic words they were exclusions: "Briefing: --bulets" of almost everything.
    reply = answer(core, text)
    assert isinstance(reply, ErrorReply) and "\n" not in reply.message
    assert f"`{option}` is not how chat takes options: say `{instead}`" in reply.message
    assert "brief [topic] [N] [since]" in reply.message  # the help's own syntax


def test_exclusions_that_look_a_little_like_options_still_read() -> None:
    assert parse_command("brief xi -opinion 3") == BriefRequest("xi -opinion", 3)
    assert parse_command("brief xi -from:tabloid") == BriefRequest("xi -from:tabloid")
    assert parse_command("brief -g7 summit") == BriefRequest("-g7 summit")
    assert parse_command('brief xi "-n" 3') == BriefRequest("xi -n", 3)  # quoted: a word
    assert parse_command("brief --help") == HelpRequest("brief")


@pytest.mark.parametrize(
    "text", ["brief from:", "brief -from:", "articles from:", "brief xi from: x"]
)
def test_an_empty_from_is_refused_in_one_line(core: Core, text: str) -> None:
    reply = answer(core, text)
    assert isinstance(reply, ErrorReply) and "\n" not in reply.message
    assert "names no outlet" in reply.message and "from:reuters" in reply.message


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


# -- chat text as people type it (see bot/words.py) ------------------------------------------

REALWORLD = Path(__file__).resolve().parents[2] / ".." / "shared" / "cases" / "realworld"
SPACING = REALWORLD / "command-spacing" / "commands.txt"


SKIP_HANDED = pytest.mark.skip(reason=f"the handed cases are not here: {SPACING}")


def handed_commands() -> list[str]:
    if not SPACING.is_file():
        return []
    return [ast.literal_eval(line) for line in SPACING.read_text("utf-8").splitlines() if line]


def parsed(text: str) -> object:
    try:
        return parse_command(text)
    except BadArgument as exc:
        return exc


@pytest.mark.parametrize("text", handed_commands() or [pytest.param("", marks=SKIP_HANDED)])
def test_handed_command_spacing_cases_read_as_typed_plainly(core: Core, text: str) -> None:
    request = parsed(text)
    assert not isinstance(request, BadArgument) or "Unknown command" not in str(request)
    same = parsed(plainly(text))
    if isinstance(request, BadArgument):
        assert isinstance(same, BadArgument)
        assert str(request) == str(same)
    else:
        assert request == same
    if isinstance(request, BriefRequest) and request.topic:
        # Counts, windows and quotes are never part of the topic.
        assert not any(w.isdigit() or w[:1].isdigit() for w in request.topic.split())
        assert not set(request.topic) & set("\"'“”‘’")
    reply = answer(core, text)
    assert type(reply) is type(answer(core, plainly(text)))
    if isinstance(reply, BriefingReply):
        assert reply.briefing.bullets
    else:
        assert isinstance(reply, ErrorReply)
        assert "Unknown command" not in reply.message
        assert "went wrong" not in reply.message


@pytest.mark.parametrize(
    "space", ["\u00a0", "\u202f", "\u2009", "\u3000", "\t", "\n", "\u00a0\u00a0 \t"]
)
def test_every_command_splits_on_any_unicode_space(space: str) -> None:
    def typed(text: str) -> str:
        return text.replace(" ", space)

    assert parse_command(typed("brief peace talks 3 7d")) == BriefRequest(
        topic="peace talks", bullets=3, since=timedelta(days=7)
    )
    assert parse_command(typed("summarize 2 3")) == SummarizeRequest(target="2", sentences=3)
    assert parse_command(typed("articles peace talks")) == ArticlesRequest(query="peace talks")
    assert parse_command(typed("help brief")) == HelpRequest("brief")
    digest = parse_command(typed("digest subscribe 08:30 Europe/Paris ukraine 5 quiet"))
    assert digest == DigestRequest("subscribe", 8, 30, "Europe/Paris", "ukraine", 5, True)
    assert parse_command(typed("digest unsubscribe 3")) == DigestRequest("unsubscribe", target="3")
    assert parse_command(typed("feeds add https://example.test/rss World news")) == (
        FeedsRequest("add", url="https://example.test/rss", name="World news")
    )
    assert parse_command(typed("feeds remove 3")) == FeedsRequest("remove", target=3)


@pytest.mark.parametrize(
    "digits", ["0123456789", "０１２３４５６７８９", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹", "०१२३४५६७८९"]
)
def test_digits_of_any_script_are_numbers_in_every_command(digits: str) -> None:
    def d(number: str) -> str:
        return "".join(digits[int(c)] for c in number)

    assert parse_command(f"brief ukraine {d('3')}") == BriefRequest(topic="ukraine", bullets=3)
    assert parse_command(f"brief ukraine {d('12')} {d('7')}d") == BriefRequest(
        topic="ukraine", bullets=12, since=timedelta(days=7)
    )
    assert parse_command(f"summarize {d('42')} {d('2')}") == SummarizeRequest("42", 2)
    assert parse_command(f"summarize #{d('42')}") == SummarizeRequest("#42")
    subscribe = parse_command(f"digest subscribe {d('08')}:{d('30')} ukraine {d('4')}")
    assert subscribe == DigestRequest("subscribe", 8, 30, None, "ukraine", 4)
    assert parse_command(f"digest subscribe {d('0830')}") == DigestRequest("subscribe", 8, 30)
    assert parse_command(f"digest now {d('2')}") == DigestRequest("now", target="2")
    assert parse_command(f"digest unsubscribe {d('2')}") == DigestRequest("unsubscribe", target="2")
    assert parse_command(f"feeds remove {d('17')}") == FeedsRequest("remove", target=17)
    with pytest.raises(BadArgument, match="1 to 20"):
        parse_command(f"brief ukraine {d('21')}")


def test_digits_of_any_script_are_read_by_the_number_parsers_directly() -> None:
    # Discord options and CLI flags reach these without the tokenizer.
    assert parse_count("٣", "bullets") == 3
    assert parse_since("７ｄ") == timedelta(days=7)
    assert parse_since("٢٤h") == timedelta(hours=24)


def test_a_summary_of_an_article_by_a_full_width_id(core: Core) -> None:
    [article] = core.store.search("Truss", scope=OPERATOR)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in str(article.id))
    reply = answer(core, f"summarize\u00a0#{wide}\u3000２")
    assert isinstance(reply, BriefingReply)
    assert article.title in reply.briefing.title
    assert len(reply.briefing.bullets) == 2


@pytest.mark.parametrize("quote", ['"{}"', "“{}”", "„{}“", "«{}»"])
def test_curly_quotes_group_a_topic_like_straight_ones(quote: str) -> None:
    # Double quotes of any kind make a phrase (bot.filters); single ones group words only.
    assert parse_command(f"brief {quote.format('peace talks')} 4") == BriefRequest(
        topic='"peace talks"', bullets=4
    )
    assert parse_command("brief ‘peace talks’ 4") == BriefRequest(topic="peace talks", bullets=4)


def test_a_quoted_number_is_a_topic_not_a_count() -> None:
    assert parse_command('brief "2024" 3') == BriefRequest(topic="2024", bullets=3)
    assert parse_command("brief “g7 summit” ٣") == BriefRequest(topic='"g7 summit"', bullets=3)


@pytest.mark.parametrize("since", ["7 days", "٧d", "７ｄ", "7d"])
def test_a_window_quoted_as_the_discord_adapter_joins_options_stays_a_window(since: str) -> None:
    text = "brief " + " ".join(shlex.quote(p) for p in ("peace talks", "3", since))
    assert parse_command(text) == BriefRequest("peace talks", 3, timedelta(days=7))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brief ukraine 2 7 d", BriefRequest("ukraine", 2, timedelta(days=7))),
        ("brief ukraine 7 days", BriefRequest("ukraine", None, timedelta(days=7))),
        ("brief ukraine 24 hours 3", BriefRequest("ukraine", 3, timedelta(hours=24))),
        ("brief ukraine 2weeks", BriefRequest("ukraine", None, timedelta(weeks=2))),
        ("brief 5g rollout", BriefRequest("5g rollout")),
        ("brief covid-19 vaccines", BriefRequest("covid-19 vaccines")),
        ("brief any news all", BriefRequest("any news")),
    ],
)
def test_windows_with_a_space_or_a_long_unit(text: str, expected: BriefRequest) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("brief ukraine 3 9y", "'9y'"),
        ("brief ukraine 3 9 years", "'9 years'"),
        ("brief ukraine 3mo", "'3mo'"),
        ("brief ukraine 30s", "'30s'"),
        ("brief ukraine 0d", "'0d'"),
        ("brief ukraine 99999d", "'99999d'"),
        ("brief ukraine ٩y", "'9y'"),
    ],
)
def test_a_window_that_cannot_be_read_is_an_error_naming_it(text: str, named: str) -> None:
    with pytest.raises(BadArgument) as caught:
        parse_command(text)
    message = str(caught.value)
    assert named in message
    assert "24h" in message and "7d" in message  # what is accepted


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("brief ukraine 3 5", "3 and 5"),
        ("brief ukraine 3.5", "'3.5'"),
        ("brief ukraine -2", "'-2'"),
        ("brief ukraine +4", "'+4'"),
        ("brief ukraine 1,000", "'1,000'"),
        ("brief ukraine ٣ 2", "3 and 2"),
        ("brief nato 7d 2w", "7d and 2w"),
        ("summarize 2 ３.5", "'3.5'"),
    ],
)
def test_a_count_that_cannot_be_read_is_an_error_naming_it(text: str, named: str) -> None:
    with pytest.raises(BadArgument) as caught:
        parse_command(text)
    assert named in str(caught.value)


def test_brief_with_an_unreadable_window_does_not_brief(core: Core) -> None:
    reply = answer(core, "brief ukraine 3 9y")
    assert isinstance(reply, ErrorReply)
    assert "9y" in reply.message
    assert "24h" in reply.message


@pytest.mark.parametrize(
    "wrapped",
    [
        "<{url}>",
        "<{url}|{url}>",
        "<{url}|the harbour story, in full>",
    ],
)
def test_summarize_a_wrapped_link(core: Core, web: WebServer, wrapped: str) -> None:
    url = web.serve("/harbour.html", story_html(HARBOUR))
    reply = answer(core, f"summarize {wrapped.format(url=url)} 2")
    assert isinstance(reply, BriefingReply)
    assert [b.sources[0].url for b in reply.briefing.bullets] == [url, url]


def test_a_wrapped_link_that_fails_names_the_bare_url(core: Core, web: WebServer) -> None:
    url = web.url("/missing.html")
    reply = answer(core, f"summarize <{url}|missing story>")
    assert isinstance(reply, ErrorReply)
    assert f"{url} answered HTTP 404" in reply.message
    assert "missing story" not in reply.message


@pytest.mark.parametrize("wrapped", ["<{url}>", "<{url}|{url}>", "<{url}|Harbour news>"])
def test_feeds_add_reads_a_wrapped_link(wrapped: str) -> None:
    url = "https://example.test/rss?a=1&b=2"
    assert parse_command(f"feeds add {wrapped.format(url=url)} World") == FeedsRequest(
        "add", url=url, name="World"
    )
