"""Figures derived from one analysis, computed once per analysis object.

A warm process reuses the analyses it decoded (`bot.store.Store.analyses` keeps them while
their stored blob is unchanged), so what a briefing derives from one article alone (its
TF-IDF sentence space, its model features, its term bag) need not be derived again for the
next briefing.  Each figure is kept beside the analysis object, weakly: it is dropped with the
analysis, so memory is bounded by the analyses kept, and an article analysed again is a new
object whose figures are derived anew.  Analyses are immutable (their arrays read-only), so a
figure derived from one stays right; figures are shared and must not be modified.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from .analysis import Analysis

T = TypeVar("T")

_kept: WeakKeyDictionary[Analysis, dict[str, Any]] = WeakKeyDictionary()
_lock = threading.Lock()


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
