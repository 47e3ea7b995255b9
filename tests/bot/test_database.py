"""The store on either database: PostgreSQL URLs, Alembic upgrades of stores written before
Alembic, and full-text search that finds the same articles on SQLite and PostgreSQL.

Runs on SQLite, and on PostgreSQL too when BRIEFBOT_TEST_DATABASE_URL is set (tests/conftest.py).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story
from fakes.analyses import assert_same_analysis
from fakes.languages import ARTICLES
from fakes.walls import COOKIE_STORY, PAYWALL_STORY
from sqlalchemy import inspect, text

from bot import migrations
from bot.config import database_url as with_driver
from bot.errors import BadArgument
from bot.models import ArticleDraft
from bot.scopes import OPERATOR
from bot.store import (
    CONTENT_HASH_CHARS,
    SCHEMA_VERSION,
    SchemaUpgrade,
    Store,
    content_hash,
    shipped_head,
    upgrade_schema,
)
from summarizers.analysis import Analysis, analyze
from summarizers.analysis_format import FORMAT as ANALYSIS_FORMAT

STORIES = (HARBOUR, HARVEST, CHESS, VOLCANO, COOKIE_STORY, PAYWALL_STORY)
# Topics: plain words, stems ("repairs" finds "repair"), several words (ANDed), stop words
# (FTS5 indexes every word, and so does briefbot's PostgreSQL configuration), query syntax.
TOPICS = (
    "harbour",
    "repair",
    "bridge storm",
    "wheat harvest farmers",
    "chess",
    "volcano monitoring",
    "the",
    "not",
    "it",
    "harbour NOT bridge",
    '"storm" OR chess',
    "nothing-matches-this",
    "",
)


def fill(store: Store, clock) -> dict[str, int]:
    ids = {}
    for story in STORIES:
        draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Test Herald")
        article, _ = store.add(draft, analyze(draft.text, draft.title), clock.now())
        ids[story.title] = article.id
    return ids


def found(store: Store, topic: str) -> list[str]:
    return sorted(a.title for a in store.search(topic, scope=OPERATOR, limit=100))


def test_postgresql_urls_without_a_driver_mean_psycopg() -> None:
    assert with_driver("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_driver("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert with_driver(" postgresql+psycopg://u@h/db ") == "postgresql+psycopg://u@h/db"
    assert with_driver("sqlite:///x.db") == "sqlite:///x.db"
    assert with_driver("") == "sqlite:///briefbot.db"


def test_the_legacy_migrations_are_frozen_at_the_alembic_baseline() -> None:
    # A new schema change is an Alembic revision in bot/migrations/versions, not a new
    # `_migration_*` in bot.store.MIGRATIONS: docs/architecture.md, "Schema versions".
    assert SCHEMA_VERSION == 16


def test_a_new_store_is_at_the_newest_revision(database_url: str) -> None:
    store = Store(database_url)
    try:
        with store.engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        store.close()


def test_full_text_search_finds_the_same_articles_on_both_databases(
    database_url: str, tmp_path: Path, clock
) -> None:
    reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
    store = Store(database_url)
    try:
        fill(reference, clock)
        fill(store, clock)
        for topic in TOPICS:
            assert found(store, topic) == found(reference, topic), topic
        assert found(store, "northport") == [HARBOUR.title]
        assert len(found(store, "the")) == len(STORIES)
        titles = [t for _, t in store.titles("storm repairs", scope=OPERATOR)]
        assert titles == [HARBOUR.title]
    finally:
        store.close()
        reference.close()


def test_an_edited_article_is_found_by_its_new_words(database_url: str, clock) -> None:
    # The index is the database's (FTS5 triggers, a generated tsvector): a changed text is
    # searchable at once, and its old words are gone.
    from bot.store import articles

    store = Store(database_url)
    try:
        ids = fill(store, clock)
        with store.transaction() as conn:
            conn.execute(
                articles.update()
                .where(articles.c.id == ids[CHESS.title])
                .values(text="A quiet tournament of draughts.")
            )
        assert found(store, "draughts") == [CHESS.title]
        assert CHESS.title not in found(store, "okonkwo")
    finally:
        store.close()


def _wire(story: Story, outlet: str, title: str) -> ArticleDraft:
    body = "\n".join(story.paragraphs)
    return ArticleDraft(title, f"{outlet} wire report.\n{body}", outlet, outlet=outlet)


def test_another_outlets_wire_copy_is_recognised_on_both_databases(
    database_url: str, clock
) -> None:
    store = Store(database_url)
    try:
        first = _wire(VOLCANO, "Northern Post", VOLCANO.title)
        article, status = store.put(first, analyze(first.text, first.title), clock.now())
        assert status == "stored"
        copy = _wire(VOLCANO, "Southern Times", "Kesra volcano watched more closely")
        again, status = store.put(copy, analyze(copy.text, copy.title), clock.now())
        assert (again.id, status) == (article.id, "copy")
        assert store.count() == 1
    finally:
        store.close()


def test_a_store_from_before_alembic_is_stamped_with_its_data_intact(
    database_url: str, clock
) -> None:
    # What briefbot wrote before Alembic: the legacy steps' schema, no alembic_version table
    # (and on PostgreSQL none of the search machinery the 0002 revision adds).
    store = Store(database_url)
    ids = fill(store, clock)
    with store.transaction() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP INDEX ix_articles_search"))
            conn.execute(text("ALTER TABLE articles DROP COLUMN search"))
            conn.execute(text("DROP TEXT SEARCH CONFIGURATION briefbot_english"))
            conn.execute(text("DROP TEXT SEARCH DICTIONARY briefbot_english_stem"))
    store.close()

    again = Store(database_url)
    try:
        with again.engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            assert "alembic_version" in inspect(conn).get_table_names()
        assert again.count() == len(STORIES)
        assert found(again, "northport") == [HARBOUR.title]
        got = again.get(ids[CHESS.title], scope=OPERATOR)
        assert got is not None and got.title == CHESS.title
    finally:
        again.close()


def test_a_store_at_an_unknown_revision_is_refused(database_url: str) -> None:
    store = Store(database_url)
    with store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    store.close()
    with pytest.raises(BadArgument, match="newer briefbot"):
        Store(database_url)


def test_a_store_analysed_by_a_newer_briefbot_is_refused_not_reanalysed(
    database_url: str,
) -> None:
    store = Store(database_url)
    with store.transaction() as conn:
        conn.execute(
            text("UPDATE meta SET value = :v WHERE key = 'analysis_format'"),
            {"v": str(ANALYSIS_FORMAT + 1)},
        )
    store.close()
    with pytest.raises(BadArgument, match="newer briefbot"):
        Store(database_url)
    again = Store(database_url, migrate=False)  # look without opening it for use
    try:
        assert again.get_meta("analysis_format") == str(ANALYSIS_FORMAT + 1)
    finally:
        again.close()


def test_the_head_read_without_alembic_is_alembics_head() -> None:
    # Store skips Alembic when the store is at this head, so the two must agree.
    assert shipped_head() == migrations.head()


def test_a_refused_connection_is_one_line_naming_the_address_and_the_setting() -> None:
    pytest.importorskip("psycopg")
    import socket

    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        for url in (
            f"postgresql://bob:hunter2@127.0.0.1:{port}/news",
            # libpq takes a password from the query string too (found by the newcomer review)
            f"postgresql://bob@127.0.0.1:{port}/news?password=hunter2&sslmode=disable",
            f"postgresql:///news?host=127.0.0.1&port={port}&sslpassword=hunter2&password=hunter2",
        ):
            with pytest.raises(BadArgument) as raised:
                Store(url)
            message = str(raised.value)
            assert len(message.splitlines()) == 1, message
            assert f"{port}" in message and "DATABASE_URL" in message
            assert "Connection refused" in message and "hunter2" not in message
            with pytest.raises(BadArgument) as again:  # `briefbot db upgrade` says the same
                upgrade_schema(url)
            assert str(again.value) == message


def test_a_store_one_revision_behind_is_upgraded_on_open(database_url: str) -> None:
    store = Store(database_url)
    with store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002_postgres_search'"))
        conn.execute(text("DROP TABLE feed_claims"))
    store.close()
    again = Store(database_url)
    try:
        with again.engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            assert "feed_claims" in inspect(conn).get_table_names()
    finally:
        again.close()


def test_full_length_content_hashes_are_cut_on_open_and_still_find_their_articles(
    database_url: str, clock
) -> None:
    import hashlib

    store = Store(database_url)
    ids = fill(store, clock)
    # What briefbot wrote before revision 0004: the whole SHA-256 of the words, 64 digits.
    with store.transaction() as conn:
        hex_text_column(conn)
        rows = conn.execute(text("SELECT id, title, text FROM articles")).all()
        for row in rows:
            words = " ".join(re.findall(r"[^\W_]+", f"{row.title}\n{row.text}".casefold()))
            full = hashlib.sha256(words.encode("utf-8")).hexdigest()
            conn.execute(
                text("UPDATE articles SET content_hash = :h WHERE id = :i"),
                {"h": full, "i": row.id},
            )
        conn.execute(text("UPDATE alembic_version SET version_num = '0003_feed_claims'"))
    store.close()
    again = Store(database_url)
    try:
        with again.engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            hashes = dict(conn.execute(text("SELECT id, content_hash FROM articles")).all())
        assert {len(h) for h in hashes.values()} == {CONTENT_HASH_CHARS // 2}  # bytes, 0005
        for story in STORIES:  # the same words again: recognised, nothing stored twice
            draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Another Herald")
            assert bytes(hashes[ids[story.title]]).hex() == content_hash(draft.title, draft.text)
            article, status = again.put(draft, analyze(draft.text, draft.title), clock.now())
            assert (article.id, status) == (ids[story.title], "duplicate")
        assert again.count(OPERATOR) == len(STORIES)
    finally:
        again.close()


def hex_text_column(conn) -> None:
    """Make the content hashes what briefbot stored before revision 0005: hex digits in a
    text column."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            text(
                "ALTER TABLE articles ALTER COLUMN content_hash TYPE text "
                "USING encode(content_hash, 'hex')"
            )
        )
    else:
        conn.execute(text("UPDATE articles SET content_hash = lower(hex(content_hash))"))


