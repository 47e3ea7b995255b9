"""The reads of `brief`, `brief why`, `articles` and `summarize <id>` on an up-to-date SQLite
store, through the stdlib `sqlite3` module: the same SQL `bot.store.Store` builds with
SQLAlchemy, without importing SQLAlchemy (~0.4 s, four times a cold `briefbot --help`).

`open_reads` opens one only when the store needs nothing `Store` would do on open: the file
exists, and its legacy steps, Alembic revision and analysis format are this briefbot's own
(`bot.schema`), and (when seeds are loaded) it has had its seeds.  Otherwise it answers None and
the caller opens the `Store`, which upgrades, re-analyses or seeds as ever.  PostgreSQL always
goes through the `Store`.  The SQL here mirrors `Store.search` (`_newest_rows`, `_matching`,
`_fts_newest`), `copies_of`, `analyses`, `get`, `count` and the channel briefing's read and
write; tests/bot/test_sqlite_reads.py runs both over the same stores and compares.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import database_url
from .filters import TopicFilter, as_filter, cjk_terms, fts_queries
from .models import Article, Source
from .reads import (
    ARTICLE_COLUMNS,
    ARTICLE_COLUMNS_NO_TEXT,
    AnalysisCache,
    article_from_row,
    copies_from_rows,
    decode_analyses,
    to_iso,
)
from .schema import (
    CURRENT_QUERY,
    FTS_ID_BITS,
    FTS_ID_MASK,
    FTS_LOOKAHEAD,
    IN_CHUNK,
    MAX_ROW_ID,
    SAVE_CHANNEL_BRIEFING,
    SQLITE_PRAGMAS,
    is_current,
)
from .scopes import OPERATOR, Scope

if TYPE_CHECKING:
    from summarizers.analysis import Analysis

_WHEN = "coalesce(articles.published_at, articles.ingested_at)"
# The columns a search or a read by id selects (bot.reads.ARTICLE_COLUMNS).
_SEARCHED = ", ".join(f"articles.{name}" for name in ARTICLE_COLUMNS)
_SEARCHED_NO_TEXT = ", ".join(f"articles.{name}" for name in ARTICLE_COLUMNS_NO_TEXT)
_SQLITE_PREFIX = "sqlite:///"


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL; None for anything else (PostgreSQL, memory,
    URL parameters or escapes), which the `Store` reads instead."""
    url = database_url(url)
    if not url.startswith(_SQLITE_PREFIX):
        return None
    path = url[len(_SQLITE_PREFIX) :]
    if not path or path == ":memory:" or any(c in path for c in "?%#"):
        return None
    return Path(path)


def open_reads(
    url: str, *, seeded: bool = False, analyses: AnalysisCache | None = None
) -> SqliteReads | None:
    """Reads of the SQLite store at `url` through `sqlite3`, if it is current (see the module
    docstring); None when the `Store` must open it instead (not SQLite, missing, behind or
    ahead, not yet seeded when `seeded`, unreadable).  Never raises for a bad store: the
    `Store` says what is wrong with it.  `analyses`: as `SqliteReads`'."""
    path = sqlite_path(url)
    if path is None or not path.is_file():
        return None
    reads = SqliteReads(path, analyses)
    try:
        with reads._connection() as conn:
            current = is_current(conn.execute(CURRENT_QUERY).fetchone())
            if current and seeded:
                current = (
                    conn.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone() is not None
                )
    except sqlite3.Error:
        current = False
    if not current:
        reads.close()
        return None
    return reads


