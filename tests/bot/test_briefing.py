"""Composing briefings from a real store: bullets, sources, story grouping, topics."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story

import summarizers
from bot.app import Core
from bot.briefing import compose_briefing
from bot.commands import BriefingReply
from bot.ingest import store_draft
from bot.models import ArticleDraft, Briefing
from bot.render import render
from bot.scopes import OPERATOR
from bot.store import Store
from summarizers.facts import dangles


def brief(core: Core, name: str = "news", **kwargs) -> Briefing:
    return compose_briefing(core.store, summarizers.get(name), core.clock, scope=OPERATOR, **kwargs)


def store_story(core: Core, story: Story, *, title: str | None = None, source: str = "Herald"):
    d = ArticleDraft(title or story.title, "\n".join(story.paragraphs), source)
    result = store_draft(core.store, source, d, core.clock)
    assert result.status == "stored", result.reason
    assert result.article is not None
    return result.article


def all_sentences(store: Store) -> dict[int, set[str]]:
    found = store.search(None, limit=1000, scope=OPERATOR)
    return {i: set(a.sentences) for i, a in store.analyses(a.id for a in found).items()}


# -- the seeds -------------------------------------------------------------------------------


def test_the_seeds_give_sourced_bullets(core: Core) -> None:
    briefing = brief(core)
    seeds = core.store.search(None, scope=OPERATOR)
    assert len(seeds) == 2
    seed_ids = {a.id for a in seeds}

    assert len(briefing.bullets) >= 3
    assert briefing.article_count == 2
    for bullet in briefing.bullets:
        assert bullet.text.strip()
        assert len(bullet.sources) >= 1
        assert {s.id for s in bullet.sources} <= seed_ids


def test_every_bullet_is_a_sentence_of_its_first_source(core: Core) -> None:
    analyses = core.store.analyses(a.id for a in core.store.search(None, scope=OPERATOR))
    for bullet in brief(core).bullets:
        own = analyses[bullet.sources[0].id].sentences
        # One sentence, or a sentence joined to the one it depends on.
        pairs = {f"{a} {b}" for a, b in itertools.pairwise(own)}
        assert bullet.text in own or bullet.text in pairs, bullet.text


def test_source_titles_and_urls_match_the_stored_articles(core: Core) -> None:
    by_id = {a.id: a for a in core.store.search(None, scope=OPERATOR)}
    for bullet in brief(core).bullets:
        for source in bullet.sources:
            assert source.title == by_id[source.id].title
            assert source.url == by_id[source.id].url


def test_no_bullet_quotes_page_furniture(core: Core) -> None:
    text = "\n".join(b.text for b in brief(core, bullets=20).bullets)
    for furniture in ("Recent Features", "[LIVE]", "Credit:", "China Power |"):
        assert furniture not in text


def test_the_briefing_is_titled_and_timed_by_the_clock(core: Core) -> None:
    briefing = brief(core)
    assert briefing.generated_at == core.clock.now()
    assert briefing.topic is None
    assert briefing.title == "Briefing: top stories"
    titled = brief(core, topic="ukraine")
    assert titled.topic == "ukraine"
    assert "ukraine" in titled.title


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_bullet_count_is_respected(core: Core, count: int) -> None:
    briefing = brief(core, bullets=count)
    assert len(briefing.bullets) == count


def test_the_same_briefing_twice(core: Core) -> None:
    assert brief(core).bullets == brief(core).bullets


@pytest.mark.parametrize("name", summarizers.available())
def test_every_summarizer_gives_sourced_bullets(core: Core, name: str) -> None:
    briefing = brief(core, name, bullets=4)
    assert len(briefing.bullets) >= 3
    texts = [b.text for b in briefing.bullets]
    assert len(set(texts)) == len(texts)
    assert all(b.sources for b in briefing.bullets)


# -- one story, two outlets ------------------------------------------------------------------


@pytest.fixture
def two_outlets(bare_core: Core):
    """The harbour story published under two outlets' headlines, plus two other stories."""
    a = store_story(
        bare_core,
        HARBOUR,
        title="Harbour bridge back open after eleven weeks",
        source="Coast Gazette",
    )
    b = store_story(
        bare_core,
        HARBOUR,
        title="Storm-hit bridge reopens early and under budget",
        source="Metro Daily",
    )
    store_story(bare_core, HARVEST)
    store_story(bare_core, CHESS)
    return a, b


