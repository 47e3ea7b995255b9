"""The languages of the stored articles, kept in a table of their own by a trigger.

A topic search reads the languages stored (`Store.languages`, bot.sqlite_reads) to stem its
words in each.  Read from `articles`, that was a scan of every row on the first search of a
process: on SQLite the language column sits after the text, so the scan read the whole
store (0.48 s of a cold `briefbot brief TOPIC` at 100,000 articles, measured on 2 cores).
The trigger adds an article's language on insert or change, whoever writes it, so every
process reads a table of a few rows; a language stays listed once seen (articles keep their
language; a spare language only adds prefix forms to a search).

Revision ID: 0006_article_languages
Revises: 0005_binary_content_hash
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from bot.store import article_languages

revision = "0006_article_languages"
down_revision = "0005_binary_content_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    article_languages.create(conn, checkfirst=True)
    op.execute(
        # "WHERE true": SQLite would read ON CONFLICT right after FROM as a join's ON.
        "INSERT INTO article_languages (lang) SELECT DISTINCT coalesce(lang, 'en') "
        "FROM articles WHERE true ON CONFLICT DO NOTHING"
    )
    add = "INSERT INTO article_languages (lang) VALUES (coalesce(NEW.lang, 'en')) "
    if conn.dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION briefbot_article_language() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {add} ON CONFLICT DO NOTHING; RETURN NEW; END $$"
        )
        # Idempotent, as the revisions before it: a store stamped again runs it again.
        op.execute("DROP TRIGGER IF EXISTS articles_lang ON articles")
        op.execute(
            "CREATE TRIGGER articles_lang AFTER INSERT OR UPDATE OF lang ON articles "
            "FOR EACH ROW EXECUTE FUNCTION briefbot_article_language()"
        )
        return
    for name, event in (("articles_lang_ai", "INSERT"), ("articles_lang_au", "UPDATE OF lang")):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON articles BEGIN "
            f"{add.replace('INSERT', 'INSERT OR IGNORE', 1)}; END"
        )


def downgrade() -> None:
    raise NotImplementedError("briefbot migrates forward only")
