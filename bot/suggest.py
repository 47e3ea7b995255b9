"""Suggestions for chat autocomplete: stored articles and the topics they are about.

Platform-neutral so every adapter offers the same choices; cheap enough to run on each
keystroke (a bounded index read, no text analysis).
"""

from __future__ import annotations

import re
from collections import Counter

from summarizers.text import STOP_WORDS

from .scopes import Scope
from .store import Store

_WORD = re.compile(r"[^\W\d_][\w’'-]{3,}")
RECENT = 200


def article_choices(
    store: Store, typed: str, scope: Scope, limit: int = 25
) -> list[tuple[str, str]]:
    """(label, value) pairs: articles `scope` may read whose id starts with `typed`, or
    whose words begin with the words of `typed` (`meri` finds "Meridian")."""
    typed = typed.strip()
    if typed.isascii() and typed.isdigit():
        recent = store.titles(None, limit=RECENT, scope=scope)
        found = [(i, t) for i, t in recent if str(i).startswith(typed)]
        exact = store.get(int(typed), scope=scope)
        if exact is not None and all(i != exact.id for i, _ in found):
            found.insert(0, (exact.id, exact.title))
    else:
        # Word prefixes: someone typing `meri` means "Meridian".
        found = store.titles(typed or None, limit=limit, scope=scope, prefix=True)
    return [(f"{i} · {title}", str(i)) for i, title in found[:limit]]


def topic_choices(store: Store, typed: str, scope: Scope, limit: int = 25) -> list[str]:
    """Words from the recent headlines `scope` may read, most frequent first, that start
    with what was typed."""
    prefix = typed.strip().casefold()
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for _, title in store.titles(None, limit=RECENT, scope=scope):
        for word in _WORD.findall(title):
            key = word.casefold().strip("’'-")
            if key in STOP_WORDS or not key.startswith(prefix):
                continue
            counts[key] += 1
            shown.setdefault(key, word.strip("’'-"))
    return [shown[k] for k, _ in counts.most_common(limit)]