def test_a_story_from_two_outlets_is_stored_twice(bare_core: Core, two_outlets) -> None:
    a, b = two_outlets
    assert a.id != b.id
    assert bare_core.store.count() == 4


@pytest.mark.parametrize("name", ["news", "lead", "textrank"])
def test_a_repeated_story_gives_bullets_listing_both_outlets(
    bare_core: Core, two_outlets, name: str
) -> None:
    a, b = two_outlets
    harbour_sentences = all_sentences(bare_core.store)[a.id]
    briefing = brief(bare_core, name, bullets=6)

    texts = [bullet.text for bullet in briefing.bullets]
    assert len(set(texts)) == len(texts), "a sentence appears as two bullets"
    harbour_bullets = [bl for bl in briefing.bullets if bl.text in harbour_sentences]
    assert harbour_bullets, "the harbour story is missing from the briefing"
    for bullet in harbour_bullets:
        ids = [s.id for s in bullet.sources]
        assert sorted(ids) == sorted([a.id, b.id]), bullet
        assert {s.title for s in bullet.sources} == {a.title, b.title}
    # Each source is listed once per bullet.
    for bullet in briefing.bullets:
        ids = [s.id for s in bullet.sources]
        assert len(ids) == len(set(ids))


def test_only_the_two_copies_give_each_fact_once(bare_core: Core) -> None:
    a = store_story(bare_core, VOLCANO, title="Kesra alert raised to yellow", source="Alpine Post")
    b = store_story(bare_core, VOLCANO, title="New sensors ring Mount Kesra", source="Valley News")
    briefing = brief(bare_core, bullets=5)
    assert len(briefing.bullets) == 5
    counts = Counter(bullet.text for bullet in briefing.bullets)
    assert max(counts.values()) == 1
    for bullet in briefing.bullets:
        assert sorted(s.id for s in bullet.sources) == sorted([a.id, b.id])


def test_unrelated_stories_keep_their_own_sources(bare_core: Core) -> None:
    ids = {story.title: store_story(bare_core, story).id for story in (HARBOUR, CHESS, HARVEST)}
    sentences = all_sentences(bare_core.store)
    briefing = brief(bare_core, bullets=6)
    assert len(briefing.bullets) == 6
    for bullet in briefing.bullets:
        assert len(bullet.sources) == 1
        assert bullet.text in sentences[bullet.sources[0].id]
    # Stories take turns, so all three appear in six bullets.
    assert {bl.sources[0].id for bl in briefing.bullets} == set(ids.values())


# -- topics and windows ----------------------------------------------------------------------


def test_a_topic_uses_only_matching_articles(core: Core) -> None:
    harbour = store_story(core, HARBOUR)
    store_story(core, HARVEST)
    briefing = brief(core, topic="harbour bridge", bullets=5)
    assert briefing.article_count == 1
    assert briefing.bullets
    assert {s.id for b in briefing.bullets for s in b.sources} == {harbour.id}


def test_a_topic_matching_one_seed_uses_only_that_seed(core: Core) -> None:
    [truss] = core.store.search("Truss", scope=OPERATOR)
    briefing = brief(core, topic="Truss")
    assert briefing.bullets
    assert {s.id for b in briefing.bullets for s in b.sources} == {truss.id}


def test_no_match_gives_no_bullets(core: Core) -> None:
    briefing = brief(core, topic="volcano")
    assert briefing.bullets == ()
    assert briefing.article_count == 0


def test_an_empty_store_gives_no_bullets(bare_core: Core) -> None:
    assert bare_core.store.count() == 0
    briefing = brief(bare_core)
    assert briefing.bullets == ()
    assert briefing.article_count == 0


