"""The article store: the one module that talks to the database.

It is reached through an SQLAlchemy URL (`DATABASE_URL`): SQLite in a local file by default,
or PostgreSQL through psycopg 3 (`pip install 'briefbot[postgres]'`).  The schema is migrated
forward on first use: the legacy steps below (versioned in the `meta` table, frozen as the
baseline), then Alembic revisions (`bot/migrations/versions/`).  Topic search is the
database's own full-text search, kept by the database so a write and its index entry commit or
roll back together: on SQLite an FTS5 index kept by triggers, on PostgreSQL a generated
`tsvector` column with a GIN index.  Dialect-specific SQL lives in the `_sqlite_*` and
`_postgres_*` functions near the end of this module.  The reads of an up-to-date SQLite
store (`Core.reads`: a command line's, a running bot's briefings and digests) go through
`bot.sqlite_reads` instead (the same SQL on `sqlite3`, without SQLAlchemy); a change to a read
here is mirrored there
(tests/bot/test_sqlite_reads.py compares the two).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    create_engine,
    event,
    exists,
    false,
    func,
    inspect,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy import column as sql_column
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)

# numpy (through summarizers.analysis) and the language model (summarizers.languages) are
# imported only where an analysis is made or read or a language detected, so commands that
# list or count articles start without them.
from summarizers.analysis_format import FORMAT as ANALYSIS_FORMAT

from .config import database_url
from .dedupe import guid_feed, near_same, outlet_from_source, outlet_key, same_feed_guids
from .errors import BadArgument
from .filters import Term, TopicFilter, as_filter, cjk_terms, fts_queries
from .models import Article, ArticleDraft, Source
from .reads import (
    ARTICLE_COLUMNS,
    ARTICLE_COLUMNS_NO_TEXT,
    AnalysisCache,
    article_from_row,
    copies_from_rows,
    decode_analyses,
    from_iso,
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
    SCHEMA_VERSION,
    SQLITE_PRAGMAS,
    is_current,
)
from .schema import shipped_head as shipped_head  # where tests and tools name it
from .scopes import OPERATOR, SHARED, Scope, workspace_key
from .urls import normalize_url

if TYPE_CHECKING:
    from summarizers.analysis import Analysis

T = TypeVar("T")

metadata = MetaData()

meta_table = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=False),
    Column("url", Text, index=True),
    Column("source", Text, nullable=False),
    # Times are ISO-8601 strings in UTC: they sort as text and mean the same on every backend.
    Column("published_at", Text),
    Column("ingested_at", Text, nullable=False, index=True),
    Column("text", Text, nullable=False),
    # `content_hash` as its 16 bytes (hex text before Alembic 0005): half the bytes in the
    # row and in its unique index.
    Column("content_hash", LargeBinary, nullable=False, unique=True),
    Column("analysis", LargeBinary, nullable=False),
    # Added in schema 5: a feed entry's GUID and the normalised link, for deduplication.
    Column("guid", Text, index=True),
    Column("canonical_url", Text, index=True),
    # Added in schema 6: the date as the source wrote it (published_at is NULL when the
    # date is unreadable, in the future or before 1990, so first-seen time orders it).
    Column("published_raw", Text),
    # Added by `_migration_outlets`: who published it (see bot.dedupe); NULL when unknown.
    Column("outlet", Text),
    # Added by `_migration_lang`: ISO 639-1 language (summarizers.languages); NULL read as en.
    Column("lang", Text),
    sqlite_autoincrement=True,
)

feeds = Table(
    "feeds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False),
    Column("canonical_url", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("platform", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("interval_minutes", Integer, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_fetched_at", Text),
    Column("next_fetch_at", Text),
    Column("last_error", Text),
    Column("failures", Integer, nullable=False, default=0),
    Column("paused", Integer, nullable=False, default=0),
    Column("articles_stored", Integer, nullable=False, default=0),
    Column("active", Integer, nullable=False, default=1),
    # Added by `_migration_outlets`: other outlets' copies it brought in (see bot.dedupe).
    Column("articles_copied", Integer, nullable=False, default=0, server_default="0"),
    sqlite_autoincrement=True,
)

# A channel's daily digest.  `window_start` is where the next digest's articles begin: the
# moment the previous digest was composed (first-seen time, so late-dated items still count).
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("minute", Integer, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("topic", Text),
    Column("bullets", Integer, nullable=False),
    Column("quiet", Integer, nullable=False, default=0),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("window_start", Text, nullable=False),
    Column("active", Integer, nullable=False, default=1),
    # Added by `_migration_cadences`: bot.cadence.Cadence.text, e.g. "weekly mon 09:00".
    Column("cadence", Text),
    Index("ix_subscriptions_channel", "platform", "workspace", "channel"),
    sqlite_autoincrement=True,
)

# The delivery ledger: one row per subscription and local date, claimed before posting.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    Column("local_date", Text, nullable=False),
    Column("scheduled_at", Text, nullable=False),
    # claimed -> delivered | failed (retried until the grace period ends) | missed
    Column("status", Text, nullable=False),
    Column("claimed_at", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Text),
    Column("message_id", Text),
    Column("error", Text),
    Column("delivered_at", Text),
    UniqueConstraint("subscription_id", "local_date", name="uq_delivery_per_day"),
    sqlite_autoincrement=True,
)

# Tenancy (schema 6): which scopes may read an article (see bot.scopes).  An article stored by
# one workspace that another brings in again gains a second row, never a second copy.  Without
# rowids the primary key is the table, so "may this scope read article N" is one index probe.
article_scopes = Table(
    "article_scopes",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("scope", Text, primary_key=True),
    Index("ix_article_scopes_scope", "scope", "article_id"),
    sqlite_with_rowid=False,
)

# Which feeds (canonical URL) brought an article in: a workspace that follows a feed later
# is granted what that feed already stored.
article_feeds = Table(
    "article_feeds",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("feed_url", Text, primary_key=True),
    Index("ix_article_feeds_feed", "feed_url", "article_id"),
    sqlite_with_rowid=False,
)

# `_migration_outlets`: the same article as another outlet published it (see bot.dedupe):
# one row per outlet and per scope that brought it in, so a workspace sees only the copies
# it (or the shared library) brought in.  `guid` and `canonical_url` let the feed pre-check
# know a copy.
article_copies = Table(
    "article_copies",
    metadata,
    Column(
        "article_id",
        Integer,
        ForeignKey("articles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("outlet_key", Text, primary_key=True),  # bot.dedupe.outlet_key(outlet)
    Column("scope", Text, primary_key=True),
    Column("outlet", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("canonical_url", Text, index=True),
    Column("guid", Text, index=True),
    Column("seen_at", Text, nullable=False),
    sqlite_with_rowid=False,
)

# `_migration_channel_briefings`: each channel's last briefing (a `brief` or a digest), as the
# JSON `bot.why` writes, so `brief why N` can explain its bullets after a restart.  Keyed by
# platform, workspace and channel: another workspace (scope) never reads it.
channel_briefings = Table(
    "channel_briefings",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("workspace", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("briefing", Text, nullable=False),
    Column("made_at", Text, nullable=False),
)

# Alembic revision 0003: who polls each feed URL now.  A worker leases a canonical feed URL
# (every feed row with that URL is one fetch) until `claimed_until`; a lease that ran out
# (its worker died) may be taken by another (bot.workers.FeedClaims).  Not in the legacy steps.
feed_claims = Table(
    "feed_claims",
    metadata,
    Column("canonical_url", Text, primary_key=True),
    Column("claimed_by", Text),
    Column("claimed_until", Text, nullable=False),  # ISO-8601 UTC; "" = free
)

# `_migration_channel_feeds`: a workspace's feed (a `feeds` row) attached to one of its
# channels: that channel's digests draw from its own feeds (bot.feeds); `live` posts each new
# article there as it arrives (bot.live), from `added_at` on.
channel_feeds = Table(
    "channel_feeds",
    metadata,
    Column("feed_id", Integer, ForeignKey("feeds.id"), primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("platform", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("live", Integer, nullable=False, default=0),
    Column("topic", Text),  # a live feed's topic filter (bot.filters); None: every article
    Column("added_by", Text, nullable=False),
    Column("added_at", Text, nullable=False),
    Index("ix_channel_feeds_channel", "platform", "workspace", "channel"),
)

# `_migration_live`: live feeds' posts (bot.live), claimed like digests (bot.ledger): one row
# per post, and one per item it carries, unique per channel, so an item is posted once.
live_posts = Table(
    "live_posts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", Text, nullable=False),
    Column("workspace", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("status", Text, nullable=False),  # claimed -> delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("claimed_at", Text, nullable=False),
    Column("next_attempt_at", Text),
    Column("message_id", Text),
    Column("error", Text),
    Column("delivered_at", Text),
    Index("ix_live_posts_channel", "platform", "workspace", "channel", "status"),
    sqlite_autoincrement=True,
)
live_items = Table(
    "live_items",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("workspace", Text, primary_key=True),
    Column("channel", Text, primary_key=True),
    Column("item", Text, primary_key=True),  # "a:<article id>" | "c:<article id>:<outlet key>"
    Column("post_id", Integer, ForeignKey("live_posts.id"), nullable=False, index=True),
    Column("article_id", Integer, nullable=False),
    Column("story_id", Integer, nullable=False),  # the article that opened the story here
)

# `_migration_digest_stories`: which article each scheduled digest carried under which story
# (bot.changes), so the next digest can tell New stories from Updated ones.
digest_stories = Table(
    "digest_stories",
    metadata,
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), primary_key=True),
    Column("run_key", Text, primary_key=True),  # the ledger's deliveries.local_date
    Column("article_id", Integer, primary_key=True),
    Column("story_id", Integer, nullable=False),
    Column("recorded_at", Text, nullable=False),
)

# `_migration_paused_workspaces`: workspaces whose digests are paused because the app was
# uninstalled there (or its token revoked); the scheduler skips their subscriptions until a
# reinstall removes the row (bot.ledger.Ledger.pause / resume).
# Alembic revision 0006: every language an article was stored in, kept by triggers.
article_languages = Table(
    "article_languages",
    metadata,
    Column("lang", Text, primary_key=True),
)

paused_workspaces = Table(
    "paused_workspaces",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("workspace", Text, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("paused_at", Text, nullable=False),
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def row_to(cls: type[T], row: Any, *, times: Iterable[str] = (), flags: Iterable[str] = ()) -> T:
    """Build a dataclass from a row whose columns share its field names.

    `times` are ISO strings to parse, `flags` integers to read as booleans.
    """
    values = {f.name: getattr(row, f.name) for f in fields(cls)}  # type: ignore[arg-type]
    for name in times:
        values[name] = from_iso(values[name])
    for name in flags:
        values[name] = bool(values[name])
    return cls(**values)


# NUL ends strings in C tools and PostgreSQL refuses it in text; a lone surrogate cannot be
# encoded as UTF-8 at all.  Both are removed at the one place articles are inserted.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_draft(draft: ArticleDraft) -> ArticleDraft:
    """`draft` without NUL characters or lone surrogates in any of its text fields."""
    changes = {
        name: _UNSTORABLE.sub("", value)
        for name in ("title", "text", "source", "url", "guid", "outlet")
        if isinstance(value := getattr(draft, name), str) and _UNSTORABLE.search(value)
    }
    return dataclasses.replace(draft, **changes) if changes else draft


# Another outlet's copy under its own headline: the same (near-same) text of at least this
# many words, found by a run of its words.
COPY_MIN_WORDS = 40
COPY_PHRASE_WORDS = 12


# Hex digits of SHA-256 kept as an article's fingerprint: 128 bits (Alembic 0004 cut the
# 64-digit hashes stored before), unique among any store's articles in practice.
CONTENT_HASH_CHARS = 32


def content_hash(title: str, body: str) -> str:
    """Fingerprint an article's words, ignoring case, spacing and punctuation: the first
    CONTENT_HASH_CHARS hex digits of the SHA-256 of its words."""
    words = " ".join(_WORD.findall(f"{title}\n{body}".casefold()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()[:CONTENT_HASH_CHARS]


def _migration_1(conn: Connection) -> None:
    # A new store gets today's articles table; migration 5 adds its later columns to old ones.
    metadata.create_all(conn, tables=[meta_table, articles])
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN "
            "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
            "END"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
            "VALUES ('delete', old.id, old.title, old.text); END"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER articles_au AFTER UPDATE ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
            "VALUES ('delete', old.id, old.title, old.text); "
            "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
            "END"
        )


def _migration_2(conn: Connection) -> None:
    # Re-analysis rewrites only the analysis column; the full-text index need not follow.
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER articles_au")
        conn.exec_driver_sql(
            "CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN "
            "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
            "VALUES ('delete', old.id, old.title, old.text); "
            "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); "
            "END"
        )


def _migration_3(conn: Connection) -> None:
    # Briefings read the newest articles first: index the very expression `search` sorts by,
    # so "newest 40 of 100,000" walks an index instead of sorting the table.
    conn.exec_driver_sql(
        "CREATE INDEX ix_articles_when ON articles (coalesce(published_at, ingested_at), id)"
    )


def _migration_4(conn: Connection) -> None:
    metadata.create_all(conn, tables=[subscriptions, deliveries])


def _migration_5(conn: Connection) -> None:
    present = {c["name"] for c in inspect(conn).get_columns("articles")}
    for column in ("guid", "canonical_url"):
        if column not in present:
            conn.exec_driver_sql(f"ALTER TABLE articles ADD COLUMN {column} TEXT")
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS ix_articles_{column} ON articles ({column})"
            )
    rows = conn.execute(select(articles.c.id, articles.c.url).where(articles.c.url.is_not(None)))
    for row in rows.all():
        conn.execute(
            articles.update()
            .where(articles.c.id == row.id)
            .values(canonical_url=normalize_url(row.url))
        )
    metadata.create_all(conn, tables=[feeds])


def _migration_6(conn: Connection) -> None:
    # Tenancy.  Articles a workspace's feed brought in become that workspace's: a feed entry's
    # GUID is namespaced by the feed's canonical URL ("<url> <guid>"), and an entry without a
    # GUID carries the feed's name as its source and was stored after the feed was added.
    # Every other article (seeds, command-line ingests, whatever cannot be traced) is shared.
    metadata.create_all(conn, tables=[article_scopes, article_feeds])
    followed = conn.execute(
        select(
            feeds.c.platform,
            feeds.c.workspace,
            feeds.c.canonical_url,
            feeds.c.name,
            feeds.c.created_at,
        )
    ).all()
    for feed in followed:
        prefix = f"{feed.canonical_url} "
        from_feed = func.substr(articles.c.guid, 1, len(prefix)) == prefix
        untagged = (
            articles.c.guid.is_(None)
            & (articles.c.source == feed.name)
            & (articles.c.ingested_at >= feed.created_at)
        )
        ids = conn.execute(select(articles.c.id).where(from_feed | untagged)).scalars().all()
        key = workspace_key(feed.platform, feed.workspace)
        _insert_ignore(conn, article_scopes, [{"article_id": i, "scope": key} for i in ids])
        _insert_ignore(
            conn, article_feeds, [{"article_id": i, "feed_url": feed.canonical_url} for i in ids]
        )
    unowned = ~exists().where(article_scopes.c.article_id == articles.c.id)
    conn.execute(
        article_scopes.insert().from_select(
            ["article_id", "scope"], select(articles.c.id, literal(SHARED)).where(unowned)
        )
    )


def _migration_outlets(conn: Connection) -> None:
    # Outlets and other outlets' copies; idempotent, as a new store has the columns already.
    # An old row's outlet is its source unless that is a file's name (`notes.txt`).
    if "outlet" not in {c["name"] for c in inspect(conn).get_columns("articles")}:
        conn.exec_driver_sql("ALTER TABLE articles ADD COLUMN outlet TEXT")
    if "articles_copied" not in {c["name"] for c in inspect(conn).get_columns("feeds")}:
        conn.exec_driver_sql(
            "ALTER TABLE feeds ADD COLUMN articles_copied INTEGER NOT NULL DEFAULT 0"
        )
    metadata.create_all(conn, tables=[article_copies])
    # One pass, updates by primary key: linear however many distinct sources there are.
    rows = conn.execute(
        select(articles.c.id, articles.c.source).where(articles.c.outlet.is_(None))
    ).all()
    found = [
        {"row_id": r.id, "named": outlet}
        for r in rows
        if (outlet := outlet_from_source(r.source)) is not None
    ]
    update = (
        articles.update()
        .where(articles.c.id == bindparam("row_id"))
        .values(outlet=bindparam("named"))
    )
    for start in range(0, len(found), 1000):
        conn.execute(update, found[start : start + 1000])


@functools.cache
def _insert_ignoring(dialect: str, table: Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING into `table`, built once per dialect."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table).on_conflict_do_nothing()


def _insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key is already there (INSERT OR IGNORE on
    SQLite, ON CONFLICT DO NOTHING on PostgreSQL, through SQLAlchemy's dialect inserts)."""
    if not rows:
        return
    if conn.dialect.name in {"sqlite", "postgresql"}:
        conn.execute(_insert_ignoring(conn.dialect.name, table), rows)
        return
    keys = [c.name for c in table.primary_key.columns]
    for row in rows:
        condition = [table.c[k] == row[k] for k in keys]
        if conn.execute(select(literal(1)).where(*condition)).first() is None:
            conn.execute(table.insert().values(**row))


