"""Chat platforms.  Each adapter module (`adapters.slack`, `adapters.discord`) offers:

- `check_settings(settings)`: raise `BadArgument` naming what is missing;
- `serve(core, settings, *, host, scheduler, stop)`: run until `stop` is set, registering the
  platform's digest poster with the scheduler;
- `digest_poster(settings)`: post digests through the platform's web API without a gateway
  connection (for `briefbot digest run-due`).

`run` starts any set of them in one process, with one digest scheduler and one feed poller
for all.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from datetime import datetime
from types import ModuleType

from bot.app import Core
from bot.config import PLATFORMS, Settings
from bot.digests import DigestPoster, Outcome, Scheduler
from bot.feeds import Poller


def adapter(platform: str) -> ModuleType:
    """Import one adapter by name (the core never imports platform libraries itself)."""
    return importlib.import_module(f"adapters.{platform}")


def run(core: Core, settings: Settings, platforms: list[str], host: str = "0.0.0.0") -> None:
    """Run the given platforms and the digest scheduler until interrupted."""
    modules = [adapter(p) for p in platforms]
    for module in modules:
        module.check_settings(settings)
    core.store  # open the store and load seeds before the first command  # noqa: B018
    asyncio.run(_serve_all(core, settings, modules, host))


async def _serve_all(core: Core, settings: Settings, modules: list[ModuleType], host: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no handlers
            loop.add_signal_handler(sig, stop.set)
    posters: dict[str, DigestPoster] = {}
    scheduler = Scheduler(core, posters)
    tasks = [
        asyncio.create_task(m.serve(core, settings, host=host, scheduler=scheduler, stop=stop))
        for m in modules
    ]
    ticker = asyncio.create_task(scheduler.run())
    poller = asyncio.create_task(Poller(core).run())
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({*tasks, waiter}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    ticker.cancel()
    poller.cancel()
    await asyncio.gather(*tasks, ticker, poller, waiter, return_exceptions=True)
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
