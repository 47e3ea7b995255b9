"""Our news summarizer: a linear model over cheap sentence features, then MMR.

News is written top-down, so a sentence's place is strong evidence; centrality (closeness to
the text's TF-IDF centroid), agreement between outlets and overlap with the headline find key
facts placed later; surface cues (questions, quotations, length) mark sentences that read
badly as a bullet.  The weights are fitted by `bench/train_news.py` on the public development
splits only and shipped as `news_model.json`.  Maximal marginal relevance (MMR) then keeps one
sentence per fact, and a word budget keeps each bullet one readable sentence.

All features are computed with numpy over the stored analysis: no per-sentence Python loops.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from .analysis import DANGLES, HAS_QUOTE, OPENS_WITH_QUOTE, QUESTION, Analysis
from .base import Summarizer, concatenate
from .derived import derived, derived_together
from .vectors import SentenceTerms, TermSpace

MODEL_FILE = Path(__file__).with_name("news_model.json")
FEATURES = (
    "bias",
    "inverse_position",
    "sqrt_inverse_position",
    "is_first",
    "is_second",
    "is_third",
    "position_3_to_5",
    "relative_position",
    "centrality",
    "title_similarity",
    "support",
    "short",
    "length",
    "overlong",
    "question",
    "opens_with_quote",
    "has_quote",
    "dangles",
)
# MMR: how much relevance counts against novelty, and the similarity that makes two
# sentences "the same fact".
MMR_LAMBDA = 0.8
SAME_FACT = 0.5
# A bullet should read as one sentence: sentences above this many words are passed over
# unless nothing shorter is left.
MAX_WORDS = 50
# Several reports: each further pick from an outlet already used costs this much, so a
# briefing draws on every side before it returns to one (a small, measured gain on
# allsides-neus, and what readers of a multi-source briefing expect).
OUTLET_BALANCE = 0.1
# Stories whose picks a warm process keeps (`select_many`): a briefing tells up to a few dozen.
STORIES_KEPT = 256


@cache
def model_weights() -> np.ndarray:
    """Load the shipped weights, in FEATURES order."""
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return np.array([data["weights"].get(name, 0.0) for name in FEATURES])


class NewsSummarizer(Summarizer):
    """The default summarizer, fitted for news reports."""

    name = "news"

    def __init__(self, weights: np.ndarray | None = None) -> None:
        self.weights = model_weights() if weights is None else weights

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Return up to `count` sentence indices, ascending."""
        n = len(analysis)
        if count <= 0 or n == 0:
            return []
        if n <= count:
            return list(range(n))
        return sorted(self._choose_one(analysis, count))

    def select_many(self, analyses: Sequence[Analysis], count: int) -> list[tuple[int, int]]:
        """Pick the best `count` sentences across reports of one story, each fact once.

        Sentences keep the position they had in their own report, so every outlet's lead
        counts as a lead; a sentence that other reports echo scores higher.
        """
        kept = [d for d, a in enumerate(analyses) if len(a)]
        if count <= 0 or not kept:
            return []
        if len(kept) == 1:
            return [(kept[0], i) for i in self._choose_one(analyses[kept[0]], count)]
        reports = [analyses[d] for d in kept]

        def choose(reports: Sequence[Analysis]) -> list[tuple[int, int]]:
            merged, owners = concatenate(reports)
            positions = np.array([i for _, i in owners])
            documents = np.array([d for d, _ in owners])
            # The story's space, joined from each report's terms (derived once per analysis):
            # the same as TermSpace(merged), bit for bit.
            space = TermSpace.joined([derived(a, "news.terms", SentenceTerms.of) for a in reports])
            return [owners[i] for i in self._choose(merged, positions, documents, count, space)]

        if self.weights is model_weights():
            # With the shipped weights the picks depend on the reports and `count` alone: a
            # story told again from the same reports (the next briefing) reuses them.
            name = f"news.story_picks.{count}"
            picked = derived_together(reports, name, choose, keep=STORIES_KEPT)
        else:
            picked = choose(reports)
        return [(kept[d], i) for d, i in picked]

    def _choose(
        self,
        analysis: Analysis,
        positions: np.ndarray,
        documents: np.ndarray,
        count: int,
        space: TermSpace | None = None,
    ) -> list[int]:
        space = TermSpace(analysis) if space is None else space
        scores = features(analysis, positions, documents, space) @ self.weights
        return mmr(scores, space, analysis.word_counts, count, documents)

    def _choose_one(self, analysis: Analysis, count: int) -> list[int]:
        """`_choose` for one report, its sentences at their own positions: its space and
        features depend on the analysis alone, so a warm process derives them once
        (`summarizers.derived`)."""
        space, matrix = derived(analysis, "news.features", _one_report)

        def choose(analysis: Analysis) -> list[int]:
            documents = np.zeros(len(analysis), dtype=np.int64)
            return mmr(matrix @ self.weights, space, analysis.word_counts, count, documents)

        if self.weights is not model_weights():
            return choose(analysis)
        # With the shipped weights the picks depend on the analysis and `count` alone.
        return list(derived(analysis, f"news.picks.{count}", choose))