class SqliteReads:
    """`bot.reads.StoreReads` over an up-to-date SQLite store, with `sqlite3` (build it with
    `open_reads`).  Each thread reads on its own connection; safe to share between threads."""

    def __init__(self, path: Path, analyses: AnalysisCache | None = None) -> None:
        """Read the SQLite file at `path` (opened on first use), keeping decoded analyses in
        `analyses` (shared with the `Store` of the same file; default: its own)."""
        self.path = path
        self._local = threading.local()  # this thread's connection, and its open `reading`
        # Each open connection and how many blocks use it now: `close` closes the idle ones,
        # a connection in use is closed by its own thread when its last block ends.
        self._users: dict[sqlite3.Connection, int] = {}
        self._closed = False
        self._lock = threading.Lock()
        self._analysis_cache = analyses if analyses is not None else AnalysisCache()

    def _open(self) -> sqlite3.Connection:
        # As `bot.store._engine_for`: we issue BEGIN ourselves, WAL, wait rather than fail.
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        for pragma in SQLITE_PRAGMAS:
            conn.execute(pragma)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (opened once; again after `close`, then closed after use)."""
        conn = getattr(self._local, "conn", None)
        with self._lock:
            known = conn is not None and conn in self._users
        if not known:
            conn = self._open()
            self._local.conn = conn
        with self._lock:
            self._users[conn] = self._users.get(conn, 0) + 1
        try:
            yield conn
        finally:
            with self._lock:
                self._users[conn] -= 1
                last = self._closed and self._users[conn] == 0
                if last:
                    del self._users[conn]
            if last:
                conn.close()

    def close(self) -> None:
        """Close every connection: the idle ones now, each one in use when its thread's block
        ends (so a reply still being composed on another thread is never cut off under it).
        A thread reading afterwards opens a connection for that read alone."""
        with self._lock:
            self._closed = True
            idle = [conn for conn, users in self._users.items() if users == 0]
            for conn in idle:
                del self._users[conn]
        for conn in idle:
            conn.close()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the reads of a block (this thread's) in one transaction: one snapshot of the
        store, as `Store.reading`.  Nested, the open one serves."""
        if getattr(self._local, "reading", False):
            yield
            return
        with self._connection() as conn:
            conn.execute("BEGIN")
            self._local.reading = True
            try:
                yield
            finally:
                self._local.reading = False
                conn.execute("COMMIT")  # nothing was written: ends the snapshot

    # -- articles ---------------------------------------------------------------------------

    def search(
        self,
        query: str | TopicFilter | None = None,
        since: datetime | None = None,
        limit: int = 50,
        *,
        scope: Scope,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
        with_text: bool = True,
    ) -> list[Article]:
        """`Store.search`: the newest articles `scope` may read matching a topic query,
        newest first (publication time, else first-seen time; then id)."""
        columns = (_SEARCHED if with_text else _SEARCHED_NO_TEXT) + f", {_WHEN} AS when_"
        where, values = _filtered(scope, since, stored_after, stored_until)
        topic = as_filter(query)
        langs = self.languages() if topic else frozenset()
        queries = fts_queries(topic, langs=langs) if topic is not None and topic.words else None
        must = queries[0] if queries is not None and langs else None
        with self._connection() as conn:
            if topic is not None and must:
                more, more_values = _matching(topic, queries, must=False)
                rows = _fts_newest(conn, columns, where + more, values + more_values, must, limit)
            else:
                if topic is not None:
                    more, more_values = _matching(topic, queries, must=True)
                    where, values = where + more, values + more_values
                sql = f"SELECT {columns} FROM articles{_where(where)} "
                sql += f"ORDER BY {_WHEN} DESC, articles.id DESC LIMIT ?"
                rows = conn.execute(sql, [*values, limit]).fetchall()
        return [article_from_row(r, with_text=with_text) for r in rows]

    def languages(self) -> frozenset[str]:
        """`Store.languages`: the languages of the stored articles, read each time from the
        few rows of `article_languages` (kept by triggers, whoever stores), so an article
        another process (or this one's `Store`) stores is searched in its language at once."""
        with self._connection() as conn:
            return frozenset(row[0] for row in conn.execute("SELECT lang FROM article_languages"))

    def get(self, article_id: int, *, scope: Scope) -> Article | None:
        """`Store.get`: the article with this id if `scope` may read it, else None."""
        if not 0 < article_id <= MAX_ROW_ID:
            return None
        where, values = _filtered(scope, None, None, None)
        sql = f"SELECT {_SEARCHED} FROM articles{_where(['articles.id = ?', *where])}"
        with self._connection() as conn:
            row = conn.execute(sql, [article_id, *values]).fetchone()
        return article_from_row(row, with_text=True) if row else None

    def get_many(self, ids: Iterable[int], *, scope: Scope) -> dict[int, Article]:
        """`Store.get_many`: id → article for the ids `scope` may read, a query a chunk."""
        wanted = [i for i in dict.fromkeys(ids) if 0 < i <= MAX_ROW_ID]
        where, values = _filtered(scope, None, None, None)
        found: dict[int, Article] = {}
        with self._connection() as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[start : start + IN_CHUNK]
                ids_in = f"articles.id IN ({_marks(chunk)})"
                sql = f"SELECT {_SEARCHED} FROM articles{_where([ids_in, *where])}"
                for row in conn.execute(sql, [*chunk, *values]):
                    article = article_from_row(row, with_text=True)
                    found[article.id] = article
        return found

    def count(self, scope: Scope = OPERATOR) -> int:
        """`Store.count`: how many articles `scope` may read."""
        where, values = _filtered(scope, None, None, None)
        with self._connection() as conn:
            sql = f"SELECT count(*) FROM articles{_where(where)}"
            return int(conn.execute(sql, values).fetchone()[0])

    def copies_of(self, ids: Iterable[int], *, scope: Scope) -> dict[int, tuple[Source, ...]]:
        """`Store.copies_of`: other outlets' copies of each article that `scope` may see."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        sql = (
            "SELECT article_id, outlet_key, title, url, outlet FROM article_copies "
            f"WHERE article_id IN ({_marks(wanted)})"
        )
        values: list[Any] = list(wanted)
        if scope.visible is not None:
            sql += f" AND scope IN ({_marks(scope.visible)})"
            values += scope.visible
        sql += " ORDER BY article_id, seen_at"
        with self._connection() as conn:
            return copies_from_rows(conn.execute(sql, values))

    def analyses(self, ids: Iterable[int]) -> dict[int, Analysis]:
        """`Store.analyses`: the stored analysis of each article found (decoded ones kept)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with self._connection() as conn:
            blobs = conn.execute(
                f"SELECT id, analysis FROM articles WHERE id IN ({_marks(wanted)})", wanted
            ).fetchall()

            def texts(missing: list[int]) -> list[tuple[int, str, str, str]]:
                sql = f"SELECT id, text, title, lang FROM articles WHERE id IN ({_marks(missing)})"
                return conn.execute(sql, missing).fetchall()

            return decode_analyses(self._analysis_cache, blobs, texts)

    def forget_analyses(self) -> None:
        """`Store.forget_analyses`: drop the decoded analyses kept (bench/scale.py)."""
        self._analysis_cache.clear()

    # -- a channel's last briefing -----------------------------------------------------------

    def channel_briefing(self, platform: str, workspace: str, channel: str) -> str | None:
        """`Store.channel_briefing`: this channel's last briefing (JSON text), or None."""
        sql = (
            "SELECT briefing FROM channel_briefings "
            "WHERE platform = ? AND workspace = ? AND channel = ?"
        )
        with self._connection() as conn:
            row = conn.execute(sql, (platform, workspace, channel)).fetchone()
        return row[0] if row else None

    def save_channel_briefing(
        self, platform: str, workspace: str, channel: str, briefing: str, made_at: datetime
    ) -> None:
        """`Store.save_channel_briefing`: keep `briefing` as this channel's last, replacing
        any, in one statement (bot.schema.SAVE_CHANNEL_BRIEFING): on this thread's
        connection, or inside a `reading` block on a connection of its own, so it never meets
        the block's snapshot."""
        if getattr(self._local, "reading", False):
            conn = self._open()
            try:
                self._save_briefing(conn, platform, workspace, channel, briefing, made_at)
            finally:
                conn.close()
            return
        with self._connection() as conn:
            self._save_briefing(conn, platform, workspace, channel, briefing, made_at)

    @staticmethod
    def _save_briefing(
        conn: sqlite3.Connection,
        platform: str,
        workspace: str,
        channel: str,
        briefing: str,
        made_at: datetime,
    ) -> None:
        """One statement on `conn` (autocommit: a transaction of its own)."""
        values = {"platform": platform, "workspace": workspace, "channel": channel}
        values.update(briefing=briefing, made_at=to_iso(made_at))
        conn.execute(SAVE_CHANNEL_BRIEFING, values)


