"""Compose a briefing: select articles, group them into stories, condense, attribute sources.

Every bullet names the articles it stands for.  Reports of one story are grouped first, so a
story covered by three outlets becomes one bullet with three sources instead of three bullets
saying the same thing; bullets that repeat a fact already chosen are merged into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from summarizers.analysis import Analysis
from summarizers.base import Summarizer, concatenate
from summarizers.vectors import TermSpace

from .clock import Clock
from .models import Article, Briefing, Bullet, Source
from .scopes import Scope
from .store import Store

# How many of the newest matching articles a briefing reads.
MAX_ARTICLES = 40
# Article similarity (TF-IDF cosine, headline and lead weighted) above which two articles are
# reports of one story.  On the AllSides dev split, reports of one story score 0.35 (median)
# and unrelated stories 0.13 (99th percentile).
SAME_STORY = 0.2
# Sentence similarity (unigram and bigram TF-IDF cosine) above which two sentences state the
# same fact.
SAME_FACT = 0.35
HEADLINE_WEIGHT = 2
LEAD_SENTENCES = 5


@dataclass
class _Draft:
    """A bullet being assembled: its sentence and the articles behind it."""

    sentence: int  # index into the merged analysis
    article_ids: list[int]


def compose_briefing(
    store: Store,
    summarizer: Summarizer,
    clock: Clock,
    *,
    scope: Scope,
    topic: str | None = None,
    bullets: int = 5,
    since: datetime | None = None,
    title: str | None = None,
    max_articles: int = MAX_ARTICLES,
    stored_after: datetime | None = None,
    stored_until: datetime | None = None,
) -> Briefing:
    """Build a briefing of up to `bullets` bullets from the newest matching articles that
    `scope` may read.

    `stored_after`/`stored_until` bound the articles by when they were first stored (digests).
    """
    found = store.search(
        topic,
        since=since,
        limit=max_articles,
        scope=scope,
        stored_after=stored_after,
        stored_until=stored_until,
    )
    analyses = store.analyses(a.id for a in found)
    articles = [a for a in found if a.id in analyses and len(analyses[a.id])]
    chosen = condense(articles, [analyses[a.id] for a in articles], summarizer, bullets)
    chosen = with_copies(chosen, store.copies_of((a.id for a in articles), scope=scope))
    return Briefing(
        title=title or briefing_title(topic),
        generated_at=clock.now(),
        topic=topic or None,
        bullets=tuple(chosen),
        article_count=len(articles),
    )


def briefing_title(topic: str | None) -> str:
    """Name a briefing after its topic."""
    return f"Briefing: {topic}" if topic else "Briefing: top stories"


def condense(
    articles: Sequence[Article],
    analyses: Sequence[Analysis],
    summarizer: Summarizer,
    count: int,
) -> list[Bullet]:
    """Choose `count` bullets across articles, merging repeated facts and keeping sources."""
    if count <= 0 or not articles:
        return []
    merged, _ = concatenate(analyses)
    offsets = np.cumsum([0] + [len(a) for a in analyses])
    space = TermSpace(with_bigrams(merged))
    stories = group_stories(analyses)

    # Each story proposes its best sentences, ranked; stories take turns, biggest first, so
    # one heavily covered story cannot crowd out the rest.
    proposals: list[list[tuple[int, int]]] = []
    for members in stories:
        picks = summarizer.select_many([analyses[m] for m in members], count)
        proposals.append([(members[d], i) for d, i in picks])
    drafts: list[_Draft] = []
    for rank in range(count):
        for story, picks in zip(stories, proposals, strict=True):
            if rank >= len(picks) or len(drafts) >= count:
                continue
            doc, index = picks[rank]
            sentence = int(offsets[doc] + index)
            similarity = space.similarity_to(sentence)
            repeat = _same_fact(drafts, similarity)
            if repeat is not None:
                _add_source(repeat, articles[doc].id)
                continue
            supporters = [articles[doc].id]
            for other in range(len(articles)):
                if other == doc:
                    continue
                lo, hi = offsets[other], offsets[other + 1]
                # A story's first bullet is the story itself: every report of it is a source.
                lead_of_story = rank == 0 and other in story
                if lead_of_story or similarity[lo:hi].max(initial=0.0) >= SAME_FACT:
                    supporters.append(articles[other].id)
            drafts.append(_Draft(sentence, supporters))
    by_id = {a.id: a for a in articles}
    return [
        Bullet(
            text=merged.sentences[d.sentence],
            sources=tuple(
                Source(by_id[i].id, by_id[i].title, by_id[i].url, by_id[i].outlet)
                for i in d.article_ids
            ),
        )
        for d in drafts
    ]


def with_copies(bullets: Sequence[Bullet], copies: dict[int, tuple[Source, ...]]) -> list[Bullet]:
    """Each bullet with other outlets' copies of its articles (`Store.copies_of`) listed
    right after the article they copy, as sources of their own."""
    if not copies:
        return list(bullets)
    return [
        replace(b, sources=tuple(x for s in b.sources for x in (s, *copies.get(s.id, ()))))
        for b in bullets
    ]


def _same_fact(drafts: list[_Draft], similarity: np.ndarray) -> _Draft | None:
    for draft in drafts:
        if similarity[draft.sentence] >= SAME_FACT:
            return draft
    return None


def _add_source(draft: _Draft, article_id: int) -> None:
    if article_id not in draft.article_ids:
        draft.article_ids.append(article_id)


def with_bigrams(analysis: Analysis) -> Analysis:
    """Add adjacent content-word pairs to each sentence's terms.

    Shared phrases ("security concerns", "peace talks") are far better evidence that two
    sentences state one fact than shared single words.
    """
    ids = analysis.term_ids.astype(np.uint64)
    lengths = np.diff(analysis.bounds)
    n = len(analysis)
    if ids.size < 2:
        return analysis
    sentence_of = np.repeat(np.arange(n), lengths)
    same = sentence_of[1:] == sentence_of[:-1]
    pairs = ((ids[:-1] * np.uint64(1_000_003) + ids[1:]) % np.uint64(2**32)).astype(np.uint32)
    pair_sentence = sentence_of[1:][same]
    all_ids = np.concatenate([analysis.term_ids, pairs[same]])
    all_sentences = np.concatenate([sentence_of, pair_sentence])
    order = np.argsort(all_sentences, kind="stable")
    counts = np.bincount(all_sentences, minlength=n)
    return Analysis(
        sentences=analysis.sentences,
        term_ids=all_ids[order],
        bounds=np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
        word_counts=analysis.word_counts,
        paragraphs=analysis.paragraphs,
        title_ids=analysis.title_ids,
        flags=analysis.flags,
    )


def group_stories(analyses: Sequence[Analysis]) -> list[list[int]]:
    """Group articles that report one story; groups are ordered biggest first, stably."""
    n = len(analyses)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if n > 1:
        similarity = _article_similarity(analyses)
        rows, cols = np.nonzero(np.triu(similarity >= SAME_STORY, k=1))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
            parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def _article_similarity(analyses: Sequence[Analysis]) -> np.ndarray:
    """Cosine similarity of articles as TF-IDF vectors with headline and lead weighted up."""
    bags = []
    for a in analyses:
        lead_end = a.bounds[min(LEAD_SENTENCES, len(a))]
        bags.append(
            np.concatenate(
                [np.repeat(a.title_ids, HEADLINE_WEIGHT), a.term_ids, a.term_ids[:lead_end]]
            )
        )
    vocabulary, inverse = np.unique(np.concatenate(bags), return_inverse=True)
    doc_of = np.repeat(np.arange(len(bags)), [b.size for b in bags])
    counts = np.zeros((len(bags), vocabulary.size))
    np.add.at(counts, (doc_of, inverse), 1.0)
    df = (counts > 0).sum(axis=0)
    weights = counts * np.log1p(len(bags) / df)
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    weights = weights / np.where(norms > 0, norms, 1.0)
    return weights @ weights.T