def _one_report(analysis: Analysis) -> tuple[TermSpace, np.ndarray]:
    """The sentence space and (sentences x FEATURES) matrix of one report on its own."""
    n = len(analysis)
    space = TermSpace(analysis)
    matrix = features(analysis, np.arange(n), np.zeros(n, dtype=np.int64), space)
    matrix.flags.writeable = False
    return space, matrix


def features(
    analysis: Analysis, positions: np.ndarray, documents: np.ndarray, space: TermSpace
) -> np.ndarray:
    """Return the (sentences x FEATURES) matrix the model scores."""
    n = len(analysis)
    centroid = space.term_counts * space.idf
    centrality = space.score_against(centroid)
    top = centrality.max(initial=0.0)
    if top > 0:
        centrality = centrality / top
    title = space.score_against(space.term_weights_of(analysis.title_ids))
    doc_sizes = np.bincount(documents)
    relative = positions / np.maximum(doc_sizes[documents] - 1, 1)
    words = analysis.word_counts.astype(float)
    flags = analysis.flags
    # Filled column by column in place of np.column_stack's 18 temporaries: the same
    # (C-ordered) matrix, value for value.
    matrix = np.empty((n, len(FEATURES)))
    matrix[:, 0] = 1.0
    shifted = 1.0 + positions
    matrix[:, 1] = 1.0 / shifted
    matrix[:, 2] = 1.0 / np.sqrt(shifted)
    matrix[:, 3] = positions == 0
    matrix[:, 4] = positions == 1
    matrix[:, 5] = positions == 2
    matrix[:, 6] = (positions >= 3) & (positions <= 5)
    matrix[:, 7] = relative
    matrix[:, 8] = centrality
    matrix[:, 9] = title
    matrix[:, 10] = support(space, documents)
    matrix[:, 11] = words < 8
    matrix[:, 12] = np.minimum(words, 60.0) / 60.0
    matrix[:, 13] = np.maximum(words - 35.0, 0.0) / 35.0
    matrix[:, 14] = flags & QUESTION > 0
    matrix[:, 15] = flags & OPENS_WITH_QUOTE > 0
    matrix[:, 16] = flags & HAS_QUOTE > 0
    matrix[:, 17] = flags & DANGLES > 0
    return matrix


def support(space: TermSpace, documents: np.ndarray) -> np.ndarray:
    """For each sentence, how closely the *other* reports' centroids echo it (mean cosine).

    Zero for a single document.  One sparse pass per report, so cost grows linearly with the
    story's size.
    """
    n = space.size
    doc_count = int(documents.max(initial=0)) + 1
    if doc_count < 2 or n == 0:
        return np.zeros(n)
    total = np.zeros(n)
    pair_documents = documents[space.pair_sentence]
    for d in range(doc_count):
        mine = pair_documents == d
        centroid = np.bincount(
            space.pair_term[mine], weights=space.pair_weight[mine], minlength=space.idf.size
        )
        similarity = space.score_against(centroid)
        similarity[documents == d] = 0.0
        total += similarity
    return total / (doc_count - 1)


def mmr(
    scores: np.ndarray,
    space: TermSpace,
    word_counts: np.ndarray,
    count: int,
    documents: np.ndarray | None = None,
) -> list[int]:
    """Greedy maximal marginal relevance; returns sentence indices in pick order.

    `documents` names each sentence's report, for OUTLET_BALANCE; omitted, all are one.
    """
    if documents is None:
        documents = np.zeros(len(scores), dtype=np.int64)
    # Overlong sentences and fragments go to the back of the queue, not out of it.
    usable = (word_counts <= MAX_WORDS) & (word_counts >= 4)
    order = np.lexsort((-scores, ~usable))  # usable first, then by score; stable
    candidates = order[: max(count * 6, 24)]
    similarity = space.pairwise(candidates)
    relevance = scores[candidates]
    spread = relevance.max() - relevance.min()
    relevance = (relevance - relevance.min()) / spread if spread > 0 else np.zeros_like(relevance)
    relevance = relevance + usable[candidates]  # any usable sentence beats any unusable one
    outlets = documents[candidates]
    used = np.zeros(int(documents.max(initial=0)) + 1)
    chosen: list[int] = []
    best_overlap = np.zeros(len(candidates))
    available = np.ones(len(candidates), dtype=bool)
    for _ in range(min(count, len(candidates))):
        value = (
            MMR_LAMBDA * relevance
            - (1 - MMR_LAMBDA) * best_overlap
            - OUTLET_BALANCE * used[outlets]
        )
        # Repeats of a fact already chosen go last; they are used only if nothing else is.
        value = value - 10.0 * (best_overlap >= SAME_FACT)
        value[~available] = -np.inf
        k = int(np.argmax(value))
        chosen.append(int(candidates[k]))
        available[k] = False
        used[outlets[k]] += 1
        best_overlap = np.maximum(best_overlap, similarity[k])
    return chosen