def test_hex_content_hashes_become_bytes_on_open_and_still_find_their_articles(
    database_url: str, clock
) -> None:
    store = Store(database_url)
    ids = fill(store, clock)
    with store.transaction() as conn:
        before = conn.execute(text("SELECT id, title, text, analysis FROM articles")).all()
        hex_text_column(conn)
        hexes = dict(conn.execute(text("SELECT id, content_hash FROM articles")).all())
        conn.execute(text("UPDATE alembic_version SET version_num = '0004_shorter_content_hash'"))
    assert {len(h) for h in hexes.values()} == {CONTENT_HASH_CHARS}
    store.close()
    again = Store(database_url)
    try:
        with again.engine.connect() as conn:
            assert migrations.current(conn) == migrations.head()
            hashes = dict(conn.execute(text("SELECT id, content_hash FROM articles")).all())
            after = conn.execute(text("SELECT id, title, text, analysis FROM articles")).all()
        assert sorted(after) == sorted(before)  # nothing else changed
        assert {i: bytes(h).hex() for i, h in hashes.items()} == hexes
        for story in STORIES:  # the same words again: recognised, nothing stored twice
            draft = ArticleDraft(story.title, "\n".join(story.paragraphs), "Another Herald")
            article, status = again.put(draft, analyze(draft.text, draft.title), clock.now())
            assert (article.id, status) == (ids[story.title], "duplicate")
            assert article.content_hash == content_hash(draft.title, draft.text)
        new, status = again.put(
            ArticleDraft("Fresh words", "Nothing like this was stored before.", "Herald"),
            analyze("Nothing like this was stored before.", "Fresh words"),
            clock.now(),
        )
        assert status == "stored"
        assert again.get(new.id, scope=OPERATOR).content_hash == new.content_hash
        assert again.count(OPERATOR) == len(STORIES) + 1
    finally:
        again.close()


