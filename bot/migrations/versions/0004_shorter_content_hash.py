"""Content hashes of 128 bits: the first 32 hex digits of the SHA-256 each article had.

`bot.store.content_hash` keeps `CONTENT_HASH_CHARS` hex digits (half of SHA-256's 64): a
collision among a store's articles stays out of reach (2**-128 per pair), and the column and
its unique index hold half the bytes.  Every stored hash is cut to its first 32 digits, which
is what `content_hash` now gives for the same words, so deduplication finds them as before.
The full-text index does not follow this column (its triggers watch title, text and dates).

Revision ID: 0004_shorter_content_hash
Revises: 0003_feed_claims
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from bot.store import CONTENT_HASH_CHARS

revision = "0004_shorter_content_hash"
down_revision = "0003_feed_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        f"UPDATE articles SET content_hash = substr(content_hash, 1, {CONTENT_HASH_CHARS}) "
        f"WHERE length(content_hash) > {CONTENT_HASH_CHARS}"
    )


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
