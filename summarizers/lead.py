"""The first sentences: the classic news baseline every summarizer must beat."""

from __future__ import annotations

from collections.abc import Sequence

from .analysis import Analysis
from .base import Summarizer


class LeadSummarizer(Summarizer):
    """Take the first `count` sentences; news puts its key facts first."""

    name = "lead"

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Return the first `count` sentence indices."""
        return list(range(min(max(count, 0), len(analysis))))

    def select_many(self, analyses: Sequence[Analysis], count: int) -> list[tuple[int, int]]:
        """Take each report's first sentence in turn, then each one's second, and so on."""
        picked: list[tuple[int, int]] = []
        depth = 0
        while len(picked) < count and any(depth < len(a) for a in analyses):
            for doc, analysis in enumerate(analyses):
                if depth < len(analysis) and len(picked) < count:
                    picked.append((doc, depth))
            depth += 1
        return picked
