"""Compose a briefing: select articles, group them into stories, condense, attribute sources.

Reports of one story are grouped first; stories are ranked by importance (how many outlets,
how recent, how central) and, while there are stories left, each gets one bullet before any
gets a second.  A story's first bullet is its event: of the summarizer's best sentences, the
one most outlets state.  Every bullet credits only the articles that state its fact — the
article it was taken from, then each report with a sentence matched as the same fact (kept as
that source's `evidence`); the story's other reports are listed once as `coverage`.  A
sentence that repeats a chosen fact (in other words, by its numbers and names) is passed over,
and a sentence that leans on the one before it ("But he added…") is joined to it or skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from summarizers.analysis import Analysis, word_count
from summarizers.base import Summarizer
from summarizers.derived import derived, derived_together
from summarizers.facts import ANCHORED_WORDS, dangles, same_fact
from summarizers.threads import single_threaded
from summarizers.vectors import SentenceTerms, TermSpace

from .clock import Clock
from .models import Article, Briefing, Bullet, LeftOut, Source
from .reads import StoreReads
from .scopes import Scope

# How many of the newest matching articles a briefing reads: at least MAX_ARTICLES, and
# ARTICLES_PER_BULLET per bullet asked for, so that a long briefing has enough stories to spread
# over (a story is typically reported by one to three outlets).
MAX_ARTICLES = 40
ARTICLES_PER_BULLET = 8
# Article similarity (TF-IDF cosine, headline and lead weighted) above which two articles are
# reports of one story.  On the AllSides dev split, reports of one story score 0.35 (median)
# and unrelated stories 0.13 (99th percentile).
SAME_STORY = 0.2
HEADLINE_WEIGHT = 2
LEAD_SENTENCES = 5
# A bullet is one readable line: a sentence joined to the one it depends on must fit this when
# the story is told by one report; a story several reports tell has other wordings of its
# facts, so there a joined bullet keeps MAX_BULLET_WORDS like any other (the same reasoning as
# the lone report's lede below).
JOIN_WORDS = 60
# Sentences longer than this are used only when a story has nothing shorter (a sentence joined
# to its antecedent is bounded by JOIN_WORDS instead).
MAX_BULLET_WORDS = 45
# Beyond this a "sentence" is text nothing could split (a paragraph without stops, a page of
# unpunctuated Chinese): never a bullet, even when a story has nothing shorter.
MAX_SENTENCE_WORDS = 4 * MAX_BULLET_WORDS
# A briefing of n bullets reads in about n * BULLET_WORDS words (issue 13: "mean bullet <= 30
# words"; not fitted).  The one exception to MAX_BULLET_WORDS spends from this budget: the lede
# of a story only one report tells.  A news report states its event in its first sentence
# (the inverted pyramid) and a lone report has no other wording of it, so passing over a long
# lede for length loses the event; it is taken when the briefing's words so far and it fit the
# budget (the summarizer's own limit, summarizers.news.MAX_WORDS, still bounds it).
BULLET_WORDS = 30
# The budget also holds bullet by bullet: after k bullets a briefing may run at most
# BUDGET_SLACK words over k * BULLET_WORDS.  A story's later bullet, and its event when several
# candidates are stated by equally many reports, is the first candidate in the summarizer's
# order that keeps within; when none does, the best is taken anyway.  A lede is never traded
# for a shorter detail (only for another report's shorter lede).  Chosen among 0, 10 and 20 on
# the dev splits by 5-fold cross-validated ROUGE (bench/README.md, issue 13).
BUDGET_SLACK = 20
# The event bullet is chosen among the summarizer's first few picks for the story.
EVENT_CANDIDATES = 4
# More candidates than bullets, so that repeats, dangling openers and overlong sentences can
# be passed over.
EXTRA_CANDIDATES = 6
# With a topic the reader asked for depth: the most important story may take this many bullets
# before the others get one.
TOPIC_DEPTH = 3
# Story importance = distinct outlets + RECENCY_WEIGHT * recency + CENTRALITY_WEIGHT * centrality
# (both in [0, 1]); recency halves every RECENCY_HALF_LIFE_HOURS behind the newest story.
RECENCY_WEIGHT = 1.0
CENTRALITY_WEIGHT = 0.5
RECENCY_HALF_LIFE_HOURS = 24.0
# The sets of articles whose term space, article similarities and what briefings read of them
# (`_Read`) a warm process keeps (~1 MB a set of 40 articles), for the same articles' next
# briefing: a channel's buttons, a repeated topic, `brief` between two ingests.
BRIEFINGS_KEPT = 16


# A source whose dot with a candidate (`TermSpace.dots_to`) is below this does not state it:
# their overlap is that dot over the source's norm, a unit vector's (1 within ~1e-13), so it is
# surely below ANCHORED_WORDS, where `same_fact` says no whatever the anchors.  `repeats`
# passes such sources over without asking.
_SURELY_APART = ANCHORED_WORDS * (1 - 1e-9)

_Option = tuple[int, tuple[str, int]]  # a usable candidate: (sentence, (text, merged start))


@dataclass
class _Draft:
    """A bullet being assembled."""

    sentence: int  # index into the merged analysis of the sentence whose fact the bullet states
    text: str  # the bullet's words (the sentence, or its antecedent and it)
    start: int  # the merged index the text starts at (the antecedent when joined)
    story: int
    end: int  # the merged index of the text's last sentence
    credits: list[tuple[int, int]] = field(default_factory=list)  # (article, merged sentence)


@single_threaded
def compose_briefing(
    store: StoreReads,
    summarizer: Summarizer,
    clock: Clock,
    *,
    scope: Scope,
    topic: str | None = None,
    bullets: int = 5,
    since: datetime | None = None,
    title: str | None = None,
    max_articles: int | None = None,
    stored_after: datetime | None = None,
    stored_until: datetime | None = None,
) -> Briefing:
    """Build a briefing of up to `bullets` bullets from the newest matching articles that
    `scope` may read.

    `stored_after`/`stored_until` bound the articles by when they were first stored (digests);
    `max_articles` defaults to max(MAX_ARTICLES, ARTICLES_PER_BULLET * bullets).
    """
    if max_articles is None:
        max_articles = max(MAX_ARTICLES, ARTICLES_PER_BULLET * bullets)
    with store.reading():  # one connection and snapshot for the briefing's reads
        found = store.search(
            topic,
            since=since,
            limit=max_articles,
            scope=scope,
            stored_after=stored_after,
            stored_until=stored_until,
            with_text=False,  # the sentences come from the analyses
        )
        analyses = store.analyses(a.id for a in found)
        articles = [a for a in found if a.id in analyses and len(analyses[a.id])]
        copies = store.copies_of((a.id for a in articles), scope=scope)
    chosen = condense(
        articles, [analyses[a.id] for a in articles], summarizer, bullets, topic=bool(topic)
    )
    chosen = with_copies(chosen, copies)
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
    *,
    topic: bool = False,
) -> list[Bullet]:
    """Choose up to `count` bullets across articles (`analyses[i]` is `articles[i]`'s).

    Stories most important first, one bullet each while stories last (with `topic`, the top
    story may take TOPIC_DEPTH first); each fact once; sources are the articles stating the
    fact, with their evidence sentences; a story's other reports are its first bullet's
    `coverage`.  Bullets come grouped by story, and when some story has several, each story's
    first bullet carries its story line (the headline of the report it came from).
    """
    if count <= 0 or not articles:
        return []
    merged = _Sentences.of(analyses)
    offsets = np.cumsum([0] + [len(a) for a in analyses])
    owner = np.repeat(np.arange(len(analyses)), np.diff(offsets))
    # One term space for the briefing, joined from each article's (derived once per analysis);
    # it, the articles' similarities and what is read of them (`_Read`) are kept for the same
    # articles' next briefing.
    space, read = derived_together(analyses, "briefing.space", _briefing_space, keep=BRIEFINGS_KEPT)
    similarity = (
        derived_together(analyses, "briefing.similarity", _article_similarity, keep=BRIEFINGS_KEPT)
        if len(analyses) > 1
        else np.ones((1, 1))
    )
    # Stories group within one language only (issue 18).
    langs = np.array([a.lang for a in articles])
    similarity = np.where(langs[:, None] == langs[None, :], similarity, 0.0)
    grouped = read.groups.get(tuple(langs.tolist()))
    if grouped is None:  # the same articles in the same languages group the same way
        grouped = read.groups[tuple(langs.tolist())] = _group(similarity)
    stories = rank_stories([list(g) for g in grouped], articles, similarity)
    composer = _Composer(
        merged, offsets, owner, space, analyses, budget=count * BULLET_WORDS, read=read
    )
    # Each story's candidates, best first, asked of the summarizer on the story's first turn
    # (`picks` keeps them all, for the reasons a report was left out).
    queues: dict[int, list[int]] = {}
    picks: dict[int, list[int]] = {}
    drafts: list[_Draft] = []
    joined: set[int] = set()  # stories found to be reports of another story (below)
    for story in _slots(len(stories), count, topic):
        if len(drafts) >= count:
            break
        if story in joined:
            continue
        members = stories[story]
        if story not in queues:
            wanted = count + EXTRA_CANDIDATES
            chosen = summarizer.select_many([analyses[m] for m in members], wanted)
            queues[story] = [int(offsets[members[d]] + i) for d, i in chosen]
            picks[story] = list(queues[story])
            told = composer.retold(story, queues[story], drafts)
            if told is not None:
                # Its event is a chosen bullet's fact: its reports are reports of that
                # bullet's story which grouping kept apart.  They join that story (its later
                # bullets, coverage and `why` include them), so the spread goes to stories
                # not yet told and one story is never told under two story lines.
                stories[told.story].extend(members)
                queues[told.story].extend(s for s in queues[story] if s not in composer.used)
                picks[told.story].extend(picks[story])
                joined.add(story)
                continue
        draft = composer.next_bullet(story, members, queues[story], drafts)
        if draft is not None:
            drafts.append(draft)
    return _bullets(drafts, stories, articles, merged, _Reasons(composer, picks))


@dataclass(frozen=True)
class _Sentences:
    """The sentences of a briefing's articles back to back, and their word counts."""

    sentences: tuple[str, ...]
    word_counts: np.ndarray

    @classmethod
    def of(cls, analyses: Sequence[Analysis]) -> _Sentences:
        sentences = tuple(s for a in analyses for s in a.sentences)
        return cls(sentences, np.concatenate([a.word_counts for a in analyses]))


def _briefing_space(analyses: Sequence[Analysis]) -> tuple[TermSpace, _Read]:
    """The sentences of a briefing's articles as one term space, with bigrams, and what
    composers have read of it so far (none yet)."""
    parts = [derived(a, "briefing.terms", _sentence_terms) for a in analyses]
    return TermSpace.joined(parts), _Read()


@dataclass
class _Read:
    """What briefings read of one briefing space, kept with it: the same articles' next
    briefing reads the same figures (each depends on the articles' analyses alone, the
    groups also on their languages)."""

    similarity: dict[int, np.ndarray] = field(default_factory=dict)
    overlaps: dict[int, list[float]] = field(default_factory=dict)  # the same rows as lists
    dots: dict[int, list[float]] = field(default_factory=dict)  # the rows before the division
    norms: dict[int, float] = field(default_factory=dict)
    credits: dict[tuple[int, tuple[int, ...]], list[tuple[int, int]]] = field(default_factory=dict)
    states: dict[tuple[int, int], bool] = field(default_factory=dict)  # `_Composer.states`
    groups: dict[tuple[str, ...], list[list[int]]] = field(default_factory=dict)  # `_group`


def _sentence_terms(analysis: Analysis) -> SentenceTerms:
    """An article's sentence terms with its bigrams, for the briefing's term space."""
    return SentenceTerms.of(with_bigrams(analysis))


def _slots(stories: int, count: int, topic: bool) -> Iterator[int]:
    """The order stories get their turns: spread first (or the top story's depth for a topic),
    then round after round while bullets are wanted."""
    if topic and stories:
        for _ in range(min(TOPIC_DEPTH, count) - 1):
            yield 0
    for _ in range(count):
        yield from range(stories)


class _Composer:
    """Picks a story's next bullet and finds the reports that state it."""

    def __init__(
        self,
        merged: _Sentences,
        offsets: np.ndarray,
        owner: np.ndarray,
        space: TermSpace,
        analyses: Sequence[Analysis],
        budget: int = 0,
        read: _Read | None = None,
    ) -> None:
        self.merged = merged
        self.budget = budget  # the briefing's words (n bullets * BULLET_WORDS)
        self.offsets = offsets
        self.owner = owner
        self.space = space
        self.analyses = analyses
        self.used: set[int] = set()
        # Why a candidate was passed over, as last decided: "repeat" (with the bullet whose
        # fact it repeats), "dangling" (no antecedent to join), "long" (over the cap) or
        # "budget" (longer than the briefing's words left allow: BUDGET_SLACK).
        self.passed: dict[int, tuple[str, _Draft | None]] = {}
        # Rows of the space and credits, shared with the space's other composers (`_Read`).
        read = _Read() if read is None else read
        self._similarity = read.similarity
        self._overlaps = read.overlaps
        self._dots = read.dots
        self._norms = read.norms
        self._credits = read.credits
        self._states = read.states
        # For `repeats`: per candidate, per bullet (by id: bullets live as long as this),
        # how many of the bullet's sources are known not to state it.
        self._checked: dict[int, dict[int, int]] = {}

    def similarity(self, sentence: int) -> np.ndarray:
        """`space.similarity_to(sentence)`, computed once per space (`_Read`)."""
        if sentence not in self._similarity:
            dots, norm = self.space.dots_to(sentence)
            row = dots / norm if norm else np.zeros(self.space.size)
            self._overlaps[sentence] = row.tolist()  # Python floats: read one at a time
            self._dots[sentence] = dots.tolist()
            self._norms[sentence] = norm
            row.flags.writeable = False
            self._similarity[sentence] = row  # last: another composer may be reading (`_Read`)
        return self._similarity[sentence]

    def overlap(self, sentence: int, other: int) -> float:
        """`similarity(sentence)[other]`, from `other`'s dots when only those are computed
        (TermSpace.dots_to: the same figure, exactly)."""
        overlaps = self._overlaps.get(sentence)
        if overlaps is not None:
            return overlaps[other]
        dots = self._dots.get(other)
        if dots is None:
            return self._overlaps_of(sentence)[other]
        if sentence not in self._norms:
            self._norms[sentence] = self.space.norm_of(sentence)
        norm = self._norms[sentence]
        return dots[sentence] / norm if norm else 0.0

    def _overlaps_of(self, sentence: int) -> list[float]:
        self.similarity(sentence)
        return self._overlaps[sentence]

    def states(self, sentence: int, other: int) -> bool:
        """Does merged sentence `other` state the fact of merged sentence `sentence`?"""
        key = (sentence, other)
        decided = self._states.get(key)
        if decided is None:
            decided = self._states[key] = same_fact(
                self.merged.sentences[sentence],
                self.merged.sentences[other],
                self.overlap(sentence, other),
            )
        return decided

    def credits(self, sentence: int, members: Sequence[int]) -> list[tuple[int, int]]:
        """The article the sentence is from, then each other member article with its best
        sentence stating the same fact (highest word overlap among those that do)."""
        key = (sentence, tuple(members))
        if key not in self._credits:  # the event's candidates are credited, then the event
            own = int(self.owner[sentence])
            found = [(own, sentence)]
            row = self.similarity(sentence)
            overlaps = self._overlaps[sentence]
            for member in members:
                if member == own:
                    continue
                lo, hi = int(self.offsets[member]), int(self.offsets[member + 1])
                for other in (lo + np.argsort(-row[lo:hi], kind="stable")).tolist():
                    if self.states(sentence, other):
                        found.append((member, other))
                        break
                    if overlaps[other] < ANCHORED_WORDS:
                        break
            self._credits[key] = found
        return list(self._credits[key])

    def text_of(self, sentence: int, limit: int = JOIN_WORDS) -> tuple[str, int] | None:
        """The bullet's words for a sentence and where they start: the sentence itself, or its
        antecedent joined to it when it dangles and both fit `limit` words; None if neither."""
        words = int(self.merged.word_counts[sentence])
        text = self.merged.sentences[sentence]
        if not dangles(text):
            return text, sentence
        before = sentence - 1
        if before < 0 or self.owner[before] != self.owner[sentence] or before in self.used:
            return None
        previous = self.merged.sentences[before]
        if dangles(previous) or words + int(self.merged.word_counts[before]) > limit:
            return None
        return f"{previous} {text}", before

    def repeats(self, sentence: int, drafts: Sequence[_Draft]) -> _Draft | None:
        """The chosen bullet whose fact (or a source's) the sentence states again, if any.

        A repeat of the bullet's own sentence from an article the bullet does not yet credit
        (a report grouped into another story) makes that article a source of the bullet.
        """
        if sentence not in self._similarity:
            unread = {s for d in drafts for _, s in d.credits if s not in self._overlaps}
            if len(unread) > 1:
                # Many facts to check against (a big story's sources): one row, this
                # sentence's, serves them all (see `overlap`).
                self.similarity(sentence)
        # A bullet's sources only grow (appended), so the ones already found not to state
        # this sentence at an earlier turn are not asked again.
        checked = self._checked.setdefault(sentence, {})
        dots = self._dots.get(sentence)  # this sentence's row, when computed
        for draft in drafts:
            credits = draft.credits
            for n in range(checked.get(id(draft), 0), len(credits)):
                stated = credits[n][1]
                if stated != sentence and dots is not None and dots[stated] < _SURELY_APART:
                    continue  # see _SURELY_APART: `states` would say no
                if stated == sentence or self.states(stated, sentence):
                    checked[id(draft)] = n
                    article = int(self.owner[sentence])
                    credited = {a for a, _ in credits}
                    if article not in credited and self.states(draft.sentence, sentence):
                        credits.append((article, sentence))
                    return draft
            checked[id(draft)] = len(credits)
        return None

    def retold(self, story: int, queue: Sequence[int], drafts: Sequence[_Draft]) -> _Draft | None:
        """The bullet of another story whose fact (or a source's) the story's best candidate
        states, if any (that report is then credited as `repeats` does): the two are one
        story that grouping kept apart."""
        best = next((s for s in queue if s not in self.used), None)
        others = [d for d in drafts if d.story != story]
        return None if best is None else self.repeats(best, others)

    def next_bullet(
        self, story: int, members: Sequence[int], queue: list[int], drafts: Sequence[_Draft]
    ) -> _Draft | None:
        """Take the story's next usable candidate off `queue` (its event first)."""
        first = not any(d.story == story for d in drafts)
        join_limit = JOIN_WORDS if len(members) == 1 else MAX_BULLET_WORDS
        usable = []
        for sentence in queue:
            if sentence in self.used:
                continue
            repeated = self.repeats(sentence, drafts)
            if repeated is not None:
                self.passed[sentence] = ("repeat", repeated)
                continue
            if self.continues(sentence, story, drafts, join_limit):
                continue
            text = self.text_of(sentence, join_limit)
            if text is None:
                self.passed[sentence] = ("dangling", None)
                continue
            usable.append((sentence, text))
        if not usable:
            return None
        spent = sum(word_count(d.text) for d in drafts)
        short = [
            u
            for u in usable
            if self.merged.word_counts[u[0]] <= MAX_BULLET_WORDS
            or (first and len(members) == 1 and self.lede_fits(u[1], spent))
        ]
        if short:
            kept = {sentence for sentence, _ in short}
            for sentence, _ in usable:
                if sentence not in kept:
                    self.passed[sentence] = ("long", None)
        usable = short or [u for u in usable if self.merged.word_counts[u[0]] <= MAX_SENTENCE_WORDS]
        if not usable:
            return None
        share = (len(drafts) + 1) * BULLET_WORDS + BUDGET_SLACK

        def first_fitting(options: list[_Option]) -> _Option:
            # The first option within the budget's share, else the first (see BUDGET_SLACK).
            fits = [o for o in options if not self.budget or spent + word_count(o[1][0]) <= share]
            for sentence, _ in options[: options.index(fits[0])] if fits else ():
                self.passed[sentence] = ("budget", None)
            return fits[0] if fits else options[0]

        if first and len(members) > 1:
            # The event: of the first few candidates, the one the most reports state (the
            # first of those, in the summarizer's order, that fits the budget's share).
            window = usable[:EVENT_CANDIDATES]
            support = [len(self.credits(start, members)) for _, (_, start) in window]
            tied = [w for w, n in zip(window, support, strict=True) if n == max(support)]
            ledes = [w for w in tied if self.is_lede(w[1][1])]
            if ledes:
                # A report's lede states the event (the inverted pyramid): of equally
                # supported candidates, a lede leads, and only another lede may replace it.
                tied = ledes
            sentence, (text, start) = first_fitting(tied)
        elif first or self.is_lede(usable[0][1][1]):
            # A lone report's event (its summarizer's first pick, usually the lede), or another
            # report's lede stating the event in its words: never traded for a shorter detail.
            sentence, (text, start) = usable[0]
        else:
            sentence, (text, start) = first_fitting(usable)
        queue.remove(sentence)
        # A joined bullet states the fact of the sentence it opens with: credit by that one.
        draft = _Draft(start, text, start, story, sentence, self.credits(start, members))
        self.used.update({sentence, start})
        return draft

    def is_lede(self, start: int) -> bool:
        """Is merged sentence `start` its article's first?"""
        return start == int(self.offsets[self.owner[start]])

    def lede_fits(self, text: tuple[str, int], spent: int) -> bool:
        """Is `text` (words, merged start) its article's first sentence, fitting the briefing's
        word budget after `spent` words?  (See BULLET_WORDS.)"""
        words, start = text
        return self.is_lede(start) and spent + word_count(words) <= self.budget

    def continues(
        self, sentence: int, story: int, drafts: Sequence[_Draft], limit: int = JOIN_WORDS
    ) -> bool:
        """Append a dangling sentence to the bullet that ends with the sentence it depends on,
        when both fit `limit` words; True if it was appended."""
        text = self.merged.sentences[sentence]
        if not dangles(text):
            return False
        for draft in drafts:
            if draft.story != story or draft.end != sentence - 1:
                continue
            if self.owner[draft.end] != self.owner[sentence]:
                return False
            if len(draft.text.split()) + int(self.merged.word_counts[sentence]) > limit:
                return False
            draft.text = f"{draft.text} {text}"
            draft.end = sentence
            self.used.add(sentence)
            return True
        return False


@dataclass
class _Reasons:
    """Why a report of a story is not among a bullet's sources, from what the composer did."""

    composer: _Composer
    picks: dict[int, list[int]]  # each story's candidates, best first
    number: dict[int, int] = field(default_factory=dict)  # id(draft) -> bullet number (1-based)

    def why(self, draft: _Draft, member: int, group: Sequence[_Draft]) -> str:
        """One line: the report does not state the bullet's fact, and what became of it."""
        base = "does not state this fact"
        for other in group:
            if other is not draft and any(a == member for a, _ in other.credits):
                return f"{base}; it is a source of bullet {self.number[id(other)]}"
        owner = self.composer.owner
        own = [s for s in self.picks.get(draft.story, ()) if int(owner[s]) == member]
        if not own:
            return f"{base}; none of its sentences ranked among the story's best"
        kind, by = self.composer.passed.get(own[0], ("", None))
        if kind == "repeat" and by is not None:
            return f"{base}; its best sentence repeats bullet {self.number[id(by)]}"
        if kind == "long":
            return f"{base}; its best sentence is over the {MAX_BULLET_WORDS}-word cap"
        if kind == "budget":
            return (
                f"{base}; its best sentence is too long for the briefing "
                f"(about {BULLET_WORDS} words a bullet)"
            )
        if kind == "dangling":
            return f"{base}; its best sentence leans on the one before it"
        return f"{base}; its best sentence ranked below the ones chosen"


def _bullets(
    drafts: list[_Draft],
    stories: list[list[int]],
    articles: Sequence[Article],
    merged: _Sentences,
    reasons: _Reasons,
) -> list[Bullet]:
    """Drafts as bullets, grouped by story in story order, with sources, evidence, coverage
    and, for each bullet, the story's reports it leaves out and why."""
    by_story: dict[int, list[_Draft]] = {}
    for draft in drafts:
        by_story.setdefault(draft.story, []).append(draft)
    grouped = any(len(group) > 1 for group in by_story.values())
    # Stories of one language together, languages in the order their best story ranks.
    lang_of = {story: articles[stories[story][0]].lang for story in by_story}
    first: dict[str, int] = {}
    for story in sorted(lang_of):
        first.setdefault(lang_of[story], len(first))
    story_order = sorted(by_story, key=lambda story: (first[lang_of[story]], story))
    mixed = len({a.lang for a in articles}) > 1
    ordered = [d for story in story_order for d in by_story[story]]
    reasons.number.update({id(d): n for n, d in enumerate(ordered, 1)})
    out: list[Bullet] = []
    for story in story_order:
        group = by_story[story]
        credited = {article for d in group for article, _ in d.credits}
        coverage = tuple(_source(articles[m]) for m in stories[story] if m not in credited)
        for n, draft in enumerate(group):
            stating = {article for article, _ in draft.credits}
            left_out = tuple(
                LeftOut(_source(articles[m]), reasons.why(draft, m, group))
                for m in stories[story]
                if m not in stating
            )
            sources = []
            for rank, (article, sentence) in enumerate(draft.credits):
                evidence = merged.sentences[draft.start if rank == 0 else sentence]
                sources.append(_source(articles[article], evidence))
            lead = articles[draft.credits[0][0]]
            out.append(
                Bullet(
                    text=draft.text,
                    sources=tuple(sources),
                    coverage=coverage if n == 0 else (),
                    story=lead.title if grouped and n == 0 else None,
                    left_out=left_out,
                    lang=lead.lang if mixed else None,
                )
            )
    return out


def with_copies(bullets: Sequence[Bullet], copies: dict[int, tuple[Source, ...]]) -> list[Bullet]:
    """Each bullet with other outlets' copies of its articles (`Store.copies_of`) listed
    right after the article they copy, as sources of their own.  A copy holds the same words,
    so it states the fact with the same evidence sentence."""
    if not copies:
        return list(bullets)

    def with_evidence(source: Source) -> tuple[Source, ...]:
        return (source, *(replace(c, evidence=source.evidence) for c in copies.get(source.id, ())))

    return [
        replace(b, sources=tuple(x for s in b.sources for x in with_evidence(s))) for b in bullets
    ]


def _source(article: Article, evidence: str | None = None) -> Source:
    return Source(article.id, article.title, article.url, article.outlet, evidence=evidence)


def rank_stories(
    stories: list[list[int]], articles: Sequence[Article], similarity: np.ndarray
) -> list[list[int]]:
    """Order stories most important first: distinct outlets, then recency (newest story 1,
    halving every RECENCY_HALF_LIFE_HOURS), then centrality (mean similarity of the story's
    reports to all other articles, scaled to the most central); ties keep grouping order."""
    if len(stories) < 2:
        return stories
    when = [(a.published_at or a.ingested_at) for a in articles]
    newest_of = [max(when[m] for m in members) for members in stories]
    newest = max(newest_of)
    n = len(articles)
    outside = (similarity.sum(axis=1) - np.diag(similarity)) / max(n - 1, 1)
    centrality = np.array([_mean(outside, members) for members in stories])
    top = centrality.max(initial=0.0)
    if top > 0:
        centrality = centrality / top
    scores = []
    for number, members in enumerate(stories):
        outlets = len({(articles[m].outlet or articles[m].source).strip().lower() for m in members})
        hours = (newest - newest_of[number]).total_seconds() / 3600
        recency = 0.5 ** (hours / RECENCY_HALF_LIFE_HOURS)
        scores.append(outlets + RECENCY_WEIGHT * recency + CENTRALITY_WEIGHT * centrality[number])
    order = sorted(range(len(stories)), key=lambda s: (-scores[s], s))
    return [stories[s] for s in order]


def _mean(values: np.ndarray, members: list[int]) -> float:
    """`float(values[members].mean())`, without numpy's overhead for a lone member (one
    value's mean is the value, exactly)."""
    if len(members) == 1:
        return float(values[members[0]])
    return float(values[members].mean())


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
    if len(analyses) < 2:
        return [list(range(len(analyses)))] if analyses else []
    return _group(_article_similarity(analyses))


def _group(similarity: np.ndarray) -> list[list[int]]:
    """Average-linkage clustering: repeatedly join the two groups whose reports are on average
    most similar, while that average reaches SAME_STORY.  Unlike joining any two similar
    articles (single linkage), this does not chain related stories (a hearing, then a vote,
    then a ruling) into one.  Groups come biggest first, stably."""
    n = len(similarity)
    groups: list[list[int]] = [[i] for i in range(n)]
    if n < 2:
        return groups
    # sums[a, b] = total similarity between the members of groups a and b.
    sums = similarity.astype(float).copy()
    sizes = np.ones(n)
    # average = sums / np.outer(sizes, sizes), -1 on the diagonal; a join changes only the
    # joined group's row and column, so only those are redone.  A joined-away group counts
    # as infinitely big there: its averages are 0 (or -1), below SAME_STORY, never chosen.
    average = sums / np.outer(sizes, sizes)
    np.fill_diagonal(average, -1.0)
    while True:
        a, b = divmod(int(np.argmax(average)), n)
        if average[a, b] < SAME_STORY:
            break
        a, b = min(a, b), max(a, b)
        groups[a].extend(groups[b])
        groups[b] = []
        sums[a, :] += sums[b, :]
        sums[:, a] += sums[:, b]
        sizes[a] += sizes[b]
        sizes[b] = np.inf
        np.divide(sums[a, :], sizes[a] * sizes, out=average[a, :])
        np.divide(sums[:, a], sizes * sizes[a], out=average[:, a])
        average[b, :] = average[:, b] = average[a, a] = -1.0
    kept = [sorted(g) for g in groups if g]
    return sorted(kept, key=lambda g: (-len(g), g[0]))


def _article_similarity(analyses: Sequence[Analysis]) -> np.ndarray:
    """Cosine similarity of articles as TF-IDF vectors with headline and lead weighted up."""
    bags = [derived(a, "briefing.bag", _bag) for a in analyses]
    vocabulary, column = np.unique(np.concatenate([t for t, _ in bags]), return_inverse=True)
    doc_of = np.repeat(np.arange(len(bags)), [t.size for t, _ in bags])
    # Each (article, term) once: the dense counts are set, not summed.
    counts = np.zeros(len(bags) * vocabulary.size)
    counts[doc_of * vocabulary.size + column] = np.concatenate([c for _, c in bags])
    counts = counts.reshape(len(bags), vocabulary.size)
    df = np.bincount(column, minlength=vocabulary.size)
    weights = np.multiply(counts, np.log1p(len(bags) / df), out=counts)
    # np.linalg.norm(weights, axis=1, keepdims=True) as numpy computes it, in fewer passes.
    norms = np.sqrt(np.add.reduce(weights * weights, axis=1, keepdims=True))
    weights /= np.where(norms > 0, norms, 1.0)
    similarity = weights @ weights.T
    similarity.flags.writeable = False  # condense keeps it for the same articles' next briefing
    return similarity


def _bag(analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """An article's terms for `_article_similarity` (headline HEADLINE_WEIGHT times, every
    sentence, the lead again): the distinct term ids, ascending, and how often each occurs."""
    lead_end = analysis.bounds[min(LEAD_SENTENCES, len(analysis))]
    bag = np.concatenate(
        [
            np.repeat(analysis.title_ids, HEADLINE_WEIGHT),
            analysis.term_ids,
            analysis.term_ids[:lead_end],
        ]
    )
    terms, counts = np.unique(bag, return_counts=True)
    terms.flags.writeable = False
    counts.flags.writeable = False
    return terms, counts