def test_zero_bullets_gives_no_bullets(core: Core) -> None:
    assert brief(core, bullets=0).bullets == ()


def test_since_leaves_out_older_articles(bare_core: Core) -> None:
    old = store_story(bare_core, HARBOUR)
    bare_core.clock.advance(timedelta(days=3))
    new = store_story(bare_core, CHESS)
    recent = brief(bare_core, since=bare_core.clock.now() - timedelta(days=1))
    assert recent.article_count == 1
    assert {s.id for b in recent.bullets for s in b.sources} == {new.id}
    everything = brief(bare_core, bullets=6)
    assert {s.id for b in everything.bullets for s in b.sources} == {old.id, new.id}


# -- per-fact attribution, coverage, spread (issue 13) ---------------------------------------


def _sentences_of(store: Store, article_id: int) -> tuple[str, ...]:
    return store.analyses([article_id])[article_id].sentences


def test_the_seed_briefing_credits_only_articles_that_state_each_bullet(core: Core) -> None:
    """The Express seed's quote is not credited to the other seed, which never printed it."""
    seeds = {a.title: a for a in core.store.search(None, scope=OPERATOR)}
    express = next(a for t, a in seeds.items() if t.startswith("Xi turns on Putin"))
    briefing = brief(core, bullets=8)
    [quote] = [b for b in briefing.bullets if "All efforts must be made" in b.text]
    assert [s.id for s in quote.sources] == [express.id]
    for bullet in briefing.bullets:
        # The first source is where the words come from; every source shows its evidence,
        # a sentence that article really contains.
        assert bullet.text.startswith(bullet.sources[0].evidence or "\0")
        for source in bullet.sources:
            assert source.evidence in _sentences_of(core.store, source.id)


def _council(core: Core, outlet: str, title: str, paragraphs: list[str]) -> int:
    draft = ArticleDraft(title, "\n".join(paragraphs), outlet)
    result = store_draft(core.store, outlet, draft, core.clock)
    assert result.article is not None, result.reason
    return result.article.id


COUNCIL_TOLL = [
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
            "Opponents of the harbour bridge toll said commuters from the east side would "
            "bear most of the cost.",
        ],
    ),
    (
        "Gazette",
        "Northport harbour bridge toll: what drivers need to know",
        [
            "Northport harbour bridge users face a new toll after the council decision on the "
            "bridge this week.",
            "The harbour bridge toll will be collected by cameras, with no booths on the bridge.",
            "Residents can apply for a discounted harbour bridge pass online.",
        ],
    ),
]


def test_a_paraphrased_number_is_one_bullet_crediting_both_reports(bare_core: Core) -> None:
    ids = {outlet: _council(bare_core, outlet, t, p) for outlet, t, p in COUNCIL_TOLL}
    briefing = brief(bare_core, bullets=5)
    vote = [b for b in briefing.bullets if "31" in b.text]
    assert len(vote) == 1, [b.text for b in briefing.bullets]
    credited = [s.id for s in vote[0].sources]
    assert sorted(credited) == sorted([ids["Herald"], ids["Courier"]])
    assert all(s.evidence and "31" in s.evidence for s in vote[0].sources)


def test_a_report_that_does_not_state_the_fact_is_coverage_not_a_source(bare_core: Core) -> None:
    ids = {outlet: _council(bare_core, outlet, t, p) for outlet, t, p in COUNCIL_TOLL}
    [bullet] = brief(bare_core, bullets=1).bullets
    # The event: the vote, which two of the three reports state.
    assert "31" in bullet.text
    assert ids["Gazette"] not in {s.id for s in bullet.sources}
    assert [s.id for s in bullet.coverage] == [ids["Gazette"]]


def test_json_carries_coverage_and_evidence(bare_core: Core) -> None:
    for outlet, t, p in COUNCIL_TOLL:
        _council(bare_core, outlet, t, p)
    data = json.loads(render(BriefingReply(brief(bare_core, bullets=1)), "json"))
    [bullet] = data["bullets"]
    assert {"text", "sources", "coverage"} <= set(bullet)
    assert all({"id", "title", "url", "evidence"} <= set(s) for s in bullet["sources"])
    assert [c["title"] for c in bullet["coverage"]] == [COUNCIL_TOLL[2][1]]


