"""The first sentences: the classic news baseline every summarizer must beat."""

from __future__ import annotations

from .analysis import Analysis
from .base import Summarizer


class LeadSummarizer(Summarizer):
    """Take the first `count` sentences; news puts its key facts first."""

    name = "lead"

    def select(self, analysis: Analysis, count: int) -> list[int]:
        """Return the first `count` sentence indices."""
        return list(range(min(max(count, 0), len(analysis))))