insert_ignore = _insert_ignore  # for the modules that keep tables on the store's database


def _migration_7(conn: Connection) -> None:
    # Idempotent, like migration 5: a store created at schema 6 already has the column.
    if "published_raw" not in {c["name"] for c in inspect(conn).get_columns("articles")}:
        conn.exec_driver_sql("ALTER TABLE articles ADD COLUMN published_raw TEXT")


def _migration_channel_briefings(conn: Connection) -> None:
    # Idempotent (create_all checks first), so its place among other new migrations is free.
    metadata.create_all(conn, tables=[channel_briefings])


# `_migration_fts_by_when` keys the full-text index by minute and id (bot.schema.FTS_ID_BITS).


def _fts_key_sql(row: str) -> str:
    """SQL for the full-text rowid of `row` ("new", "old" or a table name): see above."""
    moment = f"substr(coalesce({row}.published_at, {row}.ingested_at), 1, 19)"
    minute = f"coalesce(CAST(strftime('%s', {moment}) AS INTEGER), 0) / 60"
    return f"(({minute}) * {1 << FTS_ID_BITS} + {row}.id)"


def _migration_fts_by_when(conn: Connection) -> None:
    # SQLite only: the index is rebuilt from the articles (nothing else is stored in it).
    if conn.dialect.name != "sqlite":
        return
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.exec_driver_sql("DROP TABLE IF EXISTS articles_fts")
    conn.exec_driver_sql("DROP VIEW IF EXISTS articles_fts_content")
    # External content through a view, so FTS5 can rebuild itself from the articles.
    conn.exec_driver_sql(
        "CREATE VIEW articles_fts_content AS SELECT "
        f"{_fts_key_sql('articles')} AS fts_key, title, text FROM articles"
    )
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, "
        "content='articles_fts_content', content_rowid='fts_key', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    new, old = _fts_key_sql("new"), _fts_key_sql("old")
    conn.exec_driver_sql(
        "CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN "
        f"INSERT INTO articles_fts(rowid, title, text) VALUES ({new}, new.title, new.text); "
        "END"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        f"VALUES ('delete', {old}, old.title, old.text); END"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER articles_au AFTER UPDATE OF title, text, published_at, ingested_at "
        "ON articles BEGIN "
        "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
        f"VALUES ('delete', {old}, old.title, old.text); "
        f"INSERT INTO articles_fts(rowid, title, text) VALUES ({new}, new.title, new.text); "
        "END"
    )
    conn.exec_driver_sql("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")