FERRY = Story(
    "Island ferry service cut to twice weekly",
    (
        "The ferry to Corran Island will sail only twice a week from next month, the operator "
        "announced on Friday, citing rising fuel costs.",
        "Islanders said the cut would leave them without reliable access to the hospital on "
        "the mainland.",
        "The operator said it would review the timetable again in the spring.",
    ),
)


def test_five_stories_and_five_bullets_give_five_different_stories(bare_core: Core) -> None:
    # The harbour story from two outlets: the most covered, so it is first; it still gets one.
    store_story(bare_core, HARBOUR, title="Harbour bridge back open", source="Coast Gazette")
    store_story(bare_core, HARBOUR, title="Storm-hit bridge reopens early", source="Metro Daily")
    others = [store_story(bare_core, s).id for s in (HARVEST, CHESS, VOLCANO, FERRY)]
    briefing = brief(bare_core, bullets=5)
    assert len(briefing.bullets) == 5
    firsts = [b.sources[0].id for b in briefing.bullets]
    harbour = [b for b in briefing.bullets if b.sources[0].id not in others]
    assert len(harbour) == 1 and briefing.bullets[0] is harbour[0]
    assert sorted(f for f in firsts if f in others) == sorted(others)
    # One bullet per story: not grouped, so no story lines.
    assert all(b.story is None for b in briefing.bullets)


def test_when_stories_run_out_bullets_are_grouped_under_story_lines(bare_core: Core) -> None:
    store_story(bare_core, HARBOUR)
    store_story(bare_core, CHESS)
    briefing = brief(bare_core, bullets=6)
    assert len(briefing.bullets) == 6
    lines = [b.story for b in briefing.bullets if b.story]
    assert sorted(lines) == sorted([HARBOUR.title, CHESS.title])
    # Bullets of one story are together, after its story line.
    owners = [b.sources[0].id for b in briefing.bullets]
    assert owners == sorted(owners, key=owners.index)
    assert "\n".join(render(BriefingReply(briefing), "text").splitlines()).count(HARBOUR.title) >= 1


LEDE = Story(
    "Halden dam holds as river peaks",
    (
        "HALDEN (Northwire) — The Halden dam held overnight as the Vessel river reached its "
        "highest level in forty years, engineers said on Saturday.",
        "But he added that the dam's spillway had been damaged by debris carried downstream "
        "during the night.",
        "This could change the repair plans for the whole river valley this year, officials said.",
        "(CNN) — Residents of three villages below the dam were allowed to return home on "
        "Saturday afternoon.",
    ),
)


def test_no_bullet_opens_with_a_dateline_or_a_dangling_opener(bare_core: Core) -> None:
    article = store_story(bare_core, LEDE)
    stored = bare_core.store.get(article.id, scope=OPERATOR)
    assert stored is not None
    assert stored.text.startswith("HALDEN (Northwire) —"), "the stored text keeps its dateline"
    briefing = brief(bare_core, bullets=4)
    assert briefing.bullets
    for bullet in briefing.bullets:
        assert not dangles(bullet.text), bullet.text
        assert not bullet.text.startswith(("HALDEN", "(CNN)", "(")), bullet.text
    texts = [b.text for b in briefing.bullets]
    assert any(t.startswith("The Halden dam held overnight") for t in texts)
    # A dangling sentence appears only joined to the sentence it depends on.
    for text in texts:
        if "But he added" in text:
            assert text.startswith("The Halden dam held overnight")


