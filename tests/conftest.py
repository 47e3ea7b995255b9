"""Shared fixtures: a controllable clock, settings on a SQLite file in tmp_path, a core.

Builders for article text, pages and feeds live in `fakes` and are re-exported here; the
loopback web server fixture `web` comes from `fakes.web`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import (
    FeedEntry,
    make_article_html,
    make_article_text,
    make_atom,
    make_rss,
    story_html,
    story_text,
)
from fakes.web import WebServer, web

from bot.app import Core, build_core
from bot.config import Settings

__all__ = [
    "FakeClock",
    "FeedEntry",
    "WebServer",
    "make_article_html",
    "make_article_text",
    "make_atom",
    "make_rss",
    "story_html",
    "story_text",
    "web",
]

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "briefbot.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    """Settings on a fresh SQLite file; the seeds load on first use, as in production.

    The fetch guard is opened for 127.0.0.1 only, where the loopback `web` server listens;
    tests of the guard itself use `dataclasses.replace(settings, fetch_allow=())`.
    """
    return Settings(
        database_url=f"sqlite:///{db_path}",
        load_seeds=True,
        http_timeout=10.0,
        fetch_allow=("127.0.0.1",),
    )


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    built = build_core(settings, clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def bare_core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    """A core whose store starts empty (no seeds)."""
    built = build_core(dataclasses.replace(settings, load_seeds=False), clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback requests must never be routed through a proxy from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
