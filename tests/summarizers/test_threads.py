"""Per-request math runs on one BLAS thread, and the caller's setting is back afterwards."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from summarizers.analysis import Analysis
from summarizers.base import Summarizer
from summarizers.threads import one_blas_thread


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    np.ones((2, 2)) @ np.ones((2, 2))  # numpy's BLAS is loaded
    if not blas_threads():
        pytest.skip("numpy reports no BLAS that threadpoolctl can limit")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_one_blas_thread_inside_and_the_previous_count_after(two_blas_threads):
    before = blas_threads()
    with one_blas_thread():
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


class _Recording(Summarizer):
    name = "recording"

    def __init__(self) -> None:
        self.seen: list[int] = []

    def select(self, analysis: Analysis, count: int) -> list[int]:
        self.seen.extend(blas_threads())
        return list(range(min(count, len(analysis))))


def test_summarize_and_summarize_many_run_on_one_blas_thread(two_blas_threads):
    summarizer = _Recording()
    assert summarizer.summarize("Talks resumed on Monday. Both sides agreed.", 1)
    assert summarizer.summarize_many(["Talks resumed.", "Both sides agreed."], 1)
    assert summarizer.seen
    assert set(summarizer.seen) == {1}
    assert set(blas_threads()) == {2}
