"""Shared fixtures: a controllable clock, settings on a fresh database, a core.

`database_url` is an SQLite file in tmp_path; the store, ledger, feeds, digests and adapter
suites (`BOTH_DATABASES`) run a second time on PostgreSQL when BRIEFBOT_TEST_DATABASE_URL names
a server (each test in a schema of its own, dropped after it).  A test that opens the SQLite
file itself (it asks for `db_path`) runs on SQLite only.

Builders for article text, pages and feeds live in `fakes` and are re-exported here; the
loopback web server fixture `web` comes from `fakes.web`.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import tempfile
import uuid
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

# Caches (the language model's, summarizers.languages.model_cache_path) go to a folder of this
# session's, never the user's ~/.cache; subprocesses of the tests inherit it.
_CACHE = tempfile.TemporaryDirectory(prefix="briefbot-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE.name


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


# A PostgreSQL server for the second run, e.g. postgresql://postgres@127.0.0.1:5432/test
# (.ci/run sets it when one answers); unset, every test runs on SQLite only.
TEST_DATABASE_URL = os.environ.get("BRIEFBOT_TEST_DATABASE_URL", "").strip()
# Suites that run on both databases (paths relative to tests/).
BOTH_DATABASES = (
    "bot/test_store.py",
    "bot/test_digests.py",
    "bot/test_feeds.py",
    "bot/test_feed_moves.py",
    "bot/test_tenancy.py",
    "bot/test_outlets.py",
    "bot/test_database.py",
    "bot/test_claims.py",
    "adapters/",
)
TESTS = Path(__file__).resolve().parent


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run a test of a `BOTH_DATABASES` suite on PostgreSQL too, unless it reads the SQLite
    file itself (asks for `db_path`)."""
    if not TEST_DATABASE_URL or "database_url" not in metafunc.fixturenames:
        return
    where = Path(metafunc.definition.fspath).resolve().relative_to(TESTS).as_posix()
    if not any(where.startswith(suite) for suite in BOTH_DATABASES):
        return
    if "db_path" in inspect.signature(metafunc.function).parameters:
        return
    metafunc.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, db_path: Path) -> Iterator[str]:
    """An empty database's SQLAlchemy URL: the SQLite file `db_path`, or (parameter
    "postgresql") a fresh schema on BRIEFBOT_TEST_DATABASE_URL's server, dropped after."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    from bot.config import database_url as with_driver

    server = make_url(with_driver(TEST_DATABASE_URL))
    schema = f"briefbot_test_{uuid.uuid4().hex[:12]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        yield server.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            # End sessions a test left behind (a killed worker's), then drop the schema.
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND query LIKE %s",
                (f"%{schema}%",),
            )
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings on a fresh SQLite file; the seeds load on first use, as in production.

    The fetch guard is opened for 127.0.0.1 only, where the loopback `web` server listens;
    tests of the guard itself use `dataclasses.replace(settings, fetch_allow=())`.
    """
    return Settings(
        database_url=database_url,
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