def test_without_migrate_a_store_behind_is_refused_until_upgraded(database_url: str) -> None:
    store = Store(database_url)
    with store.transaction() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001_baseline'"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP INDEX ix_articles_search"))
            conn.execute(text("ALTER TABLE articles DROP COLUMN search"))
            conn.execute(text("DROP TEXT SEARCH CONFIGURATION briefbot_english"))
            conn.execute(text("DROP TEXT SEARCH DICTIONARY briefbot_english_stem"))
    store.close()
    with pytest.raises(BadArgument, match="briefbot db upgrade"):
        Store(database_url, migrate=False)
    assert upgrade_schema(database_url) == SchemaUpgrade("0001_baseline", migrations.head())
    assert upgrade_schema(database_url) == SchemaUpgrade(migrations.head(), migrations.head())
    upgraded = Store(database_url, migrate=False)
    upgraded.close()


def test_db_upgrade_on_the_command_line(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BRIEFBOT_AUTO_MIGRATE", "0")
    monkeypatch.setenv("BRIEFBOT_LOAD_SEEDS", "0")
    assert main(["db", "upgrade"]) == 0  # an empty database: nothing was there to upgrade
    assert f"schema was created (revision {migrations.head()})" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["articles"]) == 0  # BRIEFBOT_AUTO_MIGRATE=0 opens a current store


