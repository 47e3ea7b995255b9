"""Content hashes stored as their 16 bytes instead of 32 hex digits.

`bot.store.content_hash` is unchanged (the first 128 bits of the SHA-256 of an article's
words, as hex); the store keeps its bytes: 16 bytes less in each row and in the unique index
on the column, 3.2 MB of a 100,000-article store (bench/scale.py).  Each stored hash is the
hex of those bytes, so deduplication finds every stored article as before.

PostgreSQL: the column becomes bytea, converted in place.  SQLite: the column keeps its
declared type (changing it means rebuilding the table, its indexes and the full-text
triggers) and its values become 16-byte blobs, which TEXT affinity stores and compares as
they are; a new store declares it BLOB.  A value that is not 32 hex digits (none that
briefbot wrote) becomes the first 16 bytes of its own SHA-256, so it stays unique.  The
full-text index does not follow this column (its triggers watch title, text and dates).

Revision ID: 0005_binary_content_hash
Revises: 0004_shorter_content_hash
Create Date: 2026-12-01
"""

from __future__ import annotations

import hashlib
import re

from alembic import op
from sqlalchemy import LargeBinary, inspect

revision = "0005_binary_content_hash"
down_revision = "0004_shorter_content_hash"
branch_labels = None
depends_on = None

_HEX = re.compile(r"[0-9a-fA-F]{32}")


def _as_bytes(value: str) -> bytes:
    if _HEX.fullmatch(value):
        return bytes.fromhex(value)
    return hashlib.sha256(value.encode("utf-8")).digest()[:16]


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        column = next(
            c for c in inspect(conn).get_columns("articles") if c["name"] == "content_hash"
        )
        if isinstance(column["type"], LargeBinary):  # a store created with this revision's schema
            return
        op.execute(
            "ALTER TABLE articles ALTER COLUMN content_hash TYPE bytea USING "
            "CASE WHEN content_hash ~ '^[0-9a-fA-F]{32}$' THEN decode(content_hash, 'hex') "
            "ELSE substring(sha256(convert_to(content_hash, 'UTF8')) FROM 1 FOR 16) END"
        )
        return
    rows = conn.exec_driver_sql(
        "SELECT id, content_hash FROM articles WHERE typeof(content_hash) = 'text'"
    ).all()
    if rows:
        conn.exec_driver_sql(
            "UPDATE articles SET content_hash = ? WHERE id = ?",
            [(_as_bytes(value), article_id) for article_id, value in rows],
        )


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
