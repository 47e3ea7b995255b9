"""Figures derived from one analysis, computed once per analysis object.

A warm process reuses the analyses it decoded (`bot.store.Store.analyses` keeps them while
their stored blob is unchanged), so what a briefing derives from one article alone (its
TF-IDF sentence space, its model features, its term bag) need not be derived again for the
next briefing.  Each figure is kept beside the analysis object, weakly: it is dropped with the
analysis, so memory is bounded by the analyses kept, and an article analysed again is a new
object whose figures are derived anew.  Analyses are immutable (their arrays read-only), so a
figure derived from one stays right; figures are shared and must not be modified.  What
several analyses give together (a story's picks, a briefing's term space) is kept the same
way, for as long as all of them live (`derived_together`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from weakref import WeakKeyDictionary, ref

from .analysis import Analysis

T = TypeVar("T")

_kept: WeakKeyDictionary[Analysis, dict[str, Any]] = WeakKeyDictionary()
_lock = threading.Lock()
# Figures of several analyses together (`derived_together`), by name, the last `keep` of each.
_together: dict[str, OrderedDict[tuple[int, ...], tuple[tuple[ref[Analysis], ...], Any]]] = {}


def derived(analysis: Analysis, name: str, compute: Callable[[Analysis], T]) -> T:
    """`compute(analysis)`, computed on the first call for this analysis object and `name`
    and kept while the analysis lives.  Two threads may both compute it once; one result
    is kept."""
    with _lock:
        figures = _kept.get(analysis)
        if figures is not None and name in figures:
            return figures[name]
    value = compute(analysis)
    with _lock:
        return _kept.setdefault(analysis, {}).setdefault(name, value)


def derived_together(
    analyses: Sequence[Analysis],
    name: str,
    compute: Callable[[Sequence[Analysis]], T],
    *,
    keep: int,
) -> T:
    """`compute(analyses)`, kept for these analysis objects in this order and `name`: the last
    `keep` figures of each name are kept, and one is served only while all its analyses live
    (they are held weakly: keeping a figure keeps no analysis alive).  E.g. a story's picks:
    the next briefing that tells the same story from the same reports reuses them."""
    key = tuple(map(id, analyses))
    with _lock:
        figures = _together.setdefault(name, OrderedDict())
        kept = figures.get(key)
        # An id names the object only while it lives: a dead reference means another object.
        if kept is not None and all(r() is a for r, a in zip(kept[0], analyses, strict=True)):
            figures.move_to_end(key)
            return kept[1]
    value = compute(analyses)
    with _lock:
        figures[key] = (tuple(ref(a) for a in analyses), value)
        figures.move_to_end(key)
        while len(figures) > keep:
            figures.popitem(last=False)
    return value
