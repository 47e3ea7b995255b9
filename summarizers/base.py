"""The interface every summarizer implements, and the shared plumbing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .analysis import Analysis, analyze
from .threads import single_threaded
from .vectors import sorted_unique


class Summarizer:
    """Pick sentences from analysed text.

    Subclasses implement `select`; the text-level methods are built on it so every summarizer
    behaves alike at the edges (empty text, `count` larger than the text, several documents).
    """

    name = "base"

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Return up to `count` sentence indices of `analysis`, ascending."""
        raise NotImplementedError

    def select_many(self, analyses: Sequence[Analysis], count: int) -> list[tuple[int, int]]:
        """Return up to `count` (document, sentence) pairs chosen across several documents.

        The default treats the documents as one long text; summarizers that know better
        (see `news`) override it.
        """
        merged, owners = concatenate(analyses)
        picked = self.select(merged, count)
        return [owners[i] for i in picked]

    @single_threaded
    def summarize(self, text: str, count: int) -> list[str]:
        """Return up to `count` sentences of `text`, verbatim and in document order."""
        if count <= 0 or not text.strip():
            return []
        analysis = analyze(text)
        return [analysis.sentences[i] for i in self.select(analysis, count)]

    @single_threaded
    def summarize_many(self, documents: list[str], count: int) -> list[str]:
        """Return the best `count` sentences across several reports of one story."""
        analyses = [analyze(d) for d in documents if d.strip()]
        if count <= 0 or not analyses:
            return []
        return [analyses[d].sentences[i] for d, i in self.select_many(analyses, count)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def concatenate(analyses: Sequence[Analysis]) -> tuple[Analysis, list[tuple[int, int]]]:
    """Join analyses into one, remembering which (document, sentence) each sentence was."""
    if len(analyses) == 1:
        only = analyses[0]
        return only, [(0, i) for i in range(len(only))]
    owners = [(d, i) for d, a in enumerate(analyses) for i in range(len(a))]
    sentences = tuple(s for a in analyses for s in a.sentences)
    offsets = np.cumsum([0] + [a.term_ids.size for a in analyses[:-1]])
    bounds = [a.bounds[:-1] + off for a, off in zip(analyses, offsets, strict=True)]
    total = sum(a.term_ids.size for a in analyses)
    paragraph_base = np.cumsum([0] + [int(a.paragraphs.max(initial=-1)) + 1 for a in analyses[:-1]])
    merged = Analysis(
        sentences=sentences,
        term_ids=np.concatenate([a.term_ids for a in analyses]),
        bounds=np.concatenate([*bounds, np.array([total], dtype=np.int32)]).astype(np.int32),
        word_counts=np.concatenate([a.word_counts for a in analyses]),
        paragraphs=np.concatenate(
            [a.paragraphs + base for a, base in zip(analyses, paragraph_base, strict=True)]
        ),
        title_ids=sorted_unique(np.concatenate([a.title_ids for a in analyses])),
        flags=np.concatenate([a.flags for a in analyses]),
    )
    return merged, owners


def fill_to(picked: list[int], n: int, count: int) -> list[int]:
    """Top up a selection with the earliest unpicked sentences until it has `count`.

    Some algorithms return fewer sentences than asked (duplicates collapse, degenerate
    matrices); callers were promised `count` whenever the text has that many.
    """
    chosen = set(picked)
    for i in range(n):
        if len(chosen) >= min(count, n):
            break
        chosen.add(i)
    return sorted(chosen)
