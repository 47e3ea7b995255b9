"""Checks of analyses shared by the summarizer and store tests: two analyses field for field,
term ids by their definition, and the shared evaluation texts (where ../shared is)."""

from __future__ import annotations

import itertools
import json
from dataclasses import fields
from pathlib import Path

import numpy as np

from summarizers.analysis import Analysis
from summarizers.text import SentenceIds, term_id, terms

SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"


def assert_same_analysis(got: Analysis, want: Analysis) -> None:
    """Every field of `got` equals `want`'s: the sentences, and each array value for value
    and dtype for dtype."""
    for field in fields(Analysis):
        mine, theirs = getattr(got, field.name), getattr(want, field.name)
        if isinstance(theirs, np.ndarray):
            assert np.array_equal(mine, theirs), field.name
            assert mine.dtype == theirs.dtype, field.name
        else:
            assert mine == theirs, field.name


def definition(sentences: list[str]) -> list[list[int]]:
    """Each sentence's English term ids by the definition alone: `terms` (stems cached apart
    from the token and chunk caches) hashed by `term_id`."""
    return [[term_id(t) for t in terms(s)] for s in sentences]


def per_sentence(found: SentenceIds) -> list[list[int]]:
    """`sentence_terms`' ids cut into one list a sentence by its bounds."""
    ids, bounds = found.ids.tolist(), found.bounds.tolist()
    return [ids[a:b] for a, b in itertools.pairwise(bounds)]


def eval_texts() -> list[str]:
    """The news texts of ../shared/eval's dev files (none where ../shared is absent)."""
    texts: list[str] = []
    for path in sorted(SHARED_EVAL.glob("*-dev.jsonl")):
        with path.open(encoding="utf-8") as lines:
            texts.extend(json.loads(line).get("text", "") for line in lines if line.strip())
    return texts