def format_9_blob(analysis: Analysis, text: str) -> bytes:
    """The analysis as briefbot wrote it at format 9: every term id stored, 4 bytes each."""

    def narrowest(values: np.ndarray) -> tuple[int, bytes]:
        top = int(values.max()) if values.size else 0
        code = 0 if top < 1 << 8 else 1 if top < 1 << 16 else 2
        return code, values.astype(("<u1", "<u2", "<u4")[code]).tobytes()

    spans, cursor = [], 0
    for sentence in analysis.sentences:
        found = text.find(sentence, cursor)
        assert found >= 0  # these articles' sentences are slices of their text
        cursor = found + len(sentence)
        spans += (found, cursor)
    span_width, packed_spans = narrowest(np.array(spans, dtype=np.int64))
    per_sentence = np.concatenate([analysis.bounds[1:], analysis.word_counts, analysis.paragraphs])
    sentence_width, packed_sentences = narrowest(per_sentence)
    header = struct.pack(
        "<4s5IB",
        b"BBA9",
        len(text),
        len(analysis),
        0,
        analysis.term_ids.size,
        analysis.title_ids.size,
        span_width | sentence_width << 2,
    )
    return b"".join(
        [
            header,
            packed_spans,
            packed_sentences,
            analysis.flags.tobytes(),
            analysis.term_ids.astype("<u4").tobytes(),
            analysis.title_ids.astype("<u4").tobytes(),
        ]
    )


def test_a_format_9_store_is_reanalysed_on_open_losing_nothing(database_url: str, clock) -> None:
    store = Store(database_url)
    fill(store, clock)
    for lang in ("de", "zh"):  # other languages: their own terms, recomputed in their language
        headline, sentences = ARTICLES[lang][0]
        joiner = "" if lang == "zh" else " "
        draft = ArticleDraft(headline, joiner.join(sentences), "Test Herald", lang=lang)
        store.add(draft, analyze(draft.text, draft.title, lang), clock.now())
    # What briefbot wrote at format 9 (the blobs of `format_9_blob`).
    with store.transaction() as conn:
        rows = conn.execute(text("SELECT id, title, text, lang FROM articles")).all()
        for row in rows:
            old = format_9_blob(analyze(row.text, row.title, row.lang), row.text)
            conn.execute(
                text("UPDATE articles SET analysis = :blob WHERE id = :id"),
                {"blob": old, "id": row.id},
            )
        conn.execute(text("UPDATE meta SET value = '9' WHERE key = 'analysis_format'"))
    store.close()
    again = Store(database_url)
    try:
        assert again.get_meta("analysis_format") == str(ANALYSIS_FORMAT)
        assert again.count(OPERATOR) == len(rows) == len(STORIES) + 2
        loaded = again.analyses([row.id for row in rows])
        for row in rows:
            assert_same_analysis(loaded[row.id], analyze(row.text, row.title, row.lang))
        with again.engine.connect() as conn:
            after = conn.execute(text("SELECT id, title, text, lang FROM articles")).all()
        assert sorted(after) == sorted(rows)  # every article, word for word
        assert HARBOUR.title in found(again, "harbour")  # the full-text index untouched
    finally:
        again.close()


