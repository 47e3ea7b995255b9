"""Per-request math runs on one BLAS thread, and the caller's setting is back afterwards."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes.processes import fresh_json
from threadpoolctl import threadpool_info, threadpool_limits

from summarizers.analysis import Analysis
from summarizers.base import Summarizer
from summarizers.threads import THREAD_VARIABLES, one_blas_thread, one_thread_process


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


_PROCESS_PROBE = """
import json, os, sys
from summarizers.threads import THREAD_VARIABLES, one_thread_process
whole = one_thread_process()
import numpy as np
from threadpoolctl import threadpool_info
np.ones((2, 2)) @ np.ones((2, 2))
after = one_thread_process()  # numpy is loaded now: too late, nothing changes
print(json.dumps({
    "whole": whole,
    "after": after,
    "variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
    "blas": [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"],
}))
"""


def _probe(tmp_path, **environment: str) -> dict:
    seen = fresh_json(_PROCESS_PROBE, tmp_path, environment=environment, without=THREAD_VARIABLES)
    assert isinstance(seen, dict)
    return seen


def test_one_thread_process_sets_every_blas_to_one_thread_before_numpy_loads(tmp_path):
    seen = _probe(tmp_path)
    assert seen["whole"] is True
    assert seen["variables"] == dict.fromkeys(THREAD_VARIABLES, "1")
    if not seen["blas"]:
        pytest.skip("numpy reports no BLAS that threadpoolctl can read")
    assert set(seen["blas"]) == {1}  # numpy's BLAS, as threadpoolctl reads it


def test_an_operators_own_thread_count_is_kept_and_the_limit_stays_per_use(tmp_path):
    seen = _probe(tmp_path, OPENBLAS_NUM_THREADS="2")
    assert seen["whole"] is False
    assert seen["after"] is False
    assert seen["variables"]["OPENBLAS_NUM_THREADS"] == "2"


def test_too_late_once_numpy_is_loaded():
    # This test process imported numpy at the top of the module.
    assert one_thread_process() is False


_RUN_PROBE = """
import atexit, json, os, sys
from summarizers.threads import THREAD_VARIABLES

def report():
    print(json.dumps({name: os.environ.get(name) for name in THREAD_VARIABLES}))

atexit.register(report)
from bot.cli import run
assert "numpy" not in sys.modules  # the program's imports leave numpy for its commands
run()
"""


def test_the_briefbot_program_runs_every_blas_on_one_thread(tmp_path: Path) -> None:
    seen = fresh_json(
        _RUN_PROBE,
        tmp_path,
        "--version",
        environment={"OMP_NUM_THREADS": "3"},
        without=THREAD_VARIABLES,
    )
    assert isinstance(seen, dict)
    assert seen["OMP_NUM_THREADS"] == "3"  # the operator's own setting is kept
    assert {k: v for k, v in seen.items() if k != "OMP_NUM_THREADS"} == dict.fromkeys(
        set(THREAD_VARIABLES) - {"OMP_NUM_THREADS"}, "1"
    )
