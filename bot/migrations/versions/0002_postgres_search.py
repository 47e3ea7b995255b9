"""PostgreSQL full-text search: a text search configuration, a generated tsvector column
and its GIN index.

The database keeps `articles.search` in step with the title and text (a STORED generated
column, PostgreSQL 12+), so an article and its index entry commit together, as FTS5's
triggers do on SQLite.  Nothing to do on SQLite (FTS5 is part of the baseline).

Revision ID: 0002_postgres_search
Revises: 0001_baseline
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

from bot.store import POSTGRES_SEARCH_CHARS, POSTGRES_SEARCH_CONFIG

revision = "0002_postgres_search"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # English stems as FTS5's porter tokenizer makes them, and like FTS5 no stop words dropped
    # ("not", "it" and "who" are topics too): Snowball's English stemmer without a stop list.
    op.execute(
        f"CREATE TEXT SEARCH DICTIONARY {POSTGRES_SEARCH_CONFIG}_stem "
        "(TEMPLATE = snowball, Language = english)"
    )
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {POSTGRES_SEARCH_CONFIG} (COPY = english)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION {POSTGRES_SEARCH_CONFIG} "
        f"ALTER MAPPING REPLACE english_stem WITH {POSTGRES_SEARCH_CONFIG}_stem"
    )
    words = f"left(coalesce(title, '') || ' ' || coalesce(text, ''), {POSTGRES_SEARCH_CHARS})"
    op.execute(
        "ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('{POSTGRES_SEARCH_CONFIG}'::regconfig, {words})) STORED"
    )
    op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search)")


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
