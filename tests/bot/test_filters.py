"""The topic filter grammar (bot.filters): one parser and one meaning in `brief`, digests and
the store's search (real SQLite FTS5)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story

from bot.app import Core
from bot.commands import BriefingReply, BriefRequest, ErrorReply, NoticeReply, answer, parse_command
from bot.digests import Context, DigestMark, Landed, run_due
from bot.errors import BadArgument
from bot.feeds import FeedRegistry
from bot.filters import Term, TopicFilter, describe, fts_queries, parse_filter, read_topic
from bot.ingest import store_draft
from bot.ledger import Ledger
from bot.models import ArticleDraft, Subscription
from bot.scopes import OPERATOR

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
OUTLETS = {CHESS: "Reuters", VOLCANO: "Reuters UK", HARBOUR: "Daily Tabloid", HARVEST: "BBC News"}


def t(*words: str) -> Term:
    return Term(words)


# -- the grammar -----------------------------------------------------------------------------


def test_words_phrases_or_and_exclusions() -> None:
    f = parse_filter('ukraine "peace talks" -opinion -"op ed" wheat OR maize')
    assert f is not None
    assert f.groups == ((t("ukraine"),), (t("peace", "talks"),), (t("wheat"), t("maize")))
    assert f.excluded == (t("opinion"), t("op", "ed"))
    assert fts_queries(f) == (
        '("ukraine") AND ("peace talks") AND ("wheat" OR "maize")',
        '"opinion" OR "op ed"',
    )


def test_outlets_and_what_is_not_syntax() -> None:
    f = parse_filter('harbour from:Reuters -from:"Daily Tabloid" covid-19 “smart quotes”')
    assert f is not None
    assert f.outlets == ("reuters",) and f.excluded_outlets == ("daily tabloid",)
    assert f.groups == ((t("harbour"),), (t("covid", "19"),), (t("smart", "quotes"),))
    assert describe(f) == 'harbour "covid 19" "smart quotes" from:reuters -from:"daily tabloid"'
    # Lower-case "or" is a word; OR at an edge, or before an exclusion, joins nothing.
    assert parse_filter("war or peace").groups == ((t("war"),), (t("or"),), (t("peace"),))
    assert parse_filter("OR peace OR").groups == ((t("peace"),),)
    assert parse_filter("a OR -b").groups == ((t("a"),),)
    # Nothing but operators and punctuation says nothing; exclusions alone are a filter.
    for empty in ["", "  ", "OR", "-", '""', "'); --"]:
        assert parse_filter(empty) is None, empty
    assert parse_filter("-sport") == TopicFilter(excluded=(t("sport"),), text="-sport")


@pytest.mark.parametrize(
    "text",
    ['"unclosed', "-", "from:", '-from:"', "((", "NEAR(a b)", "a*", "^x", "\x00", "北京 -上海"],
)
def test_the_parser_never_fails_and_fts_never_sees_syntax(core: Core, text: str) -> None:
    f = parse_filter(text)
    for query in fts_queries(f) if f else ():
        if query is not None:  # user text only inside "…", as words; outside only our syntax
            assert all(
                re.fullmatch(r"[^\W_]+( [^\W_]+)*", p) for p in re.findall(r'"([^"]*)"', query)
            )
            assert set(re.sub(r'"[^"]*"|[()]', " ", query).split()) <= {"AND", "OR"}
    assert isinstance(core.store.search(text, scope=OPERATOR), list)


def test_brief_and_digest_keep_quoted_phrases() -> None:
    assert parse_command('brief "peace talks" -opinion 3') == BriefRequest(
        topic='"peace talks" -opinion', bullets=3
    )
    request = parse_command('digest subscribe 08:30 UTC "peace talks" -from:"daily tabloid"')
    assert request.topic == '"peace talks" -from:"daily tabloid"'


# -- on briefings ------------------------------------------------------------------------------


def store(core: Core, story: Story) -> None:
    outlet = OUTLETS.get(story, "Reuters")
    draft = ArticleDraft(story.title, "\n".join(story.paragraphs), outlet, outlet=outlet)
    assert store_draft(core.store, "x", draft, core.clock).status == "stored"


@pytest.fixture
def four(core: Core) -> None:
    for story in (CHESS, VOLCANO, HARBOUR, HARVEST):
        store(core, story)


def titles(reply: object) -> set[str]:
    if isinstance(reply, NoticeReply | ErrorReply):
        return set()
    assert isinstance(reply, BriefingReply), reply
    return {s.title for b in reply.briefing.bullets for s in b.sources}


@pytest.mark.parametrize(
    "topic, expected",
    [
        ('"harbour bridge"', {HARBOUR}),
        ('"bridge harbour"', set()),  # a phrase keeps its word order
        ("chess OR volcano", {CHESS, VOLCANO}),
        ("chess OR volcano -seismic", {CHESS}),
        ('chess OR volcano -"seismic stations"', {CHESS}),
        ("from:reuters", {CHESS, VOLCANO}),
        ("-from:reuters", {HARBOUR, HARVEST}),
        ("from:tabloid OR from:bbc", {HARBOUR, HARVEST}),  # OR between outlets: both kept
        ("from:reuters -from:uk", {CHESS}),
        ("wheat OR chess from:reuters", {CHESS}),
    ],
)
def test_filters_on_briefings(core: Core, four: None, topic: str, expected: set[Story]) -> None:
    ours = {s.title for s in OUTLETS}  # the seeds are stored too
    assert titles(answer(core, f"brief {topic} 10", HERE)) & ours == {s.title for s in expected}


# -- on digests --------------------------------------------------------------------------------


class RecordingPoster:
    def __init__(self) -> None:
        self.posts: list[object] = []

    async def post(self, subscription: Subscription, reply: object, mark: DigestMark) -> str:
        self.posts.append(reply)
        return f"ts-{len(self.posts)}"

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        return None


def test_filters_on_digests(bare_core: Core, clock) -> None:
    core = bare_core
    clock._now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    for topic in ['chess OR volcano -"seismic stations"', "-from:reuters -harvest"]:
        assert isinstance(answer(core, f"digest subscribe 08:30 UTC {topic} 10", HERE), NoticeReply)
    clock._now = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    for story in (CHESS, VOLCANO, HARBOUR, HARVEST):
        store(core, story)
    poster = RecordingPoster()
    now = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    clock._now = now
    asyncio.run(run_due(core, {"slack": poster}, now=now))
    assert [titles(p) for p in poster.posts] == [{CHESS.title}, {HARBOUR.title}]
    assert poster.posts[0].briefing.title.endswith('chess OR volcano -"seismic stations"')
    # The next day, nothing new matches: one line, naming the filter.
    clock._now = now + timedelta(hours=12)
    club = Story(
        "Chess club opens in Northport library",
        (
            "A chess club opened in the Northport library on Tuesday, with forty members.",
            "The club meets every evening and lends boards to anyone who asks for one.",
        ),
    )
    store(core, club)
    asyncio.run(run_due(core, {"slack": poster}, now=now + timedelta(days=1)))
    assert titles(poster.posts[2]) == {club.title}
    assert isinstance(poster.posts[3], NoticeReply) and "nothing new" in poster.posts[3].text


# -- a topic that says nothing ---------------------------------------------------------------

SYNTAX_ONLY = ['"" ( ) * OR -', "OR", "-", '""', "( )", "*", "- OR -", "🔥"]


@pytest.mark.parametrize("topic", SYNTAX_ONLY)
def test_read_topic_refuses_a_topic_with_no_word_in_one_line(topic: str) -> None:
    with pytest.raises(BadArgument) as refused:
        read_topic(topic)
    message = str(refused.value)
    assert "\n" not in message and "no word" in message
    assert read_topic(None) is None and read_topic("   ") is None  # no topic: everything
    assert read_topic("ukraine -opinion") == parse_filter("ukraine -opinion")


@pytest.mark.parametrize(
    "command",
    [
        'brief "" ( ) * OR -',
        'brief "" ( ) * OR - 3 7d',
        'articles "" ( ) * OR -',
        'digest subscribe 08:30 UTC "" ( ) * OR -',
        'digest subscribe 08:30 UTC "" ( ) * OR - threads',
        'feeds add https://example.com/feed.xml live "" ( ) * OR -',
    ],
)
def test_a_topic_of_search_syntax_alone_is_refused_everywhere(core: Core, command: str) -> None:
    reply = answer(core, command, HERE)
    assert isinstance(reply, ErrorReply), reply
    assert "no word to search for" in reply.message and "\n" not in reply.message
    assert "( ) * OR -" in reply.message  # names what was typed
    assert not Ledger(core.store).subscriptions("slack")  # nothing was changed
    assert not FeedRegistry(core.store).all("slack", "T1")


def test_the_command_line_refuses_it_too(core: Core) -> None:
    from bot.commands import ArticlesRequest, handle

    for request in (BriefRequest(topic="( ) *"), ArticlesRequest(query="OR -")):
        reply = handle(core, request)
        assert isinstance(reply, ErrorReply) and "no word to search for" in reply.message


# -- an empty `from:` and an option where a word was expected ---------------------------------


@pytest.mark.parametrize("topic", ["from:", "-from:", "xi from: reuters", 'from:""', "source:"])
def test_an_empty_from_is_refused_not_searched_as_the_word_from(topic: str) -> None:
    assert parse_filter(topic) != parse_filter(topic.replace(":", ""))  # never the word "from"
    with pytest.raises(BadArgument) as refused:
        read_topic(topic)
    message = str(refused.value)
    assert "\n" not in message and "from:reuters" in message
    assert ("-from:reuters" in message) == topic.startswith("-")


@pytest.mark.parametrize("topic", ["--bullets", "xi --opinion", "--from:x"])
def test_a_word_with_two_dashes_is_refused_not_excluded(topic: str) -> None:
    with pytest.raises(BadArgument) as refused:
        read_topic(topic)
    assert "\n" not in str(refused.value) and "not an option" in str(refused.value)


def test_real_exclusions_and_outlets_still_read() -> None:
    topic = read_topic("xi -opinion -from:tabloid from:reuters -g7")
    assert topic is not None
    assert topic.excluded == (Term(("opinion",)), Term(("g7",)))
    assert topic.outlets == ("reuters",) and topic.excluded_outlets == ("tabloid",)
