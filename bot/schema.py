"""What a current store looks like, readable without SQLAlchemy or Alembic.

`Store` (bot/store.py) and the stdlib read path (bot/sqlite_reads.py) both ask one question on
open: are the legacy steps, the Alembic revision and the analysis format all at this
briefbot's own?  Its parts live here so that answering it imports neither SQLAlchemy (~0.4 s)
nor Alembic.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

# The legacy steps (`store.MIGRATIONS`) are frozen at the Alembic baseline: a store they have
# all run on says so in `meta.schema_version` (tests check it is `len(store.MIGRATIONS)`).
SCHEMA_VERSION = 16

# The full-text index keys each article by when it was published (first seen when undated) to
# the minute, then by id, so the newest matches of a topic are the index's highest rowids: a
# search walks the index from the top and stops at its limit instead of visiting every match.
# rowid = minute * 2**FTS_ID_BITS + id (ids below 2**32; minutes since 1970 of years up to
# 10000 below 2**28, so the key fits SQLite's 64 bits).  Both read paths (`Store`,
# bot.sqlite_reads) walk it.
FTS_ID_BITS = 32
FTS_ID_MASK = (1 << FTS_ID_BITS) - 1
# Rows a walk reads past its limit, to see the end of the last row's minute.
FTS_LOOKAHEAD = 8

# The largest row id any table can hold on every database: PostgreSQL's INTEGER is 32 bits
# (SQLite's 64).  An id typed in chat above it names no row; comparing it in SQL would be an
# error on PostgreSQL ("integer out of range"), so lookups answer None before asking.
MAX_ROW_ID = 2**31 - 1

# What every connection to an SQLite store sets (`Store`'s engine, bot.sqlite_reads), after
# BEGIN is left to briefbot: WAL, so readers never block the writer; NORMAL sync, which in WAL
# mode never corrupts the database (a power cut may lose only the last commits) and spares an
# fsync per article, which bounds ingest speed; wait for locks rather than fail; foreign keys.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)

# Values per IN (...) list: well under SQLite's oldest limit of 999 parameters a statement.
IN_CHUNK = 500

# A channel's last briefing replaced in one statement, on both databases and both read paths
# (named parameters, as SQLAlchemy's `text` and the sqlite3 module both take them): two
# briefings of one channel at once both succeed, the later kept.  Deleting, then inserting,
# made the second fail on PostgreSQL (a unique violation, logged with its traceback).
SAVE_CHANNEL_BRIEFING = (
    "INSERT INTO channel_briefings (platform, workspace, channel, briefing, made_at) "
    "VALUES (:platform, :workspace, :channel, :briefing, :made_at) "
    "ON CONFLICT (platform, workspace, channel) DO UPDATE SET "
    "briefing = excluded.briefing, made_at = excluded.made_at"
)

# meta.schema_version, meta.analysis_format and the Alembic revision, in one read.
CURRENT_QUERY = (
    "SELECT (SELECT value FROM meta WHERE key = 'schema_version'), "
    "(SELECT value FROM meta WHERE key = 'analysis_format'), "
    "(SELECT version_num FROM alembic_version)"
)

_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@functools.cache
def shipped_head() -> str | None:
    """The newest Alembic revision in bot/migrations/versions, read from the scripts' own
    `revision = "..."` / `down_revision = "..."` lines without importing Alembic; None when
    the lines do not give exactly one head (then `Store` asks Alembic itself)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (Path(__file__).parent / "migrations" / "versions").glob("*.py"):
        found = dict(_REVISION_LINE.findall(script.read_text(encoding="utf-8")))
        revision, parent = found.get("revision", ""), found.get("down_revision", "None")
        if not re.fullmatch(r"[\"'][\w.-]+[\"']", revision):
            return None
        revisions.add(revision[1:-1])
        if parent != "None":
            if not re.fullmatch(r"[\"'][\w.-]+[\"']", parent):
                return None  # a merge revision (a tuple): leave it to Alembic
            parents.add(parent[1:-1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_current(row: tuple[object, ...] | None) -> bool:
    """Tell whether a row of `CURRENT_QUERY` is this briefbot's schema and analysis format
    (False when the revisions cannot be read without Alembic)."""
    from summarizers.analysis_format import FORMAT

    head = shipped_head()
    if head is None or row is None:
        return False
    return tuple(row) == (str(SCHEMA_VERSION), str(FORMAT), head)
