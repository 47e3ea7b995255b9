"""A briefing's math runs on one BLAS thread, whatever the process had set."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from bot.app import Core
from bot.briefing import compose_briefing
from bot.scopes import OPERATOR
from summarizers.analysis import Analysis
from summarizers.news import NewsSummarizer


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


class _Watching(NewsSummarizer):
    """The real `news` summarizer, noting the BLAS thread count each time it picks."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def select_many(self, analyses: list[Analysis], count: int) -> list[tuple[int, int]]:
        self.seen.extend(blas_threads())
        return super().select_many(analyses, count)


def test_a_briefing_runs_on_one_blas_thread_and_restores_the_count(core: Core) -> None:
    np.ones((2, 2)) @ np.ones((2, 2))
    if not blas_threads():
        pytest.skip("numpy reports no BLAS that threadpoolctl can limit")
    summarizer = _Watching()
    with threadpool_limits(limits=2, user_api="blas"):
        briefing = compose_briefing(core.store, summarizer, core.clock, scope=OPERATOR)
        assert set(blas_threads()) == {2}
    assert briefing.bullets
    assert summarizer.seen
    assert set(summarizer.seen) == {1}
