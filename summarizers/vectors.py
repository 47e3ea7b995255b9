"""TF-IDF sentence vectors over stored term ids, kept sparse and computed with numpy.

Sentences are compared as sets of weighted terms.  Everything is a handful of vectorised array
operations over the (sentence, term) pairs, so cost grows with the text's length, not its square.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import Analysis


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` (the distinct values, ascending, same dtype) by one sort.

    numpy 2's `np.unique` hashes integer arrays first and then sorts the result; on the few
    thousand (sentence, term) keys of a story that costs about 30x a plain sort (measured
    1.2 ms against 0.04 ms for 4,000 keys), and a briefing builds several term spaces.
    """
    # Equal values are equal: a stable sort gives the same array, ~20x slower (numpy's default
    # sort is vectorised, its stable one a merge sort).
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


@dataclass(frozen=True)
class SentenceTerms:
    """One analysis's terms as `TermSpace` reads them: its `size` sentences; its distinct
    term ids ascending (`terms`) with how often each occurs (`counts`); and each sentence's
    distinct terms, sentence by sentence, ascending (`pair_sentence`, and `pair_term` as
    indices into `terms`)."""

    size: int
    terms: np.ndarray
    counts: np.ndarray
    pair_sentence: np.ndarray
    pair_term: np.ndarray

    @classmethod
    def of(cls, analysis: Analysis) -> SentenceTerms:
        """Read an analysis's terms (see `TermSpace.joined`)."""
        n = len(analysis)
        lengths = np.diff(analysis.bounds)
        sentence_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
        terms, index, counts = np.unique(analysis.term_ids, return_inverse=True, return_counts=True)
        v = max(terms.size, 1)
        keys = sorted_unique(sentence_of * v + index)
        return cls(n, terms, counts, keys // v, keys % v)


class TermSpace:
    """The sentences of one (possibly merged) analysis as unit-length TF-IDF vectors."""

    def __init__(self, analysis: Analysis) -> None:
        n = len(analysis)
        self.size = n
        ids, bounds = analysis.term_ids, analysis.bounds
        if ids.dtype != np.uint32:  # every analysis gives uint32; a caller's own may not
            ids = ids.astype(np.uint32)
        # One plain sort of (term id, sentence) keys gives the vocabulary, each term's count
        # and the distinct (sentence, term) pairs: what np.unique(return_inverse=True) and
        # its argsort gave, several times faster (numpy's sort of 64-bit integers is
        # vectorised; argsort and the inverse's scatter are not).
        keys = ids.astype(np.uint64) << np.uint64(32)
        keys |= np.arange(n, dtype=np.uint64).repeat(bounds[1:] - bounds[:-1])
        keys.sort()
        term_of = keys >> np.uint64(32)
        first = np.empty(keys.size, dtype=bool)  # where each term's keys start
        first[:1] = True
        np.not_equal(term_of[1:], term_of[:-1], out=first[1:])
        self.vocabulary = term_of[first].astype(np.uint32)
        term_index = first.cumsum() - 1  # each key's term, an index into the vocabulary
        v = max(self.vocabulary.size, 1)
        self.term_counts = np.bincount(term_index, minlength=self.vocabulary.size)
        # Count each term once per sentence: a sentence is a set of facts, not a bag of words.
        distinct = first  # a key unlike the one before (its term or its sentence differs)
        np.not_equal(keys[1:], keys[:-1], out=distinct[1:])
        sentence = (keys[distinct] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        pairs = np.sort(sentence * v + term_index[distinct])  # by sentence, then term
        self.pair_sentence = pairs // v
        self.pair_term = pairs % v
        self._weigh()

    def _weigh(self) -> None:
        """IDF, sentence norms and pair weights from the pairs and the vocabulary."""
        n = self.size
        self.sentence_frequency = np.bincount(self.pair_term, minlength=self.vocabulary.size)
        self.idf = np.log1p(max(n, 1) / np.maximum(self.sentence_frequency, 1))
        weights = self.idf[self.pair_term]
        norms = np.sqrt(np.bincount(self.pair_sentence, weights=weights**2, minlength=n))
        self.norms = norms
        safe = np.where(norms > 0, norms, 1.0)
        self.pair_weight = weights / safe[self.pair_sentence]
        self._starts: np.ndarray | None = None
        self._by_term: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def joined(cls, parts: Sequence[SentenceTerms]) -> TermSpace:
        """The space of several analyses back to back, from each one's `SentenceTerms`: the
        same figures, bit for bit, as `TermSpace` of the analyses concatenated, without
        finding the distinct terms of every sentence again."""
        space = cls.__new__(cls)
        space.size = sum(p.size for p in parts)
        distinct = np.concatenate([p.terms for p in parts])
        vocabulary, column = np.unique(distinct, return_inverse=True)
        space.vocabulary = vocabulary
        # Each part's pairs, shifted to its first sentence and its first distinct term.
        pairs = [p.pair_term.size for p in parts]
        sentence_base = np.cumsum([0] + [p.size for p in parts[:-1]])
        term_base = np.cumsum([0] + [p.terms.size for p in parts[:-1]])
        space.pair_sentence = np.concatenate([p.pair_sentence for p in parts]) + np.repeat(
            sentence_base, pairs
        )
        space.pair_term = column[
            np.concatenate([p.pair_term for p in parts]) + np.repeat(term_base, pairs)
        ]
        counts = np.bincount(
            column, weights=np.concatenate([p.counts for p in parts]), minlength=vocabulary.size
        )
        space.term_counts = counts.astype(np.int64)
        space._weigh()
        return space

    def score_against(self, term_weights: np.ndarray) -> np.ndarray:
        """Cosine of every sentence with a vector given as one weight per vocabulary term."""
        norm = float(np.linalg.norm(term_weights))
        if norm == 0 or self.size == 0:
            return np.zeros(self.size)
        dots = np.bincount(
            self.pair_sentence,
            weights=self.pair_weight * term_weights[self.pair_term],
            minlength=self.size,
        )
        return dots / norm

    def term_weights_of(self, ids: np.ndarray) -> np.ndarray:
        """A query vector (IDF weights) for raw term ids, e.g. a title's."""
        weights = np.zeros(self.vocabulary.size)
        if ids.size and self.vocabulary.size:
            pos = np.searchsorted(self.vocabulary, ids)
            pos = np.clip(pos, 0, self.vocabulary.size - 1)
            hit = self.vocabulary[pos] == ids
            weights[pos[hit]] = self.idf[pos[hit]]
        return weights

    def sentence_vector(self, index: int) -> np.ndarray:
        """The dense unit vector of one sentence over this space's vocabulary."""
        return self._vector(index)[0]

    def similarity_to(self, index: int) -> np.ndarray:
        """Cosine similarity of sentence `index` with every sentence (`size` floats).

        The same figures as `score_against(sentence_vector(index))`, bit for bit, reading only
        the (sentence, term) pairs of the sentence's own terms: every other pair adds an exact
        zero, and each sentence's pairs are summed in the same (ascending term) order.
        """
        dots, norm = self.dots_to(index)
        return dots / norm if norm else np.zeros(self.size)

    def dots_to(self, index: int) -> tuple[np.ndarray, float]:
        """`similarity_to(index)` before it is divided by the norm of sentence `index`'s
        vector, and that norm (0.0, and zero dots, for a sentence without terms).

        The dots are symmetric bit for bit (`dots_to(a)[0][b] == dots_to(b)[0][a]`: the same
        products, of the terms both hold, summed in ascending term order), so
        `similarity_to(a)[b]` is `dots_to(b)[0][a] / norm_of(a)`, exactly.
        """
        if self.size == 0:
            return np.zeros(0), 0.0
        vector, terms = self._vector(index)
        norm = math.sqrt(vector.dot(vector))  # np.linalg.norm's own sum, without its checks
        if norm == 0:
            return np.zeros(self.size), 0.0
        starts, by_term = self._postings()
        first, last = starts[terms], starts[terms + 1]
        lengths = last - first
        # The postings of each term back to back, term after term (ascending).
        at = np.repeat(first - np.cumsum(lengths) + lengths, lengths)
        pairs = by_term[at + np.arange(at.size)]
        dots = np.bincount(
            self.pair_sentence[pairs],
            weights=self.pair_weight[pairs] * vector[self.pair_term[pairs]],
            minlength=self.size,
        )
        return dots, norm

    def norm_of(self, index: int) -> float:
        """The norm `similarity_to(index)` divides by (that of sentence `index`'s vector, as
        numpy sums it: ~1, not exactly)."""
        vector, _ = self._vector(index)
        return math.sqrt(vector.dot(vector))

    def _vector(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Sentence `index` as a dense vector over the vocabulary, and its terms."""
        lo, hi = self._sentence_starts()[index : index + 2]
        vector = np.zeros(self.vocabulary.size)
        terms = self.pair_term[lo:hi]
        vector[terms] = self.pair_weight[lo:hi]
        return vector, terms

    def _sentence_starts(self) -> np.ndarray:
        """Where each sentence's pairs start in the pair arrays (sorted by sentence, then
        term), and the end: `size + 1` ints."""
        if self._starts is None:
            counts = np.bincount(self.pair_sentence, minlength=self.size)
            self._starts = np.concatenate([[0], np.cumsum(counts)])
        return self._starts

    def _postings(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of each term, in pair order: term t's are `by_term[starts[t]:starts[t+1]]`."""
        if self._by_term is None:
            # A term has one pair per sentence, so the order of its pairs among themselves does
            # not matter to `similarity_to`; term ids under 2**16 sort fastest (radix).
            small = self.vocabulary.size <= np.iinfo(np.uint16).max
            terms = self.pair_term.astype(np.uint16) if small else self.pair_term
            by_term = np.argsort(terms, kind="stable")
            counts = np.bincount(self.pair_term, minlength=self.vocabulary.size)
            self._by_term = (np.concatenate([[0], np.cumsum(counts)]), by_term)
        return self._by_term

    def pairwise(self, indices: Sequence[int]) -> np.ndarray:
        """Cosine similarities among a few sentences, as a dense matrix."""
        rows = np.asarray(indices, dtype=np.int64)
        if rows.size == 0:
            return np.zeros((0, 0))
        local = np.full(self.size, -1, dtype=np.int64)
        local[rows] = np.arange(rows.size)
        mask = local[self.pair_sentence] >= 0
        # Only the terms these sentences hold, as columns (in vocabulary order): a few hundred
        # instead of the whole vocabulary, which a long text makes a megabyte to fill and
        # multiply.  The same products, so the same cosines but for the last bit of rounding.
        columns, column = np.unique(self.pair_term[mask], return_inverse=True)
        dense = np.zeros((rows.size, columns.size))
        dense[local[self.pair_sentence[mask]], column] = self.pair_weight[mask]
        return dense @ dense.T
