"""DaemonPool: the Executor interface on daemon threads that a stop never waits for."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from bot.workers import DaemonPool


def test_results_and_errors_come_back_through_futures() -> None:
    pool = DaemonPool(max_workers=2)
    try:
        assert list(pool.map(lambda x: x * 2, range(5))) == [0, 2, 4, 6, 8]
        with pytest.raises(ZeroDivisionError):
            pool.submit(lambda: 1 / 0).result(timeout=30)
    finally:
        pool.shutdown()


def test_shutdown_without_wait_abandons_running_work_and_cancels_the_rest() -> None:
    release = threading.Event()
    started = threading.Event()
    pool = DaemonPool(max_workers=1)

    def stalled() -> str:
        started.set()
        release.wait()
        return "late"

    running = pool.submit(stalled)
    queued = pool.submit(lambda: "never")
    assert started.wait(30)
    pool.shutdown(wait=False, cancel_futures=True)  # returns with `stalled` still running
    assert not running.done()
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("briefbot-worker"))
    with pytest.raises(CancelledError):
        queued.result(timeout=30)
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)
    release.set()
    assert running.result(timeout=30) == "late"
