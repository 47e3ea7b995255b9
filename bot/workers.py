"""Workers: threads that never hold up the end of the process, and the feed claims that let
several worker processes share one database (`FeedClaims`).

`concurrent.futures.ThreadPoolExecutor` joins its threads when the interpreter exits, so a
fetch stalled on a silent server would keep `briefbot run` alive after SIGTERM until its
timeout.  `DaemonPool` runs the same work on daemon threads: `shutdown(wait=False,
cancel_futures=True)` drops what has not started, and what is running is abandoned at exit.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from .store import Store, feed_claims, insert_ignore, to_iso


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


# -- feed claims: several workers on one database ------------------------------------------------

# How long a worker may hold a feed URL: far longer than one poll takes (timeouts, pages); a
# worker that dies holding one delays that feed by at most this much.
FEED_LEASE = timedelta(minutes=10)
# This process, as a claimer: host, process id and a random part (pids are reused).
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
_BATCH = 500  # URLs per statement (SQLite's bound-parameter limit is far above)
# Most feed URLs one claim leases: a pass takes this many and claims again when done, so the
# other workers share a backlog (10,000 due feeds at start) instead of one worker leasing it
# all while they idle.  A pass of 200 feeds on one host takes seconds to minutes.
CLAIM_BATCH = 200


class FeedClaims:
    """Leases on canonical feed URLs, so that any number of workers on one database fetch
    each due feed once (`bot.feeds.poll` claims before fetching, releases after).

    A claim is one transaction: claim rows are created for the URLs asked for (ON CONFLICT DO
    NOTHING), the free ones (lease ended) are selected `FOR UPDATE SKIP LOCKED` on PostgreSQL
    (rows another worker is claiming right now are skipped, not waited for; SQLite ignores
    the clause, and its `BEGIN IMMEDIATE` makes the whole claim atomic) and leased to this
    worker until `now + lease`.  Times are the caller's clock, as ISO-8601 UTC text.
    """

    def __init__(self, store: Store, worker: str = WORKER_ID) -> None:
        self.store = store
        self.worker = worker

    def claim(
        self,
        urls: Iterable[str],
        now: datetime,
        lease: timedelta = FEED_LEASE,
        limit: int | None = CLAIM_BATCH,
    ) -> set[str]:
        """Lease whichever of `urls` (canonical feed URLs) no live lease holds, at most `limit`
        of them (None: all) in their sorted order; return those."""
        wanted = sorted(set(urls))  # one order for every worker: no lock-order deadlocks
        if not wanted:
            return set()
        now_iso, until = to_iso(now), to_iso(now + lease)
        won: set[str] = set()
        with self.store.transaction() as conn:
            for start in range(0, len(wanted), _BATCH):
                if limit is not None and len(won) >= limit:
                    break
                batch = wanted[start : start + _BATCH]
                insert_ignore(
                    conn,
                    feed_claims,
                    [{"canonical_url": u, "claimed_by": None, "claimed_until": ""} for u in batch],
                )
                free = (
                    conn.execute(
                        select(feed_claims.c.canonical_url)
                        .where(
                            feed_claims.c.canonical_url.in_(batch),
                            feed_claims.c.claimed_until <= now_iso,
                        )
                        .order_by(feed_claims.c.canonical_url)
                        .limit(None if limit is None else limit - len(won))
                        .with_for_update(skip_locked=True)
                    )
                    .scalars()
                    .all()
                )
                if free:
                    conn.execute(
                        feed_claims.update()
                        .where(feed_claims.c.canonical_url.in_(free))
                        .values(claimed_by=self.worker, claimed_until=until)
                    )
                won.update(free)
        return won

    def release(self, url: str, now: datetime) -> bool:
        """End this worker's lease on `url` at `now`; False if it was no longer ours (it ran
        out and another worker took the URL over)."""
        with self.store.transaction() as conn:
            done = conn.execute(
                feed_claims.update()
                .where(feed_claims.c.canonical_url == url, feed_claims.c.claimed_by == self.worker)
                .values(claimed_until=to_iso(now))
            )
        return done.rowcount == 1

    def leased(self, now: datetime) -> dict[str, datetime]:
        """Canonical URLs other workers hold a live lease on at `now` -> when it runs out."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(feed_claims.c.canonical_url, feed_claims.c.claimed_until).where(
                    feed_claims.c.claimed_until > to_iso(now),
                    feed_claims.c.claimed_by != self.worker,
                )
            ).all()
        return {r.canonical_url: datetime.fromisoformat(r.claimed_until) for r in rows}

    def holders(self) -> dict[str, tuple[str | None, str]]:
        """Every claim row: canonical URL -> (worker, lease end) (for tests and operators)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(feed_claims)).all()
        return {r.canonical_url: (r.claimed_by, r.claimed_until) for r in rows}