def test_times_without_microseconds_sort_as_they_happened_on_both_databases(
    database_url: str,
) -> None:
    # `to_iso` leaves out six zero digits of microseconds: the database's text order (what
    # every date comparison and index uses) must still be time order, also against the
    # always-six-digit form rows written before keep.
    from datetime import UTC, datetime, timedelta

    from bot.store import from_iso, to_iso

    base = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    moments = sorted(
        {
            base + timedelta(seconds=s, microseconds=m)
            for s in (-61, -1, 0, 1, 59, 3600 * 24 * 40)
            for m in (0, 1, 9, 10, 99_999, 100_000, 500_000, 999_999)
        }
    )
    written = [to_iso(m) for m in moments]
    assert "2026-01-31T09:30:00+00:00" in written  # shorter, without microseconds
    assert [from_iso(w) for w in written] == moments
    old = [m.isoformat(timespec="microseconds") for m in moments]  # rows written before
    assert [from_iso(w) for w in old] == moments
    store = Store(database_url)
    try:
        with store.transaction() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE times (value TEXT, moment_index INTEGER)"))
            for i, (new_form, old_form) in enumerate(zip(written, old, strict=True)):
                conn.execute(text("INSERT INTO times VALUES (:v, :i)"), {"v": new_form, "i": i})
                if new_form != old_form:
                    conn.execute(text("INSERT INTO times VALUES (:v, :i)"), {"v": old_form, "i": i})
            ordered = conn.execute(text("SELECT moment_index FROM times ORDER BY value")).all()
            # Every pair of different times sorts by time, whichever form each was written in.
            assert [i for (i,) in ordered] == sorted(i for (i,) in ordered)
            later = conn.execute(
                text("SELECT value, moment_index FROM times WHERE value > :v"),
                {"v": to_iso(base)},
            ).all()
            # Strictly after a whole second: every later time in either form, and the same
            # second only in the old six-zero form (the one difference `to_iso` documents).
            assert {i for _, i in later} == {i for i, m in enumerate(moments) if m >= base}
            assert [v for v, i in later if moments[i] == base] == [old[moments.index(base)]]
    finally:
        store.close()


def test_the_languages_stored_are_kept_by_the_database_for_every_writer(
    database_url: str, clock
) -> None:
    """Revision 0006: a trigger lists each article's language as it is stored or changed,
    whichever process writes it, and the revision lists those stored before it."""
    writer = Store(database_url)
    reader = Store(database_url)
    try:
        fill(writer, clock)
        assert reader.languages() == {"en"}
        german = ArticleDraft("Streik", "Die Fahrer streiken am Montag. Der Verkehr ruht.", "X")
        writer.add(german, analyze(german.text, german.title, "de"), clock.now())
        assert reader.languages() == {"en", "de"}  # another store's article, at once
        with writer.transaction() as conn:
            listed = set(conn.execute(text("SELECT lang FROM article_languages")).scalars())
            assert listed == {"en", "de"}
            conn.execute(text("UPDATE articles SET lang = 'fr' WHERE title = 'Streik'"))
            listed = set(conn.execute(text("SELECT lang FROM article_languages")).scalars())
            assert listed == {"en", "de", "fr"}
            # As a store at revision 0005 was: no table of languages yet.
            conn.execute(
                text(
                    "DROP TABLE article_languages CASCADE"
                    if conn.dialect.name == "postgresql"
                    else "DROP TABLE article_languages"
                )
            )
            conn.execute(
                text("UPDATE alembic_version SET version_num = '0005_binary_content_hash'")
            )
    finally:
        reader.close()
        writer.close()
    again = Store(database_url)
    try:
        assert again.languages() == {"en", "fr"}  # listed again from the articles
    finally:
        again.close()


def test_two_briefings_of_one_channel_saved_at_once_both_succeed(database_url: str) -> None:
    """Each save replaces the channel's last briefing in one statement: two at once never
    collide on the channel's key (delete-then-insert did, on PostgreSQL)."""
    import threading
    from datetime import UTC, datetime

    store = Store(database_url)
    start = threading.Barrier(4)
    errors: list[str] = []

    def save(number: int) -> None:
        start.wait()
        for round_ in range(25):
            try:
                store.save_channel_briefing(
                    "slack", "T1", "C1", f'{{"n": {number}, "r": {round_}}}', datetime.now(UTC)
                )
            except Exception as exc:  # the assertion below names it
                errors.append(repr(exc))

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        kept = store.channel_briefing("slack", "T1", "C1")
        assert kept is not None and '"r": 24' in kept  # some thread's last save
    finally:
        store.close()
