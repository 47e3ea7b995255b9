"""The composition root: one place that builds the core's dependencies from settings.

The CLI, the chat adapters and the tests all build a `Core` here, so they run the same code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import summarizers

from .clock import Clock, SystemClock
from .config import Settings
from .errors import BadArgument

if TYPE_CHECKING:
    from summarizers.base import Summarizer

    from .fetch import Fetcher
    from .reads import AnalysisCache, StoreReads
    from .store import Store

log = logging.getLogger(__name__)


@dataclass
class Core:
    """The store, clock, summarizers and fetcher a command needs, built on first use."""

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def analysis_cache(self) -> AnalysisCache:
        """The decoded analyses the `store` and the `reads` keep, one cache for both, so a
        digest (through the store) and a `brief` (through the reads) decode an article once."""
        from .reads import AnalysisCache

        return AnalysisCache()

    @cached_property
    def store(self) -> Store:
        """Open the store; on first use, load the shipped seed articles into it."""
        from .store import Store

        store = Store(
            self.settings.database_url,
            migrate=self.settings.auto_migrate,
            analyses=self.analysis_cache,
        )
        if self.settings.load_seeds:
            load_seeds(store, self.clock)
        return store

    @cached_property
    def reads(self) -> StoreReads:
        """What `brief`, `brief why`, `articles` and `summarize <id>` read (bot.reads): on an
        SQLite store that needs nothing done on open (current schema and analysis format,
        seeded), the stdlib read path (bot.sqlite_reads), which spares a command line
        importing SQLAlchemy and a running bot SQLAlchemy's per-statement work (about a fifth
        of a warm briefing at 100k articles, bench/scale.py); else the `store`, which
        upgrades, re-analyses or seeds first, and reads every other database."""
        from .sqlite_reads import open_reads

        reads = open_reads(
            self.settings.database_url,
            seeded=self.settings.load_seeds,
            analyses=self.analysis_cache,
        )
        if reads is not None:
            return reads
        return self.store

    @cached_property
    def fetcher(self) -> Fetcher:
        """The one guarded HTTP client (bot/fetch.py) every page and feed fetch goes through.

        `core.fetcher.close()` (safe from any thread) aborts fetches in flight, for shutdown.
        """
        from .fetch import Fetcher

        return Fetcher.from_settings(self.settings)

    def summarizer(self, name: str | None = None) -> Summarizer:
        """Build a summarizer by name (default: the configured one)."""
        try:
            return summarizers.get(name or self.settings.summarizer)
        except summarizers.UnknownSummarizer as exc:
            raise BadArgument(str(exc)) from None

    def close(self) -> None:
        """Release the database and HTTP connections."""
        reads = self.__dict__.get("reads")
        if reads is not None and reads is not self.__dict__.get("store"):
            reads.close()
        if "store" in self.__dict__:
            self.store.close()
        if "fetcher" in self.__dict__:
            self.fetcher.close()


def load_seeds(store: Store, clock: Clock) -> None:
    """Ingest the shipped seeds into a store that has never had them.

    Runs once per store: deleting the seeds later does not bring them back.
    """
    if store.get_meta("seeded") is not None:
        return
    if store.count() == 0:
        from seeds import seed_files

        from .ingest import ingest

        report = ingest(store, [str(p) for p in seed_files()], clock)
        log.info("Loaded seed articles: %s", report.summary())
    store.set_meta("seeded", "1")


def build_core(settings: Settings, clock: Clock | None = None) -> Core:
    """Build the core from settings."""
    return Core(settings=settings, clock=clock or SystemClock())
