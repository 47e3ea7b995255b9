"""The article store: the one module that talks to the database.

It is reached through an SQLAlchemy URL (`DATABASE_URL`): SQLite in a local file by default,
or PostgreSQL through psycopg 3 (`pip install 'briefbot[postgres]'`).  The schema is migrated
forward on first use: the legacy steps below (versioned in the `meta` table, frozen as the
baseline), then Alembic revisions (`bot/migrations/versions/`).  Topic search is the
database's own full-text search, kept by the database so a write and its index entry commit or
roll back together: on SQLite an FTS5 index kept by triggers, on PostgreSQL a generated
`tsvector` column with a GIN index.  Dialect-specific SQL lives in the `_sqlite_*` and
`_postgres_*` functions near the end of this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

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
    select,
    text,
    true,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError

from summarizers.analysis import FORMAT as ANALYSIS_FORMAT
from summarizers.analysis import Analysis, analyze

from .config import database_url
from .dedupe import guid_feed, near_same, outlet_from_source, outlet_key, same_feed_guids
from .errors import BadArgument
from .models import Article, ArticleDraft, Source
from .scopes import OPERATOR, SHARED, Scope, workspace_key
from .urls import normalize_url

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
    Column("content_hash", Text, nullable=False, unique=True),
    Column("analysis", LargeBinary, nullable=False),
    # Added in schema 5: a feed entry's GUID and the normalised link, for deduplication.
    Column("guid", Text, index=True),
    Column("canonical_url", Text, index=True),
    # Added in schema 6: the date as the source wrote it (published_at is NULL when the
    # date is unreadable, in the future or before 1990, so first-seen time orders it).
    Column("published_raw", Text),
    # Added by `_migration_outlets`: who published it (see bot.dedupe); NULL when unknown.
    Column("outlet", Text),
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

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def to_iso(moment: datetime) -> str:
    """Format a time as a sortable UTC ISO-8601 string."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Microseconds, always six digits: an article stored in the same second as a digest
    # window's end must still sort after it (and fixed width keeps text order = time order).
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(value: str | None) -> datetime | None:
    """Parse a time written by `to_iso`."""
    return datetime.fromisoformat(value) if value else None


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


def content_hash(title: str, body: str) -> str:
    """Fingerprint an article's words, ignoring case, spacing and punctuation."""
    words = " ".join(_WORD.findall(f"{title}\n{body}".casefold()))
    return hashlib.sha256(words.encode("utf-8")).hexdigest()


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


def _insert_ignore(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, skipping any whose primary key is already there (INSERT OR IGNORE on
    SQLite, ON CONFLICT DO NOTHING on PostgreSQL, through SQLAlchemy's dialect inserts)."""
    if not rows:
        return
    if conn.dialect.name in {"sqlite", "postgresql"}:
        if conn.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        conn.execute(insert(table).on_conflict_do_nothing(), rows)
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
]
SCHEMA_VERSION = len(MIGRATIONS)


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
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the database; a power cut may lose only the
            # last commits.  It spares an fsync per article, which bounds ingest speed.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
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
            f"DATABASE_URL {parsed.render_as_string()} needs the database driver {missing!r}, "
            "which is unknown or not installed (for PostgreSQL: "
            "`pip install 'briefbot[postgres]'`)."
        ) from None


def upgrade_schema(url: str) -> tuple[str | None, str]:
    """Bring the store at `url` up to date now (`briefbot db upgrade`); return its Alembic
    revision before and after (None: not under Alembic yet).  Raises BadArgument as `Store`."""
    from . import migrations

    engine = _engine_for(url)
    try:
        with engine.connect() as conn:
            before = migrations.current(conn)
    except OperationalError as exc:
        raise BadArgument(f"Cannot open the database: {exc.orig}. Check DATABASE_URL.") from None
    finally:
        engine.dispose()
    Store(url).close()
    return before, migrations.head()


