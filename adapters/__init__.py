"""Chat platforms.  Each adapter module (`adapters.slack`, `adapters.discord`) offers:

- `check_settings(settings)`: raise `BadArgument` naming what is missing;
- `serve(core, settings, *, host, scheduler, stop)`: run until `stop` is set, registering the
  platform's digest poster with the scheduler;
- `digest_poster(settings)`: post digests through the platform's web API without a gateway
  connection (for `briefbot digest run-due`);
- `verify_poster(settings, poster)`: ask the platform whether that poster's token works, and
  raise `BadArgument` (one line naming the setting, never the token) if not, so `briefbot
  run worker` stops at start rather than failing each digest later.

`run` starts any set of them in one process, with one digest scheduler and one feed poller
for all, and stops them all within seconds on SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from types import ModuleType
from typing import Any

from bot.app import Core
from bot.config import PLATFORMS, Settings
from bot.digests import DigestPoster, Outcome, Scheduler
from bot.errors import BadArgument
from bot.feeds import Poller
from bot.fetch import hide_credentials
from bot.workers import DaemonPool


def adapter(platform: str) -> ModuleType:
    """Import one adapter by name (the core never imports platform libraries itself)."""
    return importlib.import_module(f"adapters.{platform}")


def refuse_credentials_in(setting: str, url: str) -> None:
    """Raise `BadArgument` naming `setting` if the API address `url` carries a user name or
    password (`https://user:pass@host/api`): the chat token is sent as the Authorization
    header, which aiohttp will not combine with credentials in the address (its ValueError).
    The address is shown masked (`fetch.hide_credentials`)."""
    if hide_credentials(url) != url:
        raise BadArgument(
            f"{setting} ({hide_credentials(url)}) has a user name or password in it: the "
            f"token is sent as the Authorization header, so remove them from {setting}."
        )


def not_the_api(platform: str, setting: str, url: str, status: int | None, kind: str) -> str:
    """One line for an API address that answered something other than the platform's JSON
    (a captive portal, a proxy, a mistyped URL): "Slack at http://host/api did not answer as
    Slack (HTTP 200, text/html): check SLACK_API_URL." `status` is the HTTP status (None if
    unknown), `kind` the answer's content type; the address is shown masked."""
    code = f"HTTP {status}" if status is not None else "HTTP status unknown"
    return (
        f"{platform} at {hide_credentials(url)} did not answer as {platform} "
        f"({code}, {kind or 'no content type'}): check {setting}."
    )


def unreachable(platform: str, setting: str, url: str, exc: BaseException) -> str:
    """One line for an API address that did not answer at all: "Cannot reach Slack at
    http://host/api (ClientConnectorError): check your network or SLACK_API_URL."  The
    address is shown masked."""
    return (
        f"Cannot reach {platform} at {hide_credentials(url)} ({type(exc).__name__}): "
        f"check your network or {setting}."
    )


# After a stop is asked for, how long the platforms get to close their connections before
# their tasks are cancelled; everything else is cancelled at once.
CLOSE_GRACE_SECONDS = 3.0


class _Stopped(Exception):
    """SIGTERM arrived before the event loop took over the signal."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped


def run(core: Core, settings: Settings, platforms: list[str], host: str = "0.0.0.0") -> None:
    """Run the given platforms, the digest scheduler and the feed poller until stopped.

    SIGTERM or SIGINT (Ctrl-C) stops everything within a few seconds, even while fetches,
    polls or digests are in flight: tasks are cancelled, worker threads are daemons nobody
    waits for (`bot.workers.DaemonPool`), and the fetcher is closed.  A requested stop
    returns normally; raises `BadArgument` (one line) for settings a platform refuses.
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stopped) if in_main else None
    try:
        modules = [adapter(p) for p in platforms]
        for module in modules:
            module.check_settings(settings)
        core.store  # open the store and load seeds before the first command  # noqa: B018
        core.reads  # and its reads, once, before handler threads may race to  # noqa: B018
        _run_loop(_serve_all(core, settings, modules, host))
    except (_Stopped, KeyboardInterrupt):
        return  # stopped before the loop took over the signals: a requested stop
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