def test_text_and_markdown_show_coverage_and_link_to_the_evidence(bare_core: Core) -> None:
    for n, (outlet, title, paragraphs) in enumerate(COUNCIL_TOLL):
        draft = ArticleDraft(title, "\n".join(paragraphs), outlet, url=f"https://n.test/{n}")
        assert store_draft(bare_core.store, outlet, draft, bare_core.clock).article
    reply = BriefingReply(brief(bare_core, bullets=1))
    text = render(reply, "text")
    assert f"Also covered by: [3] {COUNCIL_TOLL[2][1]} <https://n.test/2>" in text
    assert "<https://n.test/0#:~:text=Northport%20city%20council%20voted%2031%E2%80%9317" in text
    markdown = render(reply, "markdown")
    assert "_(Also covered by: [Northport harbour bridge toll: what drivers" in markdown
    assert "](https://n.test/1#:~:text=A%20toll%20on%20the%20Northport" in markdown


TOLL_FOLLOW_UP = [
    (
        "Herald",
        "Toll opponents head to court",
        [
            "Opponents of the Northport harbour bridge toll vowed on Wednesday to take the "
            "city to court over it.",
            "The city council voted 31–17 on Tuesday to approve the harbour bridge toll.",
        ],
    ),
    (
        "Courier",
        "Northport council passes harbour bridge toll",
        [
            "Northport council approved the harbour bridge toll by 31 votes to 17 on Tuesday.",
            "Drivers will pay two dollars a crossing on the harbour bridge from March.",
        ],
    ),
    (
        "Gazette",
        "Harbour bridge toll approved",
        [
            "The harbour bridge toll was approved 31–17 by Northport councillors on Tuesday.",
            "Cameras will collect the harbour bridge toll.",
        ],
    ),
]


def test_a_storys_first_bullet_is_the_event_most_reports_state(bare_core: Core) -> None:
    ids = [_council(bare_core, outlet, t, p) for outlet, t, p in TOLL_FOLLOW_UP]
    bullets = brief(bare_core, bullets=3).bullets
    assert "31" in bullets[0].text, [b.text for b in bullets]
    assert sorted(s.id for s in bullets[0].sources) == sorted(ids)
    assert sum("31" in b.text for b in bullets) == 1


# A lone report whose first sentence (its event) runs past MAX_BULLET_WORDS (45 words).
LONG_LEDE = (
    "Northport city council voted on Tuesday night to close the old harbour ferry terminal by "
    "the end of next year and to spend the eleven million dollars it saves on a new bus route "
    "along the east shore, ending a ferry service that has run for ninety years."
)
FERRY_CLOSURE = [
    LONG_LEDE,
    "The vote followed a three-hour public meeting.",
    "Ferry workers will be offered jobs on the new bus route, the council said.",
    "The terminal building will be sold.",
]


def test_a_lone_reports_long_lede_leads_when_the_briefing_has_room(bare_core: Core) -> None:
    assert len(LONG_LEDE.split()) > 45
    _council(bare_core, "Herald", "Northport to close harbour ferry terminal", FERRY_CLOSURE)
    # Three bullets give a 90-word budget (BULLET_WORDS = 30 each): the event leads.
    assert brief(bare_core, bullets=3).bullets[0].text == LONG_LEDE


def test_a_long_lede_past_the_briefings_word_budget_gives_way(bare_core: Core) -> None:
    _council(bare_core, "Herald", "Northport to close harbour ferry terminal", FERRY_CLOSURE)
    # One bullet has a 30-word budget: a shorter sentence of the report instead.
    (bullet,) = brief(bare_core, bullets=1).bullets
    assert bullet.text != LONG_LEDE and len(bullet.text.split()) <= 45


MARATHON_LEDE = (
    "Thousands of runners crossed the finish line of the Westhaven city marathon on a bright "
    "Sunday morning this week under clear skies, after organisers had moved the start a full "
    "hour earlier to spare the field from the afternoon heat."
)
MARATHON_LONG = (
    "Race officials said the medical tents along the waterfront course treated more than two "
    "hundred runners for cramps and dehydration, a figure they described as normal for a race "
    "of this size held on a warm autumn day in the city."
)
MARATHON_SHORT = "A Kenyan runner won the men's race in two hours and nine minutes."