def _migration_paused_workspaces(conn: Connection) -> None:
    # Idempotent (create_all checks first), like _migration_channel_briefings.
    metadata.create_all(conn, tables=[paused_workspaces])


def _migration_cadences(conn: Connection) -> None:
    # Idempotent: a store created after this has the column.  Every existing subscription
    # becomes the daily cadence at its hour and minute (bot.cadence), so none changes.
    if "cadence" not in {c["name"] for c in inspect(conn).get_columns("subscriptions")}:
        conn.exec_driver_sql("ALTER TABLE subscriptions ADD COLUMN cadence TEXT")
    rows = conn.execute(
        select(subscriptions.c.id, subscriptions.c.hour, subscriptions.c.minute).where(
            subscriptions.c.cadence.is_(None)
        )
    ).all()
    for row in rows:
        conn.execute(
            subscriptions.update()
            .where(subscriptions.c.id == row.id)
            .values(cadence=f"daily {row.hour:02d}:{row.minute:02d}")
        )


def _migration_channel_feeds(conn: Connection) -> None:
    # Idempotent (create_all checks first).  No feed is attached to a channel before: every
    # channel keeps drawing from its workspace's feeds, as it did.
    metadata.create_all(conn, tables=[channel_feeds])


def _migration_live(conn: Connection) -> None:
    # Idempotent (create_all checks first).
    metadata.create_all(conn, tables=[live_posts, live_items])


def _migration_digest_stories(conn: Connection) -> None:
    # Idempotent (create_all checks first).  Digests posted before it mark every story New.
    metadata.create_all(conn, tables=[digest_stories])


def _migration_lang(conn: Connection) -> None:
    # Each article's language, detected from its text (issue 18); non-English ones are
    # re-analysed with their language's splitting rules and terms.
    from summarizers.analysis import analyze
    from summarizers.languages import detect as detect_language

    if "lang" not in {c["name"] for c in inspect(conn).get_columns("articles")}:
        conn.exec_driver_sql("ALTER TABLE articles ADD COLUMN lang TEXT")
    ids = conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars().all()
    for start in range(0, len(ids), IN_CHUNK):  # a big store's text never all in memory
        rows = conn.execute(
            select(articles.c.id, articles.c.title, articles.c.text).where(
                articles.c.id.in_(ids[start : start + IN_CHUNK])
            )
        ).all()
        for r in rows:
            lang = detect_language(f"{r.title}\n{r.text}")
            values: dict[str, Any] = {"lang": lang}
            if lang != "en":
                values["analysis"] = analyze(r.text, r.title, lang).to_bytes(r.text, r.title, lang)
            conn.execute(articles.update().where(articles.c.id == r.id).values(**values))


# The legacy migrations, frozen: the Alembic baseline (`bot/migrations`).  Each function moved
# the schema one `meta.schema_version` forward; they still run, in order, for a store older
# than the baseline, before Alembic's revisions.  New schema changes are Alembic revisions
# (docs/architecture.md, "Schema versions", says how to turn a `_migration_*` into one).
MIGRATIONS: list[Callable[[Connection], None]] = [
    _migration_1,
    _migration_2,
    _migration_3,
    _migration_4,
    _migration_5,
    _migration_6,
    _migration_7,
    _migration_outlets,
    _migration_channel_briefings,
    _migration_fts_by_when,
    _migration_paused_workspaces,
    _migration_cadences,
    _migration_channel_feeds,
    _migration_live,
    _migration_digest_stories,
    _migration_lang,
]


# The page size of a new SQLite store, bytes.  Measured on generated stores of 10,000 news
# articles (bench/scale.py): the articles table's pages were 13% unused at 4,096 bytes, 9% at
# 16,384; bigger pages shrink it further but make every page read by a briefing bigger.
SQLITE_PAGE_SIZE = 16384