def _run_loop(main: Coroutine[Any, Any, None]) -> None:
    """`asyncio.run`, minus its wait for the default executor's threads at the end."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pool = DaemonPool(max_workers=min(32, (os.cpu_count() or 1) + 4), name="briefbot-thread")
    loop.set_default_executor(pool)
    try:
        loop.run_until_complete(main)
    finally:
        try:
            loop.run_until_complete(_cancel_leftovers())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            asyncio.set_event_loop(None)
            loop.close()


async def _cancel_leftovers() -> None:
    leftovers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)


def run_worker(core: Core, settings: Settings) -> None:
    """`briefbot run worker`: feed polls and scheduled digests only, no chat connection, until
    SIGTERM or Ctrl-C.  Digests are posted through the web API of each platform whose token
    is set (`digest_poster`); with none set it only polls.  Any number of workers (and
    `briefbot run` front ends) may share one database: feeds are claimed with a lease
    (`bot.workers.FeedClaims`) and each digest is claimed in the ledger (`bot.ledger`).

    Each platform's token is checked first (`verify_poster`): one it refuses raises
    `BadArgument` naming the setting, before anything is polled or posted."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _raise_stopped) if in_main else None
    try:
        core.store  # open (and migrate) the store before the first pass  # noqa: B018
        core.reads  # and its reads, once, before the pool's threads may race to  # noqa: B018
        posters = {
            p: adapter(p).digest_poster(settings)
            for p in PLATFORMS
            if adapter(p).configured(settings)
        }
        _run_loop(_serve_all(core, settings, [], "", posters, lambda: _ready(settings, posters)))
    except (_Stopped, KeyboardInterrupt):
        return
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


async def _ready(settings: Settings, posters: dict[str, DigestPoster]) -> None:
    """The worker's start: check each poster's token (`verify_poster`), then say so."""
    for platform, poster in posters.items():
        await adapter(platform).verify_poster(settings, poster)
    logging.getLogger(__name__).info(
        "Worker started: feed polls, digests posted via %s",
        ", ".join(posters) or "no platform (no token set)",
    )


async def _until_stopped(work: Awaitable[None], stop: asyncio.Event) -> bool:
    """Await `work` unless a stop comes first (then cancel it); whether it finished.  Raises
    what `work` raised."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return False
    task.result()
    return True


async def _serve_all(
    core: Core,
    settings: Settings,
    modules: list[ModuleType],
    host: str,
    posters: dict[str, DigestPoster] | None = None,
    ready: Callable[[], Awaitable[None]] | None = None,
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no handlers
            loop.add_signal_handler(sig, stop.set)
    # What must succeed before serving (the worker's token checks), once a stop is heard.
    if ready is not None and not await _until_stopped(ready(), stop):
        return
    posters = {} if posters is None else posters
    health = None
    if settings.metrics_port is not None:
        from bot.health import HealthServer

        health = HealthServer(core.store, settings.metrics_port, host or "0.0.0.0").start()
    scheduler = Scheduler(core, posters)
    tasks = [
        asyncio.create_task(m.serve(core, settings, host=host, scheduler=scheduler, stop=stop))
        for m in modules
    ]
    ticker = asyncio.create_task(scheduler.run())
    # What the feeds bring in wakes the scheduler, which posts live feeds' new articles.
    poller = asyncio.create_task(Poller(core, after_pass=scheduler.poke).run())
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({*tasks, waiter}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    ticker.cancel()
    poller.cancel()
    # In-flight fetches end now rather than at their timeout (their threads are abandoned).
    core.close()
    # The platforms close their connections; whatever has not finished by then is cancelled.
    _, pending = await asyncio.wait({*tasks, ticker, poller, waiter}, timeout=CLOSE_GRACE_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, ticker, poller, waiter, return_exceptions=True)
    if health is not None:
        health.stop()
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def run_due_once(
    core: Core, settings: Settings, now: datetime | None = None
) -> list[Outcome]:
    """One digest pass, posting through each configured platform's web API."""
    from bot.digests import run_due

    posters: dict[str, DigestPoster] = {}
    closers = []
    for platform in PLATFORMS:
        module = adapter(platform)
        if module.configured(settings):
            poster = module.digest_poster(settings)
            posters[platform] = poster
            closers.append(poster)
    try:
        return await run_due(core, posters, now=now)
    finally:
        for poster in closers:
            close = getattr(poster, "close", None)
            if close is not None:
                await close()