class Store:
    """Articles and their stored analysis, behind one small API."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        """Open the store at `url` (an SQLAlchemy URL; `postgresql://` means psycopg 3) and,
        with `migrate`, bring its schema up to date (legacy steps, then Alembic to head).

        Without `migrate` (operators who run `briefbot db upgrade` themselves) a store whose
        schema is behind is refused.  Raises BadArgument for a bad URL, a database that does
        not answer, or one written by a newer briefbot.
        """
        self.url = database_url(url)
        self.engine = _engine_for(self.url)
        try:
            if migrate:
                self._migrate()
            else:
                self._check_current()
        except OperationalError as exc:
            self.engine.dispose()
            raise BadArgument(
                f"Cannot open the database at {make_url(self.url).render_as_string()}: "
                f"{exc.orig}. Check DATABASE_URL."
            ) from None
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
        """Run a block in one transaction: all of it is stored, or none of it."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(briefbot_write=True)
            with conn.begin():
                yield conn

    def _migrate(self) -> None:
        from . import migrations

        with self.transaction() as conn:
            if conn.dialect.name == "postgresql":
                _postgres_migration_lock(conn)  # several workers starting at once
            self._legacy_migrate(conn)
            migrations.upgrade(conn)
            self._refresh_analyses(conn)

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
        ids = conn.execute(select(articles.c.id).order_by(articles.c.id)).scalars().all()
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            rows = conn.execute(
                select(articles.c.id, articles.c.title, articles.c.text).where(
                    articles.c.id.in_(batch)
                )
            ).all()
            for r in rows:
                blob = analyze(r.text, r.title).to_bytes(r.text)
                conn.execute(articles.update().where(articles.c.id == r.id).values(analysis=blob))
        self._set_meta(conn, "analysis_format", str(ANALYSIS_FORMAT))

    # -- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """Read a store-wide flag or value."""
        with self.engine.connect() as conn:
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
        key = (
            (channel_briefings.c.platform == platform)
            & (channel_briefings.c.workspace == workspace)
            & (channel_briefings.c.channel == channel)
        )
        with self.transaction() as conn:
            conn.execute(channel_briefings.delete().where(key))
            conn.execute(
                channel_briefings.insert().values(
                    platform=platform,
                    workspace=workspace,
                    channel=channel,
                    briefing=briefing,
                    made_at=to_iso(made_at),
                )
            )

    def channel_briefing(self, platform: str, workspace: str, channel: str) -> str | None:
        """This channel's last briefing as saved by `save_channel_briefing`, or None."""
        statement = select(channel_briefings.c.briefing).where(
            (channel_briefings.c.platform == platform)
            & (channel_briefings.c.workspace == workspace)
            & (channel_briefings.c.channel == channel)
        )
        with self.engine.connect() as conn:
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
        analysis: Analysis,
        now: datetime,
        *,
        scopes: Iterable[str] = (SHARED,),
        feed: str | None = None,
    ) -> tuple[Article, str]:
        """Store an article, or recognise it; return the stored article and what happened.

        The status is "stored" (new), "copy" (the same words from another outlet: recorded in
        `article_copies` as another source of the stored article) or "duplicate" (already
        stored); bot.dedupe states the rule.  Either way the article becomes readable by every
        scope key in `scopes` (see bot.scopes; default: the shared library) and is recorded as
        brought in by `feed` (a canonical feed URL), if any.  NUL characters and lone
        surrogates (invalid UTF-8 decoded leniently) are removed first, and the analysis
        redone on the cleaned text, so neither ever reaches the database.
        """
        cleaned = storable_draft(draft)
        if cleaned != draft:
            draft, analysis = cleaned, analyze(cleaned.text, cleaned.title)
        digest = content_hash(draft.title, draft.text)
        scopes = tuple(scopes)
        try:
            return self._put(draft, analysis, now, digest, scopes, feed)
        except IntegrityError:
            # Another writer stored the same words between our check and our insert
            # (possible on PostgreSQL, where the check takes no lock): that copy wins.
            with self.transaction() as conn:
                found = self._find_same(conn, digest, draft, scopes, feed)
                if found is None:
                    raise
                return self._settle(conn, found, draft, now, scopes, feed)

    def put_known(
        self,
        draft: ArticleDraft,
        now: datetime,
        *,
        scopes: Iterable[str] = (SHARED,),
        feed: str | None = None,
    ) -> tuple[Article, str] | None:
        """Recognise an already stored article without analysing the draft.

        Returns what `put` would (the stored article and "copy" or "duplicate", after granting
        it to `scopes` and linking it to `feed`) when bot.dedupe's rule finds `draft` stored;
        None when it is new, and then nothing is written.  Ingest calls this before the
        analysis, so re-reading known items costs a few index lookups each.
        """
        cleaned = storable_draft(draft)
        digest = content_hash(cleaned.title, cleaned.text)
        scopes = tuple(scopes)
        with self.engine.connect() as conn:  # a read: a new article takes no write lock here
            if self._find_same(conn, digest, cleaned, scopes, feed) is None:
                return None
        with self.transaction() as conn:
            found = self._find_same(conn, digest, cleaned, scopes, feed)
            if found is None:
                return None
            return self._settle(conn, found, cleaned, now, scopes, feed)

    def _put(
        self,
        draft: ArticleDraft,
        analysis: Analysis,
        now: datetime,
        digest: str,
        scopes: tuple[str, ...],
        feed: str | None,
    ) -> tuple[Article, str]:
        with self.transaction() as conn:
            found = self._find_same(conn, digest, draft, scopes, feed)
            if found is not None:
                return self._settle(conn, found, draft, now, scopes, feed)
            values = {
                "title": draft.title,
                "url": draft.url,
                "source": draft.source,
                "published_at": to_iso(draft.published_at) if draft.published_at else None,
                "ingested_at": to_iso(now),
                "text": draft.text,
                "content_hash": digest,
                "analysis": analysis.to_bytes(draft.text),
                "guid": draft.guid,
                "canonical_url": normalize_url(draft.url) if draft.url else None,
                "published_raw": draft.published_raw,
                "outlet": _folded(draft.outlet),
            }
            new_id = conn.execute(articles.insert().values(**values)).inserted_primary_key[0]
            self._grant(conn, new_id, scopes, feed)
            row = conn.execute(select(*_ARTICLE_COLUMNS).where(articles.c.id == new_id)).one()
        return _article(row), "stored"

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
    ) -> tuple[Article, bool] | None:
        """The stored article `draft` is (bot.dedupe's rule), and whether by its words.

        The same words are the same article for anyone who brings them.  A GUID or link is
        only a claim (a feed writes whatever it likes), so it finds only an article `scopes`
        may be given (`_entitled`): another workspace's article is never theirs by a link.
        """
        mine = _entitled(articles.c.id, scopes, feed)
        my_copy = _entitled(article_copies.c.article_id, scopes, feed)
        if draft.guid:
            row = conn.execute(
                select(*_ARTICLE_COLUMNS).where((articles.c.guid == draft.guid) & mine).limit(1)
            ).first()
            if row is not None:
                return _article(row), False
            copy = conn.execute(
                select(article_copies.c.article_id)
                .where((article_copies.c.guid == draft.guid) & my_copy)
                .limit(1)
            ).first()
            if copy is not None:
                return self._by_id(conn, copy.article_id), False
        row = conn.execute(
            select(*_ARTICLE_COLUMNS).where(articles.c.content_hash == digest).limit(1)
        ).first()
        if row is not None:
            return _article(row), True
        wire = self._same_text_elsewhere(conn, draft)
        if wire is not None:
            return wire, True
        if not draft.url:
            return None
        canonical = normalize_url(draft.url)
        same_link = (articles.c.url == draft.url) | (articles.c.canonical_url == canonical)
        # One link is one article unless one feed gave the entries different GUIDs and texts.
        for row in conn.execute(
            select(*_ARTICLE_COLUMNS).where(same_link & mine).order_by(articles.c.id).limit(100)
        ):
            if not same_feed_guids(row.guid, draft.guid) or near_same(row.text, draft.text):
                return _article(row), False
        # A copy's canonical link is normalize_url(its url): the raw link needs no test.
        copy_link = article_copies.c.canonical_url == canonical
        for copy in conn.execute(select(article_copies).where(copy_link & my_copy).limit(100)):
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
        words = _WORD.findall(draft.text)
        if outlet_key(draft.outlet) is None or len(words) < COPY_MIN_WORDS:
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
        return _article(
            conn.execute(select(*_ARTICLE_COLUMNS).where(articles.c.id == article_id)).one()
        )

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
        With `scopes`, only an article they may be given (`_entitled`; `feed`: the entry's)."""
        mine: Any = true() if scopes is None else _entitled(articles.c.id, scopes, feed)
        my_copy: Any = (
            true() if scopes is None else _entitled(article_copies.c.article_id, scopes, feed)
        )
        if guid:
            found = conn.execute(
                select(articles.c.id).where((articles.c.guid == guid) & mine).limit(1)
            ).first()
            if found is not None:
                return found.id, None
            copy = conn.execute(
                select(article_copies).where((article_copies.c.guid == guid) & my_copy).limit(1)
            ).first()
            if copy is not None:
                return copy.article_id, copy
        if url:
            canonical = normalize_url(url)
            same_link = (articles.c.url == url) | (articles.c.canonical_url == canonical)
            if guid:
                same_link = same_link & _not_of_feed(articles.c.guid, guid)
            found = conn.execute(select(articles.c.id).where(same_link & mine).limit(1)).first()
            if found is not None:
                return found.id, None
            copy_link = article_copies.c.canonical_url == canonical
            if guid:
                copy_link = copy_link & _not_of_feed(article_copies.c.guid, guid)
            copy = conn.execute(select(article_copies).where(copy_link & my_copy).limit(1)).first()
            if copy is not None:
                return copy.article_id, copy
        return None

    def knows(self, url: str | None, guid: str | None) -> bool:
        """Whether a feed entry with this link and GUID is stored (any scope), as an article
        or as another outlet's copy: the same GUID, or the same link (normalised) where the
        entry or the stored one has no GUID (see bot.dedupe)."""
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
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

    def copies_of(self, ids: Iterable[int], *, scope: Scope) -> dict[int, tuple[Source, ...]]:
        """Other outlets' copies of each article that `scope` may see (brought in by it or
        the shared library; the operator sees all), as sources, oldest first, one per outlet.

        Each source carries the stored article's id (the copy has the same words).
        """
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        statement = (
            select(article_copies)
            .where(article_copies.c.article_id.in_(wanted))
            .order_by(article_copies.c.article_id, article_copies.c.seen_at)
        )
        if scope.visible is not None:
            statement = statement.where(article_copies.c.scope.in_(scope.visible))
        found: dict[int, dict[str, Source]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(statement):
                outlets = found.setdefault(row.article_id, {})
                if row.outlet_key not in outlets:
                    outlets[row.outlet_key] = Source(row.article_id, row.title, row.url, row.outlet)
        return {i: tuple(by_outlet.values()) for i, by_outlet in found.items()}

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
        with self.engine.connect() as conn:
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
        if not 0 < article_id < 2**63:
            return None  # beyond SQLite's integer range: cannot exist
        statement = _visible_to(select(*_ARTICLE_COLUMNS).where(articles.c.id == article_id), scope)
        with self.engine.connect() as conn:
            row = conn.execute(statement).first()
        return _article(row) if row else None

    def count(self, scope: Scope = OPERATOR) -> int:
        """Return how many articles `scope` may read (default: every stored article)."""
        statement = _visible_to(select(func.count()).select_from(articles), scope)
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def search(
        self,
        query: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
        *,
        scope: Scope,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
    ) -> list[Article]:
        """Return the newest articles `scope` may read matching a topic query, published (or
        stored) since.

        `stored_after`/`stored_until` select by first-seen time instead (digests use it: an
        item a feed back-dates is still new to the channel).
        """
        statement = self._newest(
            select(*_ARTICLE_COLUMNS), query, scope, since, stored_after, stored_until
        )
        with self.engine.connect() as conn:
            rows = conn.execute(statement.limit(limit)).all()
        return [_article(r) for r in rows]

    def titles(
        self, query: str | None = None, limit: int = 25, *, scope: Scope
    ) -> list[tuple[int, str]]:
        """(id, title) of the newest matching articles `scope` may read: what autocomplete
        needs, and no text."""
        statement = self._newest(select(articles.c.id, articles.c.title), query, scope)
        with self.engine.connect() as conn:
            return [(r.id, r.title) for r in conn.execute(statement.limit(limit))]

    def _newest(
        self,
        statement: Select,
        query: str | None,
        scope: Scope,
        since: datetime | None = None,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
    ) -> Select:
        """Order newest first and filter by scope, topic words and time windows."""
        when = func.coalesce(articles.c.published_at, articles.c.ingested_at)
        statement = _visible_to(statement, scope)
        statement = statement.order_by(when.desc(), articles.c.id.desc())
        words = _WORD.findall(query or "")
        if words:
            if self.dialect == "sqlite":
                statement = statement.where(_sqlite_topic(words))
            elif self.dialect == "postgresql":
                statement = statement.where(_postgres_topic(words))
            else:
                statement = statement.where(_portable_topic(words))
        if since is not None:
            statement = statement.where(when >= to_iso(since))
        if stored_after is not None:
            statement = statement.where(articles.c.ingested_at > to_iso(stored_after))
        if stored_until is not None:
            statement = statement.where(articles.c.ingested_at <= to_iso(stored_until))
        return statement

    def analyses(self, ids: Iterable[int]) -> dict[int, Analysis]:
        """Load the stored analysis of each article."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.id, articles.c.analysis, articles.c.text).where(
                    articles.c.id.in_(wanted)
                )
            ).all()
        # The analysis keeps sentence positions, so its sentences are sliced from the text.
        return {row.id: Analysis.from_bytes(row.analysis, row.text) for row in rows}


def _entitled(article_id: Any, scopes: Iterable[str], feed: str | None) -> Any:
    """SQL condition on an article id column: an article every one of `scopes` (scope keys)
    reads already, or one `feed` (a canonical feed URL) brought in, whose followers are all
    entitled to it.  What a link or GUID may find (see `Store._find_same`)."""
    readers = [
        exists()
        .where(article_scopes.c.article_id == article_id)
        .where(article_scopes.c.scope.in_(sorted({key, SHARED})))
        for key in set(scopes)
    ]
    condition = and_(*readers) if readers else false()
    if feed:
        condition = condition | exists().where(
            article_feeds.c.article_id == article_id, article_feeds.c.feed_url == feed
        )
    return condition


def _not_of_feed(column: Any, guid: str) -> Any:
    """SQL: `column` holds no GUID of `guid`'s feed (see bot.dedupe.guid_feed)."""
    prefix = guid_feed(guid) + " "
    return column.is_(None) | (func.substr(column, 1, len(prefix)) != prefix)


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


_ARTICLE_COLUMNS = (
    articles.c.id,
    articles.c.title,
    articles.c.text,
    articles.c.source,
    articles.c.url,
    articles.c.published_at,
    articles.c.ingested_at,
    articles.c.content_hash,
    articles.c.outlet,
    articles.c.guid,
)


def _article(row: Any) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        text=row.text,
        source=row.source,
        url=row.url,
        published_at=from_iso(row.published_at),
        ingested_at=from_iso(row.ingested_at) or datetime.now(UTC),
        content_hash=row.content_hash,
        outlet=row.outlet,
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


def _sqlite_topic(words: list[str]) -> Any:
    """SQLite: articles whose title or text has every word (FTS5, porter stems)."""
    # Quote every word so user input can never be FTS5 syntax; words are ANDed.
    match = " ".join('"' + w.replace('"', "") + '"' for w in words)
    ids = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match")
    return articles.c.id.in_(ids.bindparams(match=match).columns(rowid=Integer))


def _sqlite_phrase_candidates(runs: Iterable[list[str]]) -> Any:
    """SQLite: at most 20 articles whose text holds one of `runs` (word lists) as a phrase."""
    match = " OR ".join('text : "' + " ".join(run) + '"' for run in runs)
    ids = text("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :match LIMIT 20")
    return articles.c.id.in_(ids.bindparams(match=match).columns(rowid=Integer))


def _postgres_topic(words: list[str]) -> Any:
    """PostgreSQL: articles whose `search` tsvector has every word (English stems); the GIN
    index `ix_articles_search` answers it.  plainto_tsquery reads its input as plain words,
    so user input is never query syntax."""
    return text(
        f"articles.search @@ plainto_tsquery('{POSTGRES_SEARCH_CONFIG}', :topic_words)"
    ).bindparams(topic_words=" ".join(words))


def _postgres_phrase_candidates(runs: Iterable[list[str]]) -> Any:
    """PostgreSQL: at most 20 articles that hold one of `runs` (word lists) as a phrase."""
    phrases = [" ".join(run) for run in runs]
    config = POSTGRES_SEARCH_CONFIG
    query = " || ".join(f"phraseto_tsquery('{config}', :run_{i})" for i in range(len(phrases)))
    ids = text(f"SELECT id FROM articles WHERE search @@ ({query}) LIMIT 20").bindparams(
        **{f"run_{i}": phrase for i, phrase in enumerate(phrases)}
    )
    return articles.c.id.in_(ids.columns(id=Integer))


def _portable_topic(words: list[str]) -> Any:
    """Any other database: every word somewhere in the title or text (no index, no stems)."""
    return and_(
        *(articles.c.title.ilike(f"%{w}%") | articles.c.text.ilike(f"%{w}%") for w in words)
    )


def _postgres_migration_lock(conn: Connection) -> None:
    """PostgreSQL: hold a transaction-scoped advisory lock, so of several processes starting
    at once one migrates and the others wait, then find the schema current.  (SQLite's
    `BEGIN IMMEDIATE` serialises them already.)"""
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727265) -- briefbot schema")