def _engine_for(url: str) -> Engine:
    url = database_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadArgument(
            f"DATABASE_URL {url!r} is not a database URL. Example: sqlite:///briefbot.db"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves (pysqlite's implicit transactions are unreliable),
            # use WAL so readers never block the writer, and wait rather than fail on locks.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            # A new file's pages (an existing file keeps its own; only VACUUM outside WAL could
            # change them): articles of a few KB leave a quarter of a 4 KB page empty, and
            # under 10% of a 16 KB one (`SQLITE_PAGE_SIZE`).
            cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            for pragma in SQLITE_PRAGMAS:  # WAL, NORMAL sync, lock waits, foreign keys
                cursor.execute(pragma)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # Writes (Store.transaction) take the write lock up front with IMMEDIATE, so two
            # processes never both read "not stored yet" and then race to insert; reads begin
            # deferred and, under WAL, never wait for a writer.
            immediate = conn.get_execution_options().get("briefbot_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        # An unknown dialect or driver, or one not installed (psycopg is not a dependency).
        missing = getattr(exc, "name", None) or parsed.drivername
        raise BadArgument(
            f"DATABASE_URL {shown_url(parsed)} needs the database driver {missing!r}, "
            "which is unknown or not installed (for PostgreSQL: "
            "`pip install 'briefbot[postgres]'`)."
        ) from None


@dataclasses.dataclass(frozen=True)
class SchemaUpgrade:
    """What `upgrade_schema` did: the Alembic revision before (None: not under Alembic yet)
    and after, and whether the database had no briefbot schema at all (it was created)."""

    before: str | None
    after: str
    created: bool = False


def upgrade_schema(url: str) -> SchemaUpgrade:
    """Bring the store at `url` up to date now (`briefbot db upgrade`), creating its schema in
    an empty database.  Raises BadArgument as `Store`."""
    from . import migrations

    engine = _engine_for(url)
    try:
        with engine.connect() as conn:
            before = migrations.current(conn)
            created = before is None and "articles" not in inspect(conn).get_table_names()
    except OperationalError as exc:
        raise cannot_open(url, exc) from None
    finally:
        engine.dispose()
    Store(url).close()
    return SchemaUpgrade(before, migrations.head(), created)


_SECRET_QUERY = re.compile(r"([?&][^=&]*(?:pass|secret|token|key)[^=&]*=)[^&]*", re.IGNORECASE)


def shown_url(url: URL) -> str:
    """A database address as messages may show it: the password as `***`, and so the value of
    every query parameter that can carry one (`?password=`, `sslpassword`, `passfile`,
    `sslkey`: libpq's connection parameters, PostgreSQL docs §34.1.2)."""
    return _SECRET_QUERY.sub(r"\1***", url.render_as_string(hide_password=True))


def cannot_open(url: str, exc: DatabaseError) -> BadArgument:
    """The one line an operator sees when the database at `url` does not answer: where it is
    (host and port, the address with its password masked), the driver's first line (e.g.
    "Connection refused"), and the setting to fix (DATABASE_URL)."""
    parsed = make_url(database_url(url))
    first = next((line.strip() for line in str(exc.orig).splitlines() if line.strip()), "")
    # psycopg nests its causes ("connection failed: connection to server at …, port 5432
    # failed: Connection refused"): the host and port are said already, the last is the cause.
    reason = first.rpartition(": ")[2].strip()
    where = shown_url(parsed)
    if parsed.host:
        port = f":{parsed.port}" if parsed.port else ""
        where = f"{parsed.host}{port} ({where})"
    return BadArgument(
        f"Cannot open the database at {where}: {reason or type(exc.orig).__name__}. "
        "Check DATABASE_URL."
    )


class WriteBatch:
    """The open write transaction of `Store.batch`."""

    def __init__(self, conn: Connection) -> None:
        """Begin the transaction on `conn` (a write connection)."""
        self.conn = conn
        self._transaction = conn.begin()

    def commit(self) -> None:
        """Store everything done in the batch so far, and go on in a new transaction."""
        self._transaction.commit()
        self._transaction = self.conn.begin()

    def close(self) -> None:
        """Commit what is pending, or roll back if the transaction can no longer commit."""
        if not self._transaction.is_active:
            return
        try:
            self._transaction.commit()
        except Exception:
            self._transaction.rollback()
            raise


class Store:
    """Articles and their stored analysis, behind one small API."""

    def __init__(
        self, url: str, *, migrate: bool = True, analyses: AnalysisCache | None = None
    ) -> None:
        """Open the store at `url` (an SQLAlchemy URL; `postgresql://` means psycopg 3) and,
        with `migrate`, bring its schema up to date (legacy steps, then Alembic to head).
        `analyses`: where decoded analyses are kept (see `analyses`), shared with other
        readers of the same database (`Core` gives its `SqliteReads` the same); default: its own.

        Without `migrate` (operators who run `briefbot db upgrade` themselves) a store whose
        schema is behind is refused.  Raises BadArgument for a bad URL, a database that does
        not answer, or one written by a newer briefbot.
        """
        self.url = database_url(url)
        self.engine = _engine_for(self.url)
        self._local = threading.local()  # this thread's open `batch`, if any
        self._analysis_cache = analyses if analyses is not None else AnalysisCache()
        self._statements: dict[tuple[Any, ...], Any] = {}  # see `_newest_rows`
        self._statements_lock = threading.Lock()
        try:
            if migrate:
                self._migrate()
            else:
                self._check_current()
        except DatabaseError as exc:
            self.engine.dispose()
            # Does not answer (OperationalError), or is no database ("file is not a
            # database", "database disk image is malformed": the driver's plain
            # DatabaseError): one line naming DATABASE_URL.  A failing migration step
            # (IntegrityError, ProgrammingError, …) is no address problem: it propagates.
            if type(exc) is DatabaseError or isinstance(exc, OperationalError):
                raise cannot_open(self.url, exc) from None
            raise
        except BadArgument:
            self.engine.dispose()
            raise

    @property
    def is_sqlite(self) -> bool:
        """Tell whether full-text search can use FTS5."""
        return self.engine.dialect.name == "sqlite"

    @property
    def dialect(self) -> str:
        """The database's SQLAlchemy dialect name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run a block in one transaction: all of it is stored, or none of it.

        Inside this thread's `batch` the block is a savepoint of the batch's transaction: it
        is undone alone if it raises, and stored when the batch commits.
        """
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            # Plain SQL with one fixed name (nested ones refer to the innermost): SQLAlchemy's
            # begin_nested names each savepoint anew and so compiles it anew, which cost more
            # than the commit it saves.
            conn = batch.conn
            conn.exec_driver_sql("SAVEPOINT briefbot_write")
            try:
                yield conn
            except BaseException:
                conn.exec_driver_sql("ROLLBACK TO SAVEPOINT briefbot_write")
                conn.exec_driver_sql("RELEASE SAVEPOINT briefbot_write")
                raise
            conn.exec_driver_sql("RELEASE SAVEPOINT briefbot_write")
            return
        with self.engine.connect() as conn:
            conn = conn.execution_options(briefbot_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection to read with: this thread's `batch` one (which sees its own writes),
        else its `reading` one, else a new one."""
        batch = getattr(self._local, "batch", None)
        if batch is not None:
            yield batch.conn
            return
        reader = getattr(self._local, "reader", None)
        if reader is not None:
            yield reader
            return
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the reads of a block (this thread's) on one connection, in one transaction: a
        briefing's search, analyses and copies take one connection from the pool and begin
        once, and on SQLite see one snapshot of the store.  Writes (`transaction`) still use
        their own connection.  Inside a `batch`, or nested, the open connection serves."""
        if getattr(self._local, "batch", None) is not None or getattr(self._local, "reader", None):
            yield
            return
        with self.engine.connect() as conn:
            self._local.reader = conn
            try:
                yield
            finally:
                self._local.reader = None

    @contextmanager
    def batch(self) -> Iterator[WriteBatch]:
        """Hold one write transaction open across many `put`s of this thread, committed
        when `WriteBatch.commit` is called and when the block ends (raising or not: what
        completed is kept; a `transaction` block that raised was undone alone).

        SQLite commits cost about as much as a small article's insert, so an ingest of many
        articles commits every few hundred milliseconds instead of once per article.  The
        write lock is held meanwhile: other writers wait (busy timeout 30 s), readers do not
        (WAL).  Nested calls join the open batch.
        """
        if getattr(self._local, "batch", None) is not None:
            yield self._local.batch
            return
        with self.engine.connect() as conn:
            batch = WriteBatch(conn.execution_options(briefbot_write=True))
            self._local.batch = batch
            try:
                yield batch
            finally:
                self._local.batch = None
                batch.close()

    def _migrate(self) -> None:
        # Almost every open finds the store current: say so with one read, without importing
        # Alembic (~0.3 s of a cold `briefbot brief`) or taking the write lock.
        if self._is_current():
            return
        from . import migrations

        with self.transaction() as conn:
            if conn.dialect.name == "postgresql":
                _postgres_migration_lock(conn)  # several workers starting at once
            self._legacy_migrate(conn)
            migrations.upgrade(conn)
            self._refresh_analyses(conn)

    def _is_current(self) -> bool:
        """Tell, with one read, whether the legacy steps, the Alembic revisions and the
        analysis format are all at this briefbot's own (False also when the tables are not
        there yet; `_migrate` then does the full, locked check)."""
        query = text(CURRENT_QUERY)
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).one()
        except (OperationalError, ProgrammingError):  # no such table: a new or old store
            return False
        return is_current(tuple(row))

    def _check_current(self) -> None:
        """Refuse a store whose schema is not at this briefbot's head (`migrate=False`)."""
        from . import migrations

        with self.engine.connect() as conn:
            revision = migrations.current(conn)
        if revision != migrations.head():
            migrations.known(revision)  # raises BadArgument for a newer briefbot's revision
            raise BadArgument(
                f"The database schema is at {revision or 'no revision'}, this briefbot needs "
                f"{migrations.head()}: run `briefbot db upgrade`."
            )

    def _legacy_migrate(self, conn: Connection) -> None:
        """The frozen legacy steps (`MIGRATIONS`) a store older than the baseline lacks."""
        metadata.create_all(conn, tables=[meta_table])
        row = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).first()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise BadArgument(
                f"The database was written by a newer briefbot (schema {version}); "
                "upgrade briefbot."
            )
        for step in MIGRATIONS[version:]:
            step(conn)
        if version != SCHEMA_VERSION:
            self._set_meta(conn, "schema_version", str(SCHEMA_VERSION))

    def _refresh_analyses(self, conn: Connection) -> None:
        """Re-analyze every article when the stored analysis format is not the current one.

        The analysis is derived from the stored text, so an upgrade that changes it costs one
        pass at startup and never loses an article.
        """
        row = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "analysis_format")
        ).first()
        if row is not None and row[0] == str(ANALYSIS_FORMAT):
            return
        if row is not None and row[0].isdigit() and int(row[0]) > ANALYSIS_FORMAT:
            # A newer briefbot shares this database (a rolling deploy): re-analysing would
            # undo its analyses, and it would redo them, each start after the other's.
            raise BadArgument(
                f"The database's articles were analysed by a newer briefbot (analysis format "
                f"{row[0]}); upgrade briefbot."
            )
        from summarizers.analysis import analyze

        ids = conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars().all()
        for start in range(0, len(ids), IN_CHUNK):
            batch = ids[start : start + IN_CHUNK]
            rows = conn.execute(
                select(articles.c.id, articles.c.title, articles.c.text, articles.c.lang).where(
                    articles.c.id.in_(batch)
                )
            ).all()
            for r in rows:
                blob = analyze(r.text, r.title, r.lang).to_bytes(r.text, r.title, r.lang)
                conn.execute(articles.update().where(articles.c.id == r.id).values(analysis=blob))
        self._set_meta(conn, "analysis_format", str(ANALYSIS_FORMAT))

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """Read a store-wide flag or value."""
        with self._connect() as conn:
            row = conn.execute(select(meta_table.c.value).where(meta_table.c.key == key)).first()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Write a store-wide flag or value."""
        with self.transaction() as conn:
            self._set_meta(conn, key, value)

    @staticmethod
    def _set_meta(conn: Connection, key: str, value: str) -> None:
        updated = conn.execute(
            meta_table.update().where(meta_table.c.key == key).values(value=value)
        )
        if updated.rowcount == 0:
            conn.execute(meta_table.insert().values(key=key, value=value))

    # -- a channel's last briefing -----------------------------------------------------------

    def save_channel_briefing(
        self, platform: str, workspace: str, channel: str, briefing: str, made_at: datetime
    ) -> None:
        """Keep `briefing` (JSON text, see `bot.why`) as this channel's last, replacing any."""
        values = {"platform": platform, "workspace": workspace, "channel": channel}
        with self.transaction() as conn:
            conn.execute(
                _SAVE_CHANNEL_BRIEFING, {**values, "briefing": briefing, "made_at": to_iso(made_at)}
            )

    def channel_briefing(self, platform: str, workspace: str, channel: str) -> str | None:
        """This channel's last briefing as saved by `save_channel_briefing`, or None."""
        statement = select(channel_briefings.c.briefing).where(
            (channel_briefings.c.platform == platform)
            & (channel_briefings.c.workspace == workspace)
            & (channel_briefings.c.channel == channel)
        )
        with self._connect() as conn:
            return conn.execute(statement).scalar_one_or_none()

    # -- articles ---------------------------------------------------------------------------

    def add(
        self,
        draft: ArticleDraft,
        analysis: Analysis,
        now: datetime,
        *,
        scopes: Iterable[str] = (SHARED,),
        feed: str | None = None,
    ) -> tuple[Article, bool]:
        """Store an article unless it is already stored; return it and whether it is new.

        See `put`, which also says when it was another outlet's copy.
        """
        article, status = self.put(draft, analysis, now, scopes=scopes, feed=feed)
        return article, status == "stored"

    def put(
        self,
        draft: ArticleDraft,
        analysis: Analysis | Callable[[ArticleDraft], Analysis],
        now: datetime,
        *,
        scopes: Iterable[str] = (SHARED,),
        feed: str | None = None,
        guid_checked: bool = False,
    ) -> tuple[Article, str]:
        """Store an article, or recognise it; return the stored article and what happened.

        The status is "stored" (new), "copy" (the same words from another outlet: recorded in
        `article_copies` as another source of the stored article) or "duplicate" (already
        stored); bot.dedupe states the rule.  Either way the article becomes readable by every
        scope key in `scopes` (see bot.scopes; default: the shared library) and is recorded as
        brought in by `feed` (a canonical feed URL), if any.  NUL characters and lone
        surrogates (invalid UTF-8 decoded leniently) are removed first, and the analysis
        redone on the cleaned text, so neither ever reaches the database.

        `analysis` is the draft's: `analyze(text, title, lang)` of the draft as stored (the blob
        keeps no terms: they are computed again from the stored text and title in the draft's
        language when read; `Analysis.to_bytes` raises ValueError for another title or
        language).  It may be a function of the (cleaned) draft instead: it is then called only
        when the draft is new, inside the write transaction after the one lookup, so a known
        draft costs no analysis and a new one a single lookup.  Whatever it raises rolls the
        transaction back and propagates (nothing is written).  `guid_checked`: the caller
        looked the draft's GUID up already (`shared_known`, same `scopes` and `feed`), so
        the lookup skips rule 1.
        """
        cleaned = storable_draft(draft)
        if cleaned != draft:
            from summarizers.analysis import analyze

            draft = cleaned
            if not callable(analysis):
                analysis = analyze(cleaned.text, cleaned.title, cleaned.lang)
        digest = content_hash(draft.title, draft.text)
        scopes = tuple(scopes)
        try:
            return self._put(draft, analysis, now, digest, scopes, feed, guid_checked)
        except IntegrityError:
            # Another writer stored the same words between our check and our insert
            # (possible on PostgreSQL, where the check takes no lock): that copy wins.
            with self.transaction() as conn:
                found = self._find_same(conn, digest, draft, scopes, feed)
                if found is None:
                    raise
                return self._settle(conn, found, draft, now, scopes, feed)

    def _put(
        self,
        draft: ArticleDraft,
        analysis: Analysis | Callable[[ArticleDraft], Analysis],
        now: datetime,
        digest: str,
        scopes: tuple[str, ...],
        feed: str | None,
        guid_checked: bool = False,
    ) -> tuple[Article, str]:
        with self.transaction() as conn:
            found = self._find_same(conn, digest, draft, scopes, feed, guid_checked)
            if found is not None:
                return self._settle(conn, found, draft, now, scopes, feed)
            if draft.lang is None:  # neither front matter nor feed said: detect it (issue 18)
                from summarizers.analysis import analyze
                from summarizers.languages import detect as detect_language

                draft = dataclasses.replace(
                    draft, lang=detect_language(f"{draft.title}\n{draft.text}")
                )
                if not callable(analysis) and draft.lang != "en":
                    analysis = analyze(draft.text, draft.title, draft.lang)
            if callable(analysis):
                analysis = analysis(draft)
            values = {
                "title": draft.title,
                "url": draft.url,
                "source": draft.source,
                "published_at": to_iso(draft.published_at) if draft.published_at else None,
                "ingested_at": to_iso(now),
                "text": draft.text,
                "content_hash": bytes.fromhex(digest),
                "analysis": analysis.to_bytes(draft.text, draft.title, draft.lang),
                "guid": draft.guid,
                "canonical_url": normalize_url(draft.url) if draft.url else None,
                "published_raw": draft.published_raw,
                "outlet": _folded(draft.outlet),
                "lang": draft.lang or "en",
            }
            new_id = conn.execute(_INSERT_ARTICLE, values).inserted_primary_key[0]
            self._grant(conn, new_id, scopes, feed)
        # The row as stored, without reading it back (`_article` of the same values).
        return _article(SimpleNamespace(id=new_id, **values)), "stored"

    def _settle(
        self,
        conn: Connection,
        found: tuple[Article, bool],
        draft: ArticleDraft,
        now: datetime,
        scopes: tuple[str, ...],
        feed: str | None,
    ) -> tuple[Article, str]:
        """Grant a found article to `scopes`; record `draft` as its copy when it is the same
        words from another outlet at another link (rule 2 of bot.dedupe)."""
        existing, same_words = found
        self._grant(conn, existing.id, scopes, feed)
        key = outlet_key(draft.outlet)
        ours = outlet_key(existing.outlet)
        same_link = bool(
            draft.url and existing.url and normalize_url(draft.url) == normalize_url(existing.url)
        )
        if not same_words or same_link or key is None or ours is None or key == ours:
            return existing, "duplicate"
        earlier = conn.execute(
            select(article_copies.c.scope).where(
                article_copies.c.article_id == existing.id, article_copies.c.outlet_key == key
            )
        ).first()
        copy = {
            "article_id": existing.id,
            "outlet_key": key,
            "outlet": _folded(draft.outlet),
            "title": draft.title,
            "url": draft.url,
            "canonical_url": normalize_url(draft.url) if draft.url else None,
            "guid": draft.guid,
            "seen_at": to_iso(now),
        }
        _insert_ignore(conn, article_copies, [{**copy, "scope": s} for s in set(scopes)])
        return existing, "duplicate" if earlier is not None else "copy"

    @staticmethod
    def _grant(
        conn: Connection, article_id: int, scopes: Iterable[str], feed: str | None = None
    ) -> None:
        _insert_ignore(
            conn, article_scopes, [{"article_id": article_id, "scope": s} for s in set(scopes)]
        )
        if feed:
            _insert_ignore(conn, article_feeds, [{"article_id": article_id, "feed_url": feed}])

    def _find_same(
        self,
        conn: Connection,
        digest: str,
        draft: ArticleDraft,
        scopes: Iterable[str] = (SHARED,),
        feed: str | None = None,
        guid_checked: bool = False,
    ) -> tuple[Article, bool] | None:
        """The stored article `draft` is (bot.dedupe's rule), and whether by its words.

        The same words are the same article for anyone who brings them.  A GUID or link is
        only a claim (a feed writes whatever it likes), so it finds only an article `scopes`
        may be given (`_entitled_by`): another workspace's article is never theirs by a link.
        `guid_checked`: rule 1 (the GUID) was looked up already by the caller.
        Statements are built once per shape (`_lookup`) and take their values as parameters.
        """
        keys = sorted(set(scopes))
        entitled = {f"scope{i}": key for i, key in enumerate(keys)}
        if feed:
            entitled["feed"] = feed
        shape = (len(keys), bool(feed))
        if draft.guid and not guid_checked:
            row = conn.execute(_lookup("guid", *shape), {"guid": draft.guid, **entitled}).first()
            if row is not None:
                return _article(row), False
            copy = conn.execute(
                _lookup("copy_guid", *shape), {"guid": draft.guid, **entitled}
            ).first()
            if copy is not None:
                return self._by_id(conn, copy.article_id), False
        row = conn.execute(_lookup("hash", 0, False), {"digest": bytes.fromhex(digest)}).first()
        if row is not None:
            return _article(row), True
        wire = self._same_text_elsewhere(conn, draft)
        if wire is not None:
            return wire, True
        if not draft.url:
            return None
        canonical = normalize_url(draft.url)
        link = {"url": draft.url, "canonical": canonical, **entitled}
        # One link is one article unless one feed gave the entries different GUIDs and texts.
        for row in conn.execute(_lookup("link", *shape), link):
            if not same_feed_guids(row.guid, draft.guid) or near_same(row.text, draft.text):
                return _article(row), False
        # A copy's canonical link is normalize_url(its url): the raw link needs no test.
        for copy in conn.execute(_lookup("copy_link", *shape), link):
            if not same_feed_guids(copy.guid, draft.guid):
                return self._by_id(conn, copy.article_id), False
        return None

    def _same_text_elsewhere(self, conn: Connection, draft: ArticleDraft) -> Article | None:
        """A stored article from another outlet with the same text, perhaps lightly edited
        (`bot.dedupe.near_same`: a dateline or credit line changed), under another headline:
        a wire story each outlet titles its own way.  None if there is none (bot.dedupe rule 2).

        Only texts of at least COPY_MIN_WORDS words count, so short boilerplate shared by
        distinct entries ("Details to follow.") never merges them.  Candidates come from the
        full-text index (a run of the text's opening words, or of its middle ones, as a phrase:
        FTS5 on SQLite, the tsvector column on PostgreSQL); another database does not look.
        """
        if outlet_key(draft.outlet) is None:
            return None
        words = _WORD.findall(draft.text)
        if len(words) < COPY_MIN_WORDS:
            return None
        middle = len(words) // 2
        runs = (words[:COPY_PHRASE_WORDS], words[middle : middle + COPY_PHRASE_WORDS])
        if conn.dialect.name == "sqlite":
            candidates = _sqlite_phrase_candidates(runs)
        elif conn.dialect.name == "postgresql":
            candidates = _postgres_phrase_candidates(runs)
        else:
            return None  # no full-text index to find candidates with
        for row in conn.execute(select(*_ARTICLE_COLUMNS).where(candidates)):
            theirs = outlet_key(row.outlet)
            if theirs not in (None, outlet_key(draft.outlet)) and near_same(row.text, draft.text):
                return _article(row)
        return None

    @staticmethod
    def _by_id(conn: Connection, article_id: int) -> Article:
        return _article(conn.execute(_lookup("id", 0, False), {"id": article_id}).one())

    @staticmethod
    def _known(
        conn: Connection,
        url: str | None,
        guid: str | None,
        scopes: Iterable[str] | None = None,
        feed: str | None = None,
    ) -> tuple[int, Any] | None:
        """(article id, the copy row it was found by or None) of a stored article a feed
        entry with this link and GUID is, by bot.dedupe's rules 1 and 3 without the text:
        the same GUID, or the same link unless the stored GUID is another of the same feed.
        With `scopes`, only an article they may be given (`_entitled_by`; `feed`: the entry's)."""
        keys = None if scopes is None else sorted(set(scopes))
        values: dict[str, Any] = {}
        if keys is not None:
            values = {f"scope{i}": key for i, key in enumerate(keys)}
            if feed:
                values["feed"] = feed
        shape = (None if keys is None else len(keys), bool(feed) and keys is not None)
        if guid:
            found = conn.execute(_claim("guid", *shape), {"guid": guid, **values}).first()
            if found is not None:
                return found.id, None
            copy = conn.execute(_claim("copy_guid", *shape), {"guid": guid, **values}).first()
            if copy is not None:
                return copy.article_id, copy
        if url:
            link = {"url": url, "canonical": normalize_url(url), **values}
            if guid:
                link["feed_prefix"] = guid_feed(guid) + " "
                link["feed_prefix_length"] = len(link["feed_prefix"])
            found = conn.execute(_claim("link", *shape, bool(guid)), link).first()
            if found is not None:
                return found.id, None
            copy = conn.execute(_claim("copy_link", *shape, bool(guid)), link).first()
            if copy is not None:
                return copy.article_id, copy
        return None

    def knows(self, url: str | None, guid: str | None) -> bool:
        """Whether a feed entry with this link and GUID is stored (any scope), as an article
        or as another outlet's copy: the same GUID, or the same link (normalised) where the
        entry or the stored one has no GUID (see bot.dedupe)."""
        with self._connect() as conn:
            return self._known(conn, url, guid) is not None

    def share_known(
        self, url: str | None, guid: str | None, scopes: Iterable[str], feed: str | None = None
    ) -> bool:
        """Whether `shared_known` found the entry stored (and shared it)."""
        return self.shared_known(url, guid, scopes, feed) is not None

    def shared_known(
        self, url: str | None, guid: str | None, scopes: Iterable[str], feed: str | None = None
    ) -> Article | None:
        """The stored article a feed entry is, or None: like `knows`; a stored article found
        is also made readable by `scopes` and linked to `feed` (a canonical feed URL), so a
        feed entry skipped as known still reaches every workspace that follows the feed (a
        copy found is recorded for those scopes too).

        Only an article `scopes` may be given counts (one they all read already, or one
        `feed` brought in): another workspace's article with this link or GUID is not known
        here, since naming a link is not having its words; the entry is read as new.
        """
        wanted = set(scopes)
        with self._connect() as conn:
            found = self._known(conn, url, guid, wanted, feed)
            if found is None:
                return None
            article_id, copy = found
            article = self._by_id(conn, article_id)
            have = set(
                conn.execute(
                    select(article_scopes.c.scope).where(article_scopes.c.article_id == article_id)
                ).scalars()
            )
            linked = (
                not feed
                or conn.execute(
                    select(article_feeds.c.article_id).where(
                        article_feeds.c.article_id == article_id, article_feeds.c.feed_url == feed
                    )
                ).first()
                is not None
            )
            copied: set[str] = set(wanted)
            if copy is not None:
                copied = set(
                    conn.execute(
                        select(article_copies.c.scope).where(
                            article_copies.c.article_id == article_id,
                            article_copies.c.outlet_key == copy.outlet_key,
                        )
                    ).scalars()
                )
        if not wanted <= have or not linked or not wanted <= copied:
            with self.transaction() as conn:  # write only when something is missing
                self._grant(conn, article_id, wanted, feed)
                if copy is not None:
                    row = dict(copy._mapping)
                    _insert_ignore(conn, article_copies, [{**row, "scope": s} for s in wanted])
        return article

    def settled_guids(
        self, guids: Iterable[str], scopes: Iterable[str], feed: str | None = None
    ) -> dict[str, Article]:
        """Of feed entries' GUIDs (namespaced, as stored), those `shared_known` would find
        stored by the GUID itself (bot.dedupe rule 1, one article with it) with nothing to
        write: every scope key in `scopes` reads the article already and, given `feed`, the
        feed is linked to it.  GUID -> the stored article, as `shared_known` returns it.

        A few queries for any number of GUIDs (500 per query), so a feed whose entries are
        all stored is recognised without one lookup per entry.  A GUID left out may still be
        known: ask `shared_known`, which also records what is missing.
        """
        wanted = set(scopes)
        unique = list(dict.fromkeys(g for g in guids if g))
        found: dict[str, Article] = {}
        with self._connect() as conn:
            for start in range(0, len(unique), IN_CHUNK):
                chunk = unique[start : start + IN_CHUNK]
                rows = conn.execute(
                    select(*_ARTICLE_COLUMNS).where(articles.c.guid.in_(chunk))
                ).all()
                by_guid: dict[str, list[Any]] = {}
                for row in rows:
                    by_guid.setdefault(row.guid, []).append(row)
                single = {g: r[0] for g, r in by_guid.items() if len(r) == 1}
                ids = [row.id for row in single.values()]
                if not ids:
                    continue
                have: dict[int, set[str]] = {}
                for article_id, scope in conn.execute(
                    select(article_scopes.c.article_id, article_scopes.c.scope).where(
                        article_scopes.c.article_id.in_(ids)
                    )
                ):
                    have.setdefault(article_id, set()).add(scope)
                linked: set[int] | None = None
                if feed:
                    linked = set(
                        conn.execute(
                            select(article_feeds.c.article_id).where(
                                article_feeds.c.feed_url == feed,
                                article_feeds.c.article_id.in_(ids),
                            )
                        ).scalars()
                    )
                for guid, row in single.items():
                    if wanted <= have.get(row.id, set()) and (linked is None or row.id in linked):
                        found[guid] = _article(row)
        return found

    def copies_of(self, ids: Iterable[int], *, scope: Scope) -> dict[int, tuple[Source, ...]]:
        """Other outlets' copies of each article that `scope` may see (brought in by it or
        the shared library; the operator sees all), as sources, oldest first, one per outlet.

        Each source carries the stored article's id (the copy has the same words).
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        if scope.visible is None:
            statement, values = _COPIES, {"ids": wanted}
        else:
            statement, values = _COPIES_SEEN_BY, {"ids": wanted, "scopes": list(scope.visible)}
        with self._connect() as conn:
            return copies_from_rows(conn.execute(statement, values))

    def grant_feed(self, feed_url: str, scope: str) -> int:
        """Make every article `feed_url` (canonical) brought in readable by `scope`; return
        how many that is."""
        brought = select(article_feeds.c.article_id).where(article_feeds.c.feed_url == feed_url)
        with self.transaction() as conn:
            ids = conn.execute(brought).scalars().all()
            _insert_ignore(conn, article_scopes, [{"article_id": i, "scope": scope} for i in ids])
        return len(ids)

    def scopes_of(self, article_id: int) -> set[str]:
        """The scope keys that may read an article (for tests and operators)."""
        with self._connect() as conn:
            rows = conn.execute(
                select(article_scopes.c.scope).where(article_scopes.c.article_id == article_id)
            )
            return set(rows.scalars())

    def move_feed(self, old_url: str, new_url: str) -> int:
        """Carry what a feed brought in from its old canonical URL to its new one, after a
        permanent redirect (301/308): every article linked to `old_url` is linked to `new_url`
        as well (the old links stay, so nothing that names the old URL breaks), and entry
        GUIDs namespaced by the old URL ("<old> <guid>") are namespaced by the new one, so the
        entries are still recognised when read from the new address (in every table with a
        `guid` column).  Both URLs canonical
        (`normalize_url`).  Returns how many articles the feed had brought in.
        """
        if old_url == new_url:
            return 0
        brought = select(article_feeds.c.article_id).where(article_feeds.c.feed_url == old_url)
        old_prefix, new_prefix = f"{old_url} ", f"{new_url} "
        with self.transaction() as conn:
            ids = conn.execute(brought).scalars().all()
            _insert_ignore(
                conn, article_feeds, [{"article_id": i, "feed_url": new_url} for i in ids]
            )
            # Every table that keeps entry GUIDs (articles, and any record of copies).
            for table in metadata.sorted_tables:
                if "guid" not in table.c:
                    continue
                guid = table.c.guid
                conn.execute(
                    table.update()
                    .where(func.substr(guid, 1, len(old_prefix)) == old_prefix)
                    .values(guid=literal(new_prefix).concat(func.substr(guid, len(old_prefix) + 1)))
                )
        return len(ids)

    def get(self, article_id: int, *, scope: Scope) -> Article | None:
        """Return the article with this id if `scope` may read it; None otherwise, so a
        caller cannot tell another workspace's article from a missing one."""
        if not 0 < article_id <= MAX_ROW_ID:
            return None  # beyond every database's id range: cannot exist
        statement = _visible_to(select(*_ARTICLE_COLUMNS).where(articles.c.id == article_id), scope)
        with self._connect() as conn:
            row = conn.execute(statement).first()
        return _article(row) if row else None

    def get_many(self, ids: Iterable[int], *, scope: Scope) -> dict[int, Article]:
        """`get` of several ids in a few queries (chunks of IN_CHUNK): id → article, for
        those `scope` may read."""
        wanted = [i for i in dict.fromkeys(ids) if 0 < i <= MAX_ROW_ID]
        found: dict[int, Article] = {}
        with self._connect() as conn:
            for start in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[start : start + IN_CHUNK]
                statement = _visible_to(
                    select(*_ARTICLE_COLUMNS).where(articles.c.id.in_(chunk)), scope
                )
                found.update((row.id, _article(row)) for row in conn.execute(statement))
        return found

    def count(self, scope: Scope = OPERATOR) -> int:
        """Return how many articles `scope` may read (default: every stored article)."""
        statement = _visible_to(select(func.count()).select_from(articles), scope)
        with self._connect() as conn:
            return int(conn.execute(statement).scalar_one())

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
        """Return the newest articles `scope` may read matching a topic query, published (or
        stored) since: newest first (publication time, else first-seen time; then id).

        `query` is a parsed `bot.filters.TopicFilter`, or a topic string parsed into one.

        `stored_after`/`stored_until` select by first-seen time instead (digests use it: an
        item a feed back-dates is still new to the channel).  `with_text=False` leaves each
        article's `text` empty and does not read it (a briefing reads its sentences through
        `analyses`).  A topic search visits about `limit` matches however many there are.
        """
        columns = _ARTICLE_COLUMNS if with_text else _ARTICLE_COLUMNS_NO_TEXT
        rows = self._newest_rows(columns, query, scope, limit, since, stored_after, stored_until)
        return [article_from_row(r, with_text=with_text) for r in rows]

    def titles(
        self,
        query: str | TopicFilter | None = None,
        limit: int = 25,
        *,
        scope: Scope,
        prefix: bool = False,
    ) -> list[tuple[int, str]]:
        """(id, title) of the newest matching articles `scope` may read: what autocomplete
        needs, and no text.  `prefix`: each word of `query` matches words it begins
        (`meri` finds "Meridian"), as someone still typing means."""
        rows = self._newest_rows(
            (articles.c.id, articles.c.title), query, scope, limit, prefix=prefix
        )
        return [(r.id, r.title) for r in rows]

    def _newest(
        self,
        statement: Select,
        query: str | TopicFilter | None,
        scope: Scope,
        since: datetime | None = None,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
        prefix: bool = False,
    ) -> Select:
        """Order newest first and filter by scope, topic filter (bot.filters) and time
        windows, as one statement (on SQLite through the full-text index, every match visited:
        `_newest_rows` walks the index instead; `prefix`: words match the words they begin,
        FTS5 prefix queries)."""
        when = func.coalesce(articles.c.published_at, articles.c.ingested_at)
        statement = self._filtered(statement, scope, since, stored_after, stored_until)
        statement = statement.order_by(when.desc(), articles.c.id.desc())
        topic = as_filter(query)
        if topic is not None:
            langs = self.languages() if self.is_sqlite else ()
            statement = statement.where(
                *_matching(
                    topic,
                    self.is_sqlite,
                    prefix=prefix,
                    langs=langs,
                    postgres=self.dialect == "postgresql",
                )
            )
        return statement

    def _newest_rows(
        self,
        columns: Iterable[Any],
        query: str | TopicFilter | None,
        scope: Scope,
        limit: int,
        since: datetime | None = None,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
        *,
        prefix: bool = False,
    ) -> list[Any]:
        """The newest `limit` rows of `columns` as `_newest` orders and filters them; on
        SQLite a topic walks the full-text index from its newest entries (`_fts_newest`)."""
        topic = as_filter(query)
        langs = self.languages() if topic and self.is_sqlite else frozenset()
        columns = tuple(columns)
        # A statement costs more to build than SQLite takes to run it: the last few built are
        # kept (they are immutable), keyed by everything they are built from.
        key = (columns, topic, scope, limit, since, stored_after, stored_until, prefix, langs)
        with self._statements_lock:
            built = self._statements.get(key)
        if built is None:
            when = func.coalesce(articles.c.published_at, articles.c.ingested_at)
            statement = select(*columns, when.label("when_"))
            must = fts_queries(topic, prefix=prefix, langs=langs)[0] if langs else None
            if topic is not None and must:
                filtered = self._filtered(statement, scope, since, stored_after, stored_until)
                filtered = filtered.where(
                    *_matching(topic, True, prefix=prefix, must=False, langs=langs)
                )
                built = _fts_walk(filtered, must, limit)
            else:
                ordered = self._newest(
                    statement, topic, scope, since, stored_after, stored_until, prefix=prefix
                )
                built = ordered.limit(limit)
            with self._statements_lock:
                self._statements[key] = built
                while len(self._statements) > _STATEMENTS_KEPT:
                    del self._statements[next(iter(self._statements))]
        with self._connect() as conn:
            if isinstance(built, _FtsWalk):
                return _fts_newest(conn, built, limit)
            return list(conn.execute(built))

    @staticmethod
    def _filtered(
        statement: Select,
        scope: Scope,
        since: datetime | None,
        stored_after: datetime | None,
        stored_until: datetime | None,
    ) -> Select:
        """Keep what `scope` may read, published (or stored) since `since`, first stored in
        (`stored_after`, `stored_until`]."""
        when = func.coalesce(articles.c.published_at, articles.c.ingested_at)
        statement = _visible_to(statement, scope)
        if since is not None:
            statement = statement.where(when >= to_iso(since))
        if stored_after is not None:
            statement = statement.where(articles.c.ingested_at > to_iso(stored_after))
        if stored_until is not None:
            statement = statement.where(articles.c.ingested_at <= to_iso(stored_until))
        return statement

    def languages(self) -> frozenset[str]:
        """The languages of the stored articles (`article_languages`, which triggers keep:
        revision 0006), read each time (a few rows), so an article another process stores is
        searched in its language at once."""
        with self._connect() as conn:
            return frozenset(conn.execute(_LANGUAGES).scalars())

    def forget_analyses(self) -> None:
        """Drop the decoded analyses this store keeps (`analyses` decodes them again, and the
        figures derived from them are derived again): what a briefing costs over articles
        the process has not read yet (bench/scale.py)."""
        self._analysis_cache.clear()

    def analyses(self, ids: Iterable[int]) -> dict[int, Analysis]:
        """Load the stored analysis of each article (the ids found, in the order the database
        returns them).

        A warm process keeps the last ANALYSIS_CACHE_SIZE decoded analyses (`AnalysisCache`):
        each call still reads every analysis blob, and reuses a kept analysis only when its
        blob is the one stored now (an article's text never changes once stored; a
        re-analysis, e.g. a store upgraded to another analysis format, changes the blob).
        Only the other articles' texts are read and decoded.
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with self._connect() as conn:
            blobs = [
                (row.id, row.analysis) for row in conn.execute(_ANALYSIS_BLOBS, {"ids": wanted})
            ]
            return decode_analyses(
                self._analysis_cache,
                blobs,
                lambda missing: conn.execute(_TEXTS, {"ids": missing}).all(),
            )


# Statements built once (building one costs more than SQLite running it).
_SAVE_CHANNEL_BRIEFING = text(SAVE_CHANNEL_BRIEFING)
_LANGUAGES = select(article_languages.c.lang)
_COPIES = (
    select(
        article_copies.c.article_id,
        article_copies.c.outlet_key,
        article_copies.c.title,
        article_copies.c.url,
        article_copies.c.outlet,
    )
    .where(article_copies.c.article_id.in_(bindparam("ids", expanding=True)))
    .order_by(article_copies.c.article_id, article_copies.c.seen_at)
)
_COPIES_SEEN_BY = _COPIES.where(article_copies.c.scope.in_(bindparam("scopes", expanding=True)))
_ANALYSIS_BLOBS = select(articles.c.id, articles.c.analysis).where(
    articles.c.id.in_(bindparam("ids", expanding=True))
)
_TEXTS = select(articles.c.id, articles.c.text, articles.c.title, articles.c.lang).where(
    articles.c.id.in_(bindparam("ids", expanding=True))
)


def _matching(
    topic: TopicFilter,
    sqlite: bool,
    *,
    prefix: bool = False,
    must: bool = True,
    langs: Iterable[str] = (),
    postgres: bool = False,
) -> list[Any]:
    """SQL conditions on `articles` for a topic filter (grammar: bot.filters).

    SQLite asks its FTS5 index (query strings from `bot.filters.fts_queries`; `prefix`: each
    term matches the words it begins; `must=False` leaves out what must match, for a caller
    that walks the index with it, `_fts_newest`); other backends match each word
    case-insensitively anywhere in title or text.  `langs`: the store's languages (see
    `fts_queries`); Chinese and Japanese terms are matched as substrings (`cjk_terms`).
    `postgres`: each term through the `search` tsvector and its GIN index (a phrase as
    phraseto_tsquery; a prefix, for autocomplete, as a substring of the title or text)."""
    conditions: list[Any] = []
    if topic.words and sqlite:
        wanted, must_not = fts_queries(topic, prefix=prefix, langs=langs)
        must = wanted if must else None
        cjk_groups, cjk_excluded = cjk_terms(topic)

        def contains(term: Term) -> Any:
            return and_(
                *(articles.c.title.contains(w) | articles.c.text.contains(w) for w in term.words)
            )

        conditions += [or_(*(contains(t) for t in group)) for group in cjk_groups]
        conditions += [~contains(t) for t in cjk_excluded]
        fts = f"SELECT rowid & {FTS_ID_MASK} AS rowid FROM articles_fts WHERE articles_fts MATCH :"
        if must:
            ids = text(fts + "must").bindparams(must=must).columns(rowid=Integer)
            conditions.append(articles.c.id.in_(ids))
        if must_not:
            ids = text(fts + "must_not").bindparams(must_not=must_not).columns(rowid=Integer)
            conditions.append(articles.c.id.not_in(ids))
    elif topic.words:

        def has(term: Term) -> Any:
            if postgres and not prefix:
                return _postgres_term(term.words)
            return and_(
                *(
                    articles.c.title.ilike(f"%{w}%") | articles.c.text.ilike(f"%{w}%")
                    for w in term.words
                )
            )

        conditions += [or_(*(has(t) for t in group)) for group in topic.groups]
        conditions += [~has(t) for t in topic.excluded]
    # An article's outlet; none for a file's name (`notes.txt`: ingest and the outlets
    # migration leave it empty), which `from:x` must not match by its ".txt".
    outlet = func.lower(func.coalesce(articles.c.outlet, ""))
    if topic.outlets:
        conditions.append(or_(*(outlet.contains(o, autoescape=True) for o in topic.outlets)))
    conditions += [~outlet.contains(o, autoescape=True) for o in topic.excluded_outlets]
    if topic.feeds:
        conditions.append(
            exists().where(
                article_feeds.c.article_id == articles.c.id,
                article_feeds.c.feed_url.in_(topic.feeds),
            )
        )
    return conditions


def _entitled_by(article_id: Any, scope_count: int, feed: bool) -> Any:
    """SQL condition on an article id column: an article every one of the scopes reads
    already, or one the feed brought in, whose followers are all entitled to it.  What a link
    or GUID may find (see `Store._find_same`).  The values are parameters: scope keys
    `scope0`, `scope1`… (distinct, sorted) and, when `feed` is true, `feed` (a canonical feed
    URL); no scopes and no feed: nothing."""
    readers = [
        exists()
        .where(article_scopes.c.article_id == article_id)
        .where(article_scopes.c.scope.in_([bindparam(f"scope{i}"), literal(SHARED)]))
        for i in range(scope_count)
    ]
    condition = and_(*readers) if readers else false()
    if feed:
        condition = condition | exists().where(
            article_feeds.c.article_id == article_id,
            article_feeds.c.feed_url == bindparam("feed"),
        )
    return condition


@functools.cache
def _lookup(kind: str, scope_count: int, feed: bool) -> Select:
    """A lookup statement of `Store._find_same` (bot.dedupe's rule), built once per shape:
    "guid", "copy_guid", "hash", "link", "copy_link" or "id".  Parameters: `guid`, `digest`,
    `url` and `canonical`, `id`, and `_entitled_by`'s scope keys and feed."""
    mine = _entitled_by(articles.c.id, scope_count, feed)
    my_copy = _entitled_by(article_copies.c.article_id, scope_count, feed)
    if kind == "guid":
        return (
            select(*_ARTICLE_COLUMNS).where((articles.c.guid == bindparam("guid")) & mine).limit(1)
        )
    if kind == "copy_guid":
        return (
            select(article_copies.c.article_id)
            .where((article_copies.c.guid == bindparam("guid")) & my_copy)
            .limit(1)
        )
    if kind == "hash":
        return (
            select(*_ARTICLE_COLUMNS).where(articles.c.content_hash == bindparam("digest")).limit(1)
        )
    if kind == "link":
        same_link = (articles.c.url == bindparam("url")) | (
            articles.c.canonical_url == bindparam("canonical")
        )
        return select(*_ARTICLE_COLUMNS).where(same_link & mine).order_by(articles.c.id).limit(100)
    if kind == "copy_link":
        copy_link = article_copies.c.canonical_url == bindparam("canonical")
        return select(article_copies).where(copy_link & my_copy).limit(100)
    if kind == "id":
        return select(*_ARTICLE_COLUMNS).where(articles.c.id == bindparam("id"))
    raise ValueError(kind)


@functools.cache
def _claim(kind: str, scope_count: int | None, feed: bool, guid: bool = False) -> Select:
    """A lookup statement of `Store._known` (a feed entry by its GUID or link), built once per
    shape: "guid", "copy_guid", "link" or "copy_link"; `scope_count` None: any scope.
    Parameters: `guid`, `url`, `canonical`, `feed_prefix` (with `guid`: links of the GUID's
    feed's other entries do not count) and `_entitled_by`'s."""
    mine: Any = true()
    my_copy: Any = true()
    if scope_count is not None:
        mine = _entitled_by(articles.c.id, scope_count, feed)
        my_copy = _entitled_by(article_copies.c.article_id, scope_count, feed)
    prefix = bindparam("feed_prefix", type_=Text)
    if kind == "guid":
        return select(articles.c.id).where((articles.c.guid == bindparam("guid")) & mine).limit(1)
    if kind == "copy_guid":
        return (
            select(article_copies)
            .where((article_copies.c.guid == bindparam("guid")) & my_copy)
            .limit(1)
        )
    if kind == "link":
        same_link = (articles.c.url == bindparam("url")) | (
            articles.c.canonical_url == bindparam("canonical")
        )
        if guid:
            same_link = same_link & _not_of_feed_by(articles.c.guid, prefix)
        return select(articles.c.id).where(same_link & mine).limit(1)
    if kind == "copy_link":
        copy_link = article_copies.c.canonical_url == bindparam("canonical")
        if guid:
            copy_link = copy_link & _not_of_feed_by(article_copies.c.guid, prefix)
        return select(article_copies).where(copy_link & my_copy).limit(1)
    raise ValueError(kind)


def _not_of_feed_by(column: Any, prefix: Any) -> Any:
    """SQL: `column` holds no GUID starting with `prefix` (a bound "<feed> "; its length in
    characters is the bound `feed_prefix_length`, so no backend has to type the parameter)."""
    length = bindparam("feed_prefix_length", type_=Integer)
    return column.is_(None) | (func.substr(column, 1, length) != prefix)


_FTS = table("articles_fts", sql_column("rowid", Integer))
_FTS_MATCH = text("articles_fts MATCH :match")


@dataclasses.dataclass(frozen=True)
class _FtsWalk:
    """The statements of `_fts_newest`: the articles matching (`joined`, with the index key
    `fts_key`) and the first read of them, newest keys first."""

    joined: Select
    first: Select


def _fts_walk(statement: Select, match: str, limit: int) -> _FtsWalk:
    """The walk of the full-text index for `_fts_newest`: `statement` (a select of articles
    with `when_`, filtered) among the articles matching `match` (FTS5 syntax)."""
    key = _FTS.c.rowid
    joined = (
        statement.select_from(
            _FTS.join(articles, articles.c.id == key.op("&")(literal_column(str(FTS_ID_MASK))))
        )
        .where(_FTS_MATCH.bindparams(match=match))
        .add_columns(key.label("fts_key"))
    )
    return _FtsWalk(joined, joined.order_by(key.desc()).limit(limit + FTS_LOOKAHEAD))


def _fts_newest(conn: Connection, walk: _FtsWalk, limit: int) -> list[Any]:
    """SQLite: the newest `limit` rows of a `_fts_walk`, newest first, exactly as ordering
    every match by (when, id) would give, visiting about `limit` matches.

    The full-text rowid orders matches by minute, then id (`_migration_fts_by_when`), so the
    index is walked from its top: the first `limit` rows found, plus the rest of the last
    one's minute, hold the newest `limit`; they are then ordered by exact time.
    """
    key = _FTS.c.rowid
    # A few rows past `limit` usually reach an earlier minute, so the rest of the last one's
    # minute is already read (stores hold a few articles a minute): no second query.
    rows = list(conn.execute(walk.first))
    if len(rows) > limit and limit > 0:
        minute_start = (rows[limit - 1].fts_key >> FTS_ID_BITS) << FTS_ID_BITS
        complete = rows[-1].fts_key < minute_start or len(rows) < limit + FTS_LOOKAHEAD
        rows = [r for r in rows if r.fts_key >= minute_start]
        if not complete:
            rows += conn.execute(walk.joined.where(key >= minute_start, key < rows[-1].fts_key))
    rows.sort(key=lambda r: (r.when_, r.id), reverse=True)
    return rows[:limit]


# Search statements a store keeps built (`Store._newest_rows`).
_STATEMENTS_KEPT = 64


def _folded(name: str | None) -> str | None:
    """A name with its whitespace folded to single spaces; None when empty."""
    return " ".join((name or "").split()) or None


def _visible_to(statement: Select, scope: Scope) -> Select:
    """Keep only the articles `scope` may read: a correlated EXISTS on article_scopes' primary
    key, so the newest-first walk of ix_articles_when stays an index walk."""
    visible = scope.visible
    if visible is None:
        return statement
    allowed = (
        exists()
        .where(article_scopes.c.article_id == articles.c.id)
        .where(article_scopes.c.scope.in_(visible))
    )
    return statement.where(allowed)


_INSERT_ARTICLE = articles.insert()

# The columns of an article row, in `bot.reads.ARTICLE_COLUMNS`' order (`article_from_row`
# reads a search's rows by position).
_ARTICLE_COLUMNS = tuple(articles.c[name] for name in ARTICLE_COLUMNS)
_ARTICLE_COLUMNS_NO_TEXT = tuple(articles.c[name] for name in ARTICLE_COLUMNS_NO_TEXT)


def _article(row: Any) -> Article:
    """An Article from a row of `_ARTICLE_COLUMNS`."""
    return Article(
        id=row.id,
        title=row.title,
        text=row.text,
        source=row.source,
        url=row.url,
        published_at=from_iso(row.published_at),
        ingested_at=from_iso(row.ingested_at) or datetime.now(UTC),
        content_hash=bytes(row.content_hash).hex(),
        outlet=row.outlet,
        lang=row.lang or "en",
    )


# -- dialect-specific SQL ----------------------------------------------------------------------
# Each database's own full-text search, behind `Store._newest` (topics) and
# `Store._same_text_elsewhere` (wire copies).  Every function returns an SQL condition on
# `articles`; the SQLite and PostgreSQL versions must find the same articles for the same words
# (tests/bot/test_store.py, full-text parity).

# PostgreSQL's text search configuration (created by the 0002 revision in the store's schema):
# Snowball's English stemmer without a stop list, as close as PostgreSQL comes to FTS5's
# `porter unicode61` tokenizer.  Unlike FTS5 it keeps diacritics ("café" is not "cafe").
POSTGRES_SEARCH_CONFIG = "briefbot_english"
# What the generated tsvector column indexes of each article (a tsvector holds at most 1 MB).
POSTGRES_SEARCH_CHARS = 200_000


def _sqlite_phrase_candidates(runs: Iterable[list[str]]) -> Any:
    """SQLite: at most 20 articles whose text holds one of `runs` (word lists) as a phrase."""
    match = " OR ".join('text : "' + " ".join(run) + '"' for run in runs)
    ids = text(
        f"SELECT rowid & {FTS_ID_MASK} FROM articles_fts WHERE articles_fts MATCH :match LIMIT 20"
    )
    return articles.c.id.in_(ids.bindparams(match=match).columns(rowid=Integer))


def _postgres_term(words: Iterable[str]) -> Any:
    """PostgreSQL: articles whose `search` tsvector holds `words` as a phrase (English stems;
    one word: that word); phraseto_tsquery reads its input as plain words, so user input is
    never query syntax.  The configuration name is ours, never user input."""
    config = literal_column(f"'{POSTGRES_SEARCH_CONFIG}'")
    query = func.phraseto_tsquery(config, " ".join(words))
    return literal_column("articles.search").op("@@")(query)


def _postgres_phrase_candidates(runs: Iterable[list[str]]) -> Any:
    """PostgreSQL: at most 20 articles that hold one of `runs` (word lists) as a phrase."""
    phrases = [" ".join(run) for run in runs]
    config = POSTGRES_SEARCH_CONFIG
    query = " || ".join(f"phraseto_tsquery('{config}', :run_{i})" for i in range(len(phrases)))
    ids = text(f"SELECT id FROM articles WHERE search @@ ({query}) LIMIT 20").bindparams(
        **{f"run_{i}": phrase for i, phrase in enumerate(phrases)}
    )
    return articles.c.id.in_(ids.columns(id=Integer))


def _postgres_migration_lock(conn: Connection) -> None:
    """PostgreSQL: hold a transaction-scoped advisory lock, so of several processes starting
    at once one migrates and the others wait, then find the schema current.  (SQLite's
    `BEGIN IMMEDIATE` serialises them already.)"""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727265) -- briefbot schema")