def test_a_later_bullet_keeps_the_briefing_near_its_word_budget(bare_core: Core) -> None:
    # After the lede, the lead summarizer's next sentence would take two bullets past
    # 2 * BULLET_WORDS + BUDGET_SLACK words: the shorter one after it is taken instead.  With
    # three bullets there is room for both.
    from bot.briefing import BUDGET_SLACK, BULLET_WORDS

    words = [len(s.split()) for s in (MARATHON_LEDE, MARATHON_LONG, MARATHON_SHORT)]
    assert words[0] + words[1] > 2 * BULLET_WORDS + BUDGET_SLACK >= words[0] + words[2]
    assert max(words) <= 45  # under the cap: only the budget decides
    paragraphs = [MARATHON_LEDE, MARATHON_LONG, MARATHON_SHORT]
    _council(bare_core, "Herald", "Westhaven marathon", paragraphs)

    def texts(bullets: int) -> list[str]:
        lead = summarizers.get("lead")
        briefing = compose_briefing(
            bare_core.store, lead, bare_core.clock, scope=OPERATOR, bullets=bullets
        )
        return [b.text for b in briefing.bullets]

    assert texts(2) == [MARATHON_LEDE, MARATHON_SHORT]
    assert texts(3) == [MARATHON_LEDE, MARATHON_SHORT, MARATHON_LONG]


def test_another_reports_lede_is_not_traded_for_a_shorter_detail(bare_core: Core) -> None:
    # Two reports of the marathon; with the lead summarizer the second bullet's first
    # candidate is the Gazette's lede, past the budget's share after the Herald's lede: it
    # states the event in its words, so it is kept over the shorter detail after it.
    from bot.briefing import BUDGET_SLACK, BULLET_WORDS

    gazette_lede = (
        "Daniel Kiptoo of Kenya won the Westhaven city marathon on Sunday morning in two hours "
        "and nine minutes, the fastest time ever run on the waterfront course, while the "
        "women's race went to a club runner from the old harbour district of the city itself."
    )
    herald = [MARATHON_LEDE, MARATHON_SHORT]
    gazette = [gazette_lede, "Thousands of runners lined up at the finish line by the harbour."]
    assert len(MARATHON_LEDE.split()) + len(gazette_lede.split()) > (
        2 * BULLET_WORDS + BUDGET_SLACK
    )
    _council(bare_core, "Herald", "Westhaven marathon", herald)
    _council(bare_core, "Gazette", "Kiptoo wins the Westhaven city marathon", gazette)
    briefing = compose_briefing(
        bare_core.store, summarizers.get("lead"), bare_core.clock, scope=OPERATOR, bullets=2
    )
    texts = [b.text for b in briefing.bullets]
    assert len({b.sources[0].id for b in briefing.bullets}) == 2, texts  # one story, two reports
    assert set(texts) == {MARATHON_LEDE, gazette_lede}, texts


QUARRY_EVENT = (
    "Glenmore county planners on Monday rejected the application to reopen the old Glenmore "
    "limestone quarry north of the village after a long hearing."
)
QUARRY_BUT = (
    "But the quarry company said on Monday evening that it would appeal the Glenmore planning "
    "decision to the state land court within the next month."
)
QUARRY = [
    QUARRY_EVENT,
    QUARRY_BUT,
    "Residents had collected signatures against the limestone quarry for two years.",
]
QUARRY_OTHER = [
    "Planners in Glenmore county rejected a bid on Monday to reopen the limestone quarry "
    "north of Glenmore village.",
    "The Glenmore limestone quarry closed in 1998 after a landslide.",
]


def test_a_lone_report_may_join_a_dangling_sentence_past_the_cap(bare_core: Core) -> None:
    assert 45 < len(f"{QUARRY_EVENT} {QUARRY_BUT}".split()) <= 60
    _council(bare_core, "Herald", "Glenmore quarry plan rejected", QUARRY)
    texts = [b.text for b in brief(bare_core, bullets=3).bullets]
    assert f"{QUARRY_EVENT} {QUARRY_BUT}" in texts, texts


