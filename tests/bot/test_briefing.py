"""Composing briefings from a real store: bullets, sources, story grouping, topics."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story

import summarizers
from bot.app import Core
from bot.briefing import compose_briefing
from bot.ingest import store_draft
from bot.models import ArticleDraft, Briefing
from bot.scopes import OPERATOR
from bot.store import Store


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
    assert any({s.id for s in b.sources} == seed_ids for b in briefing.bullets)


def test_every_bullet_is_a_sentence_of_one_of_its_sources(core: Core) -> None:
    sentences = all_sentences(core.store)
    for bullet in brief(core).bullets:
        assert any(bullet.text in sentences[s.id] for s in bullet.sources), bullet.text


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
