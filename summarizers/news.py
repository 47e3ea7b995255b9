"""Our news summarizer: position, centrality, title overlap and a length budget, then MMR.

News is written top-down, so a sentence's place is strong evidence; centrality (closeness to
the whole text's TF-IDF centroid) and overlap with the headline find key facts placed later;
a length budget keeps each pick a readable chat bullet; maximal marginal relevance (MMR) keeps
one sentence per fact, which matters most when several outlets report the same story.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .analysis import Analysis
from .base import Summarizer, concatenate
from .vectors import TermSpace

# Weights of the three signals; the benchmark in bench/quality.py is how they are judged.
POSITION_WEIGHT = 0.45
CENTRALITY_WEIGHT = 0.4
TITLE_WEIGHT = 0.15
# Words per sentence that read well as one bullet, and the floor below which a "sentence" is
# usually a fragment (a dateline, a caption, a one-word quote).
IDEAL_MAX_WORDS = 35
MIN_WORDS = 6
# MMR: how much relevance counts against novelty, and the similarity that makes two
# sentences "the same fact".
MMR_LAMBDA = 0.7
SAME_FACT = 0.55


class NewsSummarizer(Summarizer):
    """The default summarizer, tuned for news reports."""

    name = "news"

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Return up to `count` sentence indices, ascending."""
        n = len(analysis)
        if count <= 0 or n == 0:
            return []
        if n <= count:
            return list(range(n))
        positions = np.arange(n)
        picked = _choose(analysis, positions, count)
        return sorted(picked)

    def select_many(self, analyses: Sequence[Analysis], count: int) -> list[tuple[int, int]]:
        """Pick the best `count` sentences across reports of one story, each fact once.

        Sentences keep the position they had in their own report, so every outlet's lead
        counts as a lead; terms that several reports share weigh more in the centroid.
        """
        analyses = [a for a in analyses if len(a)]
        if count <= 0 or not analyses:
            return []
        merged, owners = concatenate(analyses)
        positions = np.array([i for _, i in owners])
        picked = _choose(merged, positions, count)
        return [owners[i] for i in picked]


def sentence_scores(analysis: Analysis, positions: np.ndarray, space: TermSpace) -> np.ndarray:
    """Score every sentence for summary-worthiness; higher is better."""
    centroid = space.term_counts * space.idf
    centrality = space.score_against(centroid)
    top = centrality.max(initial=0.0)
    if top > 0:
        centrality = centrality / top
    position = 1.0 / np.sqrt(1.0 + positions)
    title = space.score_against(space.term_weights_of(analysis.title_ids))
    score = POSITION_WEIGHT * position + CENTRALITY_WEIGHT * centrality + TITLE_WEIGHT * title
    words = np.maximum(analysis.word_counts, 1).astype(float)
    length = np.where(words < MIN_WORDS, 0.3, 1.0)
    length = length * np.where(words > IDEAL_MAX_WORDS, (IDEAL_MAX_WORDS / words) ** 1.5, 1.0)
    return score * length


def _choose(analysis: Analysis, positions: np.ndarray, count: int) -> list[int]:
    """Greedy MMR over the best-scoring candidates; returns indices in pick order."""
    space = TermSpace(analysis)
    scores = sentence_scores(analysis, positions, space)
    # Stable sort: equal scores keep document order, so results are deterministic.
    order = np.argsort(-scores, kind="stable")
    candidates = order[: max(count * 6, 20)]
    similarity = space.pairwise(candidates)
    # Sentences without content terms (e.g. "Watch the video") have zero vectors.
    chosen: list[int] = []
    best_overlap = np.zeros(len(candidates))
    available = np.ones(len(candidates), dtype=bool)
    for _ in range(min(count, len(candidates))):
        mmr = MMR_LAMBDA * scores[candidates] - (1 - MMR_LAMBDA) * best_overlap
        mmr[~available] = -np.inf
        # Repeats of a fact already chosen go last; they are used only if nothing else is left.
        mmr[available & (best_overlap >= SAME_FACT)] -= 10.0
        k = int(np.argmax(mmr))
        if not np.isfinite(mmr[k]):
            break
        chosen.append(int(candidates[k]))
        available[k] = False
        best_overlap = np.maximum(best_overlap, similarity[k])
    return chosen