def test_a_story_several_reports_tell_keeps_joined_bullets_within_the_cap(
    bare_core: Core,
) -> None:
    herald = _council(bare_core, "Herald", "Glenmore quarry plan rejected", QUARRY)
    courier = _council(bare_core, "Courier", "Glenmore quarry bid turned down", QUARRY_OTHER)
    briefing = brief(bare_core, bullets=3)
    # One story: its first bullet credits both reports or says why one is left out; the
    # joined pair (over the cap) is not a bullet, though the lone report gives it (above).
    first = briefing.bullets[0]
    assert {s.id for s in first.sources} | {o.source.id for o in first.left_out} == {
        herald,
        courier,
    }
    assert f"{QUARRY_EVENT} {QUARRY_BUT}" not in [b.text for b in briefing.bullets]
    assert all(len(b.text.split()) <= 45 for b in briefing.bullets), [
        b.text for b in briefing.bullets
    ]


# A report of the council vote that shares few words with the other two: grouped apart from
# them, its lede still states their fact (the same vote, in other words and numbers).
TOLL_FROM_THE_ROAD = Story(
    "Commuters brace for charges at the crossing",
    (
        "Motorists face a new charge at the crossing after councillors backed it by 31 votes "
        "to 17.",
        "Hauliers warned that lorry firms would pass the extra cost on to shops in the town.",
        "A taxi drivers' association said its members would consider a protest convoy.",
    ),
)


def test_a_report_grouped_apart_from_its_story_does_not_take_another_storys_bullet(
    bare_core: Core,
) -> None:
    ids = {outlet: _council(bare_core, outlet, t, p) for outlet, t, p in COUNCIL_TOLL[:2]}
    apart = store_story(bare_core, TOLL_FROM_THE_ROAD, source="Road News").id
    others = {store_story(bare_core, s, source="Wire").id for s in (HARVEST, CHESS)}
    briefing = brief(bare_core, bullets=3)
    firsts = [b.sources[0].id for b in briefing.bullets]
    # One bullet for the vote and one for each other story, not a second for the vote's story.
    assert apart not in firsts, [b.text for b in briefing.bullets]
    assert others <= set(firsts)
    [vote] = [b for b in briefing.bullets if b.sources[0].id in ids.values()]
    # The report that states the vote in its own words is one of that bullet's sources.
    assert apart in {s.id for s in vote.sources}


# One council vote told by three outlets; the Valley Times words it so differently ("$12m",
# "nine votes to four") that grouping keeps its report apart from the other two.
LIBRARY_VOTE = [
    (
        "Riverton Post",
        "Riverton council approves new library funding",
        [
            "The Riverton city council voted 9-4 on Tuesday to approve $12 million for a new "
            "central library on Mill Street.",
            "The library will replace a branch that closed after flood damage in 2019.",
            "Construction is expected to begin next spring and take two years.",
            "Mayor Ana Cruz said the vote was a turning point for the east side.",
        ],
    ),
    (
        "Valley Times",
        "Library plan wins council backing in Riverton",
        [
            "Councillors in Riverton backed a $12m library project by nine votes to four on "
            "Tuesday evening.",
            "Opponents argued the money should go to road repairs instead.",
            "The new building on Mill Street will include a children's wing and a makerspace.",
        ],
    ),
    (
        "Daily Ledger",
        "Riverton to build $12 million library",
        [
            "Riverton will build a new library after the council approved the $12 million "
            "plan by a vote of 9 to 4.",
            "The old branch flooded in 2019 and never reopened, leaving the east side without "
            "a library.",
            "Cruz called the decision historic.",
        ],
    ),
]


def test_a_vote_in_other_words_and_numbers_is_one_bullet_under_one_story(
    bare_core: Core,
) -> None:
    ids = {outlet: _council(bare_core, outlet, t, p) for outlet, t, p in LIBRARY_VOTE}
    bullets = brief(bare_core, bullets=3).bullets
    votes = [b for b in bullets if re.search(r"\b(9|nine)\b", b.text)]
    assert len(votes) == 1, [b.text for b in bullets]
    # Each outlet states the vote, so each is a source of that bullet.
    assert {s.id for s in votes[0].sources} == set(ids.values())
    # The report grouping kept apart joined the story: one story, no second story line.
    assert len([b.story for b in bullets if b.story]) <= 1, [b.story for b in bullets]


