"""Worker threads that never hold up the end of the process.

`concurrent.futures.ThreadPoolExecutor` joins its threads when the interpreter exits, so a
fetch stalled on a silent server would keep `briefbot run` alive after SIGTERM until its
timeout.  `DaemonPool` runs the same work on daemon threads: `shutdown(wait=False,
cancel_futures=True)` drops what has not started, and what is running is abandoned at exit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class DaemonPool(ThreadPoolExecutor):
    """A thread pool of at most `max_workers` daemon threads (the `Executor` interface).

    It subclasses `ThreadPoolExecutor` only because `loop.set_default_executor` insists on
    that type (Python 3.11); `submit` and `shutdown` are its own, so none of the parent's
    non-daemon threads or exit-time joins are ever used.
    """

    def __init__(self, max_workers: int = 8, name: str = "briefbot-worker") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        super().__init__(max_workers=max_workers, thread_name_prefix=name)  # starts no thread
        self._max = max_workers
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple, dict] | None]
        self._queue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue `fn(*args, **kwargs)`; raises RuntimeError after `shutdown`."""
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[Any] = Future()
            self._queue.put((future, fn, args, kwargs))
            if not self._idle.acquire(blocking=False) and len(self._threads) < self._max:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)
            return future

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            future, fn, args, kwargs = item
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to whoever waits on the future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            del item, future, fn, args, kwargs
            self._idle.release()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop taking work; with `cancel_futures`, cancel what has not started.

        With `wait`, block until running work ends; without, return at once (the threads are
        daemons, so they never delay the end of the process).
        """
        with self._lock:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            for _ in self._threads:
                self._queue.put(None)
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()
