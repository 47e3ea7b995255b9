"""A plain vectorised TextRank: the peer `news` is timed against in bench/speed.py.

scikit-learn's TfidfVectorizer (default tokenizer, English stop words) turns each sentence
into a unit TF-IDF vector; the sentence graph is their cosine similarity (one sparse matrix
product); PageRank (damping 0.85, power iteration to 1e-6 or 100 steps, Brin & Page 1998, as
TextRank uses it: Mihalcea & Tarau 2004) ranks the sentences; the top `count` come back in
document order.  Sentences come from briefbot's own splitter, so the comparison measures the
ranking, not the splitting.  Bench-only: needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from summarizers.text import split_sentences

DAMPING = 0.85


def textrank(text: str, count: int) -> list[str]:
    """The `count` highest-PageRank sentences of `text`, in document order."""
    sentences = split_sentences(text)
    if len(sentences) <= count:
        return sentences
    try:
        vectors = TfidfVectorizer(stop_words="english").fit_transform(sentences)
    except ValueError:  # only stop words: nothing to rank
        return sentences[:count]
    graph = (vectors @ vectors.T).toarray()
    np.fill_diagonal(graph, 0.0)
    out = graph.sum(axis=1)
    out[out == 0] = 1.0
    transition = graph / out[:, None]
    n = len(sentences)
    rank = np.full(n, 1.0 / n)
    for _ in range(100):
        following = (1 - DAMPING) / n + DAMPING * (transition.T @ rank)
        done = np.abs(following - rank).sum() < 1e-6
        rank = following
        if done:
            break
    top = sorted(np.argsort(-rank, kind="stable")[:count].tolist())
    return [sentences[i] for i in top]