# -- the SQL of `bot.store`'s search ----------------------------------------------------------


def _marks(values: Iterable[Any]) -> str:
    return ", ".join("?" for _ in values)


def _where(conditions: list[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def _filtered(
    scope: Scope,
    since: datetime | None,
    stored_after: datetime | None,
    stored_until: datetime | None,
) -> tuple[list[str], list[Any]]:
    """`Store._filtered` (and `store._visible_to`): conditions on `articles` and their values."""
    where: list[str] = []
    values: list[Any] = []
    visible = scope.visible
    if visible is not None:
        where.append(
            "EXISTS (SELECT * FROM article_scopes WHERE article_scopes.article_id = articles.id "
            f"AND article_scopes.scope IN ({_marks(visible)}))"
        )
        values += visible
    if since is not None:
        where.append(f"{_WHEN} >= ?")
        values.append(to_iso(since))
    if stored_after is not None:
        where.append("articles.ingested_at > ?")
        values.append(to_iso(stored_after))
    if stored_until is not None:
        where.append("articles.ingested_at <= ?")
        values.append(to_iso(stored_until))
    return where, values


def _autoescaped(text: str) -> str:
    """A LIKE pattern's literal part, as SQLAlchemy's `contains(autoescape=True)` escapes it
    (with '/')."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _matching(
    topic: TopicFilter, queries: tuple[str | None, str | None] | None, *, must: bool
) -> tuple[list[str], list[Any]]:
    """`bot.store._matching` on SQLite (no prefix search): conditions on `articles` for a
    topic filter, and their values; `queries` is `fts_queries` of the topic (None when it has
    no words); `must=False` leaves out what must match (the caller walks the full-text index
    with it)."""
    where: list[str] = []
    values: list[Any] = []
    if topic.words and queries is not None:
        wanted, must_not = queries
        cjk_groups, cjk_excluded = cjk_terms(topic)

        def contains(words: tuple[str, ...]) -> str:
            for w in words:
                values.extend((w, w))
            return " AND ".join(
                "((articles.title LIKE '%' || ? || '%') OR (articles.text LIKE '%' || ? || '%'))"
                for _ in words
            )

        for group in cjk_groups:
            where.append("(" + " OR ".join(f"({contains(t.words)})" for t in group) + ")")
        for term in cjk_excluded:
            where.append(f"NOT ({contains(term.words)})")
        fts = f"SELECT rowid & {FTS_ID_MASK} AS rowid FROM articles_fts WHERE articles_fts MATCH ?"
        if must and wanted:
            where.append(f"articles.id IN ({fts})")
            values.append(wanted)
        if must_not:
            where.append(f"articles.id NOT IN ({fts})")
            values.append(must_not)
    outlet = "lower(coalesce(articles.outlet, ''))"
    if topic.outlets:
        where.append(
            "("
            + " OR ".join(f"{outlet} LIKE '%' || ? || '%' ESCAPE '/'" for _ in topic.outlets)
            + ")"
        )
        values += [_autoescaped(o) for o in topic.outlets]
    for name in topic.excluded_outlets:
        where.append(f"{outlet} NOT LIKE '%' || ? || '%' ESCAPE '/'")
        values.append(_autoescaped(name))
    if topic.feeds:
        where.append(
            "EXISTS (SELECT * FROM article_feeds WHERE article_feeds.article_id = articles.id "
            f"AND article_feeds.feed_url IN ({_marks(topic.feeds)}))"
        )
        values += topic.feeds
    return where, values


def _fts_newest(
    conn: sqlite3.Connection,
    columns: str,
    where: list[str],
    values: list[Any],
    match: str,
    limit: int,
) -> list[Any]:
    """`bot.store._fts_newest`: the newest `limit` rows among the articles matching `match`,
    walking the full-text index from its newest minute (its rowid orders matches by minute,
    then id), exactly as ordering every match by (when, id) would give."""
    joined = (
        f"SELECT {columns}, articles_fts.rowid AS fts_key FROM articles_fts "
        f"JOIN articles ON articles.id = (articles_fts.rowid & {FTS_ID_MASK})"
        + _where([*where, "articles_fts MATCH ?"])
    )
    values = [*values, match]
    rows = conn.execute(
        f"{joined} ORDER BY articles_fts.rowid DESC LIMIT ?", [*values, limit + FTS_LOOKAHEAD]
    ).fetchall()
    if len(rows) > limit and limit > 0:
        minute_start = (rows[limit - 1][-1] >> FTS_ID_BITS) << FTS_ID_BITS
        complete = rows[-1][-1] < minute_start or len(rows) < limit + FTS_LOOKAHEAD
        rows = [r for r in rows if r[-1] >= minute_start]
        if not complete:
            rest = f"{joined} AND articles_fts.rowid >= ? AND articles_fts.rowid < ?"
            rows += conn.execute(rest, [*values, minute_start, rows[-1][-1]]).fetchall()
    # (when_, id): when_ is the next-to-last column, id the first.
    rows.sort(key=lambda r: (r[-2], r[0]), reverse=True)
    return rows[:limit]