# Two different councils' budget votes that happen to share "9-4" and "$12 million".
TWO_BUDGET_VOTES = [
    (
        "Springfield Gazette",
        "Springfield council approves $12 million library renovation",
        [
            "The Springfield city council voted 9-4 on Tuesday to approve a $12 million "
            "renovation of the central library.",
            "The renovation will add a children's wing, repair the leaking roof and replace "
            "the heating system, which dates from the 1960s.",
            "Librarian Maria Lopez said the building would stay open during most of the work.",
        ],
    ),
    (
        "Shelbyville Courier",
        "Shelbyville school board cuts bus routes in budget vote",
        [
            "{opening} voted 9-4 late Monday to cut $12 million from transportation, "
            "eliminating 30 bus routes.",
            "Parents packed the meeting to protest the cuts, which take effect in August.",
            "Superintendent Tom Reed said the district faced a deficit after state aid fell.",
        ],
    ),
]


@pytest.mark.parametrize(
    "opening", ["Shelbyville's school board", "The Shelbyville city council on Tuesday"]
)
def test_two_votes_sharing_numbers_are_two_stories_with_their_own_events(
    bare_core: Core, opening: str
) -> None:
    ids = []
    for outlet, title, paragraphs in TWO_BUDGET_VOTES:
        paragraphs = [p.format(opening=opening) for p in paragraphs]
        ids.append(_council(bare_core, outlet, title, paragraphs))
    bullets = brief(bare_core, bullets=4).bullets
    # Each vote is its own story's first bullet, credited to its own report only.
    for article in ids:
        [event] = [b for b in bullets if b.sources[0].id == article and "9-4" in b.text]
        assert [s.id for s in event.sources] == [article], event


def test_two_events_on_one_date_are_two_stories(bare_core: Core) -> None:
    storm = _council(
        bare_core,
        "Weather Wire",
        "Storm floods coastal towns",
        [
            "On October 10, 2024, a storm flooded 5 coastal towns, forcing hundreds from "
            "their homes.",
            "Rescue crews used boats to reach stranded residents.",
        ],
    )
    fire = _council(
        bare_core,
        "Midlands Post",
        "Factory fire injures workers",
        [
            "On October 10, 2024, a fire at a plastics factory injured 5 workers.",
            "Firefighters took four hours to bring the blaze under control.",
        ],
    )
    bullets = brief(bare_core, bullets=2).bullets
    assert [[s.id for s in b.sources] for b in bullets] in ([[fire], [storm]], [[storm], [fire]])


ALLSIDES = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "eval" / "allsides-neus-dev.jsonl"
)


def test_multi_outlet_news_credits_each_source_with_a_sentence_of_its_own(bare_core: Core) -> None:
    # Twelve real stories, each told by three outlets in their own words (AllSides dev split).
    records = [json.loads(line) for line in ALLSIDES.read_text(encoding="utf-8").splitlines()[:12]]
    story_of = {}
    for number, record in enumerate(records):
        for outlet, document in zip("ABC", record["documents"], strict=False):
            title = document["title"].strip() or f"Story {number} report {outlet}"
            draft = ArticleDraft(title, document["text"], f"Outlet {outlet}")
            result = store_draft(bare_core.store, f"Outlet {outlet}", draft, bare_core.clock)
            assert result.article is not None, result.reason
            story_of[result.article.id] = number
    sentences = all_sentences(bare_core.store)
    briefing = brief(bare_core, bullets=12)
    assert len(briefing.bullets) == 12
    for bullet in briefing.bullets:
        # Every credited source holds its evidence sentence, and the bullet starts with the
        # first source's; no source comes from another story.
        assert all(s.evidence in sentences[s.id] for s in bullet.sources), bullet
        assert bullet.text.startswith(bullet.sources[0].evidence)
        assert len({story_of[s.id] for s in bullet.sources}) == 1, bullet
