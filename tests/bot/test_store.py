"""The article store on a real SQLite file: schema, duplicates, search, atomicity, processes."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import struct
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fakes import CHESS, HARBOUR, HARVEST, VOLCANO, Story
from fakes.analyses import assert_same_analysis
from sqlalchemy import select

from bot.errors import BadArgument
from bot.models import ArticleDraft
from bot.scopes import OPERATOR
from bot.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SQLITE_PAGE_SIZE,
    AnalysisCache,
    Store,
    _migration_fts_by_when,
    articles,
)
from summarizers.analysis import Analysis, analyze
from summarizers.analysis_format import FORMAT as ANALYSIS_FORMAT

PROJECT = Path(__file__).resolve().parents[2]


def draft(story: Story, **changes: object) -> ArticleDraft:
    values: dict[str, object] = {
        "title": story.title,
        "text": "\n".join(story.paragraphs),
        "source": "Test Herald",
    }
    values.update(changes)
    return ArticleDraft(**values)  # type: ignore[arg-type]


def add(store: Store, d: ArticleDraft, clock) -> tuple[int, bool]:
    article, created = store.add(d, analyze(d.text, d.title), clock.now())
    return article.id, created


@pytest.fixture
def store(database_url: str):
    opened = Store(database_url)
    try:
        yield opened
    finally:
        opened.close()


def fts_integrity_ok(db_path: Path) -> None:
    """Raise if the FTS index disagrees with the articles table."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")


# -- schema ----------------------------------------------------------------------------------


def test_schema_is_created_on_first_use_in_a_missing_folder(db_path: Path) -> None:
    assert not db_path.parent.exists()
    store = Store(f"sqlite:///{db_path}")
    store.close()
    with sqlite3.connect(db_path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert {"meta", "articles", "articles_fts"} <= names
    assert version == (str(SCHEMA_VERSION),)
    assert SCHEMA_VERSION >= 1


def test_reopening_keeps_articles_and_version(db_path: Path, clock) -> None:
    first = Store(f"sqlite:///{db_path}")
    article_id, _ = add(first, draft(HARBOUR), clock)
    first.close()

    second = Store(f"sqlite:///{db_path}")
    try:
        assert second.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert second.count() == 1
        got = second.get(article_id, scope=OPERATOR)
        assert got is not None
        assert got.title == HARBOUR.title
        assert [a.id for a in second.search("harbour", scope=OPERATOR)] == [article_id]
    finally:
        second.close()


def test_a_database_from_a_newer_version_is_refused(store: Store, db_path: Path) -> None:
    store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(BadArgument, match="newer"):
        Store(f"sqlite:///{db_path}")


def test_a_kept_analysis_is_read_again_once_the_article_is_analysed_again(
    store: Store, clock
) -> None:
    article_id, _ = add(store, draft(HARBOUR), clock)
    first = store.analyses([article_id])[article_id]
    assert store.analyses([article_id])[article_id] is first  # kept, not decoded again
    # Another process edits the headline and analyses the article again: other title terms.
    with store.transaction() as conn:
        text = conn.execute(select(articles.c.text).where(articles.c.id == article_id)).scalar_one()
        blob = analyze(text, "Storm repairs finished").to_bytes(text, "Storm repairs finished")
        conn.execute(
            articles.update()
            .where(articles.c.id == article_id)
            .values(title="Storm repairs finished", analysis=blob)
        )
    again = store.analyses([article_id])[article_id]
    assert again is not first
    assert again.sentences == first.sentences
    assert np.array_equal(again.title_ids, analyze(text, "Storm repairs finished").title_ids)
    assert not np.array_equal(again.title_ids, first.title_ids)


def test_the_analysis_cache_keeps_the_most_recently_used() -> None:
    cache = AnalysisCache(size=2)
    kept = [analyze(f"Sentence number {n} of a text.") for n in range(3)]
    cache.put(1, b"one", kept[0])
    cache.put(2, b"two", kept[1])
    assert cache.get(1, b"one") is kept[0]  # 1 is now the most recently used
    cache.put(3, b"three", kept[2])
    assert len(cache) == 2
    assert cache.get(2, b"two") is None
    assert cache.get(1, b"one") is kept[0]
    assert cache.get(1, b"another blob") is None


def test_stale_analyses_are_rebuilt_from_the_stored_text_on_open(db_path: Path, clock) -> None:
    first = Store(f"sqlite:///{db_path}")
    article_id, _ = add(first, draft(HARBOUR), clock)
    first.close()
    # An older briefbot wrote another analysis format.
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE articles SET analysis = ?", (b"BBA0 old layout",))
        conn.execute("UPDATE meta SET value = '0' WHERE key = 'analysis_format'")

    second = Store(f"sqlite:///{db_path}")
    try:
        rebuilt = second.analyses([article_id])[article_id]
        expected = analyze("\n".join(HARBOUR.paragraphs), HARBOUR.title)
        assert rebuilt.sentences == expected.sentences
        assert np.array_equal(rebuilt.term_ids, expected.term_ids)
        assert np.array_equal(rebuilt.flags, expected.flags)
        assert second.count() == 1
    finally:
        second.close()
    fts_integrity_ok(db_path)


def format_5_blob(analysis: Analysis) -> bytes:
    """The analysis as briefbot wrote it at format 5: every sentence's text, as JSON."""
    text = json.dumps(analysis.sentences, ensure_ascii=False).encode("utf-8")
    arrays = [
        analysis.term_ids.astype("<u4"),
        analysis.bounds.astype("<i4"),
        analysis.word_counts.astype("<i4"),
        analysis.paragraphs.astype("<i4"),
        analysis.title_ids.astype("<u4"),
    ]
    header = struct.pack("<4sI", b"BBA5", len(text)) + struct.pack("<5I", *(a.size for a in arrays))
    return b"".join([header, text, *(a.tobytes() for a in arrays), analysis.flags.tobytes()])


def reopened_reanalysed(db_path: Path, rows: list[tuple[int, str, str]]) -> dict[int, bytes]:
    """Open the store (which re-analyses an old format), check every article's analysis is
    what `analyze` gives and the format is the current one; return each article's new blob."""
    store = Store(f"sqlite:///{db_path}")
    try:
        assert store.count() == len(rows)
        loaded = store.analyses([article_id for article_id, _, _ in rows])
        for article_id, title, text in rows:
            assert_same_analysis(loaded[article_id], analyze(text, title))
        assert store.get_meta("analysis_format") == str(ANALYSIS_FORMAT)
    finally:
        store.close()
    with sqlite3.connect(db_path) as conn:
        blobs = dict(conn.execute("SELECT id, analysis FROM articles").fetchall())
    assert all(blob[:2] == bytes((0xBB, ANALYSIS_FORMAT)) for blob in blobs.values())
    fts_integrity_ok(db_path)
    return blobs


def test_a_format_5_store_is_reanalysed_on_open_into_positions_losing_nothing(
    db_path: Path, clock
) -> None:
    first = Store(f"sqlite:///{db_path}")
    for story in (HARBOUR, CHESS, VOLCANO):
        add(first, draft(story), clock)
    first.close()
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
        for article_id, title, text in rows:
            old = format_5_blob(analyze(text, title))
            conn.execute("UPDATE articles SET analysis = ? WHERE id = ?", (old, article_id))
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'analysis_format'")
    blobs = reopened_reanalysed(db_path, rows)
    for article_id, _, text in rows:
        assert len(blobs[article_id]) < len(text.encode("utf-8"))


def format_6_blob(analysis: Analysis, text: str) -> bytes:
    """The analysis as briefbot wrote it at format 6: 4-byte spans, bounds, counts, paragraphs."""
    spans = np.full((len(analysis), 2), -1, dtype="<i4")
    cursor = 0
    for i, sentence in enumerate(analysis.sentences):
        found = text.find(sentence, cursor)
        assert found >= 0  # the stories' sentences are slices of their text
        cursor = found + len(sentence)
        spans[i] = found, cursor
    arrays = [
        analysis.term_ids.astype("<u4"),
        analysis.bounds.astype("<i4"),
        analysis.word_counts.astype("<i4"),
        analysis.paragraphs.astype("<i4"),
        analysis.title_ids.astype("<u4"),
    ]
    header = struct.pack("<4s3I", b"BBA6", len(text), len(analysis), 0)
    header += struct.pack("<5I", *(a.size for a in arrays))
    body = [spans.tobytes(), *(a.tobytes() for a in arrays), analysis.flags.tobytes()]
    return header + b"".join(body)


def test_a_format_6_store_is_reanalysed_on_open_into_smaller_blobs_losing_nothing(
    db_path: Path, clock
) -> None:
    first = Store(f"sqlite:///{db_path}")
    for story in (HARBOUR, CHESS, VOLCANO, HARVEST):
        add(first, draft(story), clock)
    first.close()
    old_sizes = {}
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT id, title, text FROM articles").fetchall()
        for article_id, title, text in rows:
            old = format_6_blob(analyze(text, title), text)
            old_sizes[article_id] = len(old)
            conn.execute("UPDATE articles SET analysis = ? WHERE id = ?", (old, article_id))
        conn.execute("UPDATE meta SET value = '6' WHERE key = 'analysis_format'")
    blobs = reopened_reanalysed(db_path, rows)
    for article_id, _, _ in rows:
        assert len(blobs[article_id]) < 0.9 * old_sizes[article_id]


def test_a_malformed_database_url_is_a_user_error() -> None:
    with pytest.raises(BadArgument, match="DATABASE_URL"):
        Store("this is not a url")


@pytest.mark.parametrize(
    "url",
    [
        "nosuchdb://briefbot:hunter22@db.example/briefbot",  # no such SQLAlchemy dialect
        "postgresql+nosuchdriver://briefbot:hunter22@db.example/briefbot",  # no such driver
    ],
)
def test_a_database_url_briefbot_cannot_load_is_one_line_without_its_password(url: str) -> None:
    with pytest.raises(BadArgument, match="DATABASE_URL") as caught:
        Store(url)
    assert "hunter22" not in str(caught.value) and "\n" not in str(caught.value)


# -- adding ----------------------------------------------------------------------------------


def test_add_returns_the_stored_article(store: Store, clock) -> None:
    d = draft(HARBOUR, url="https://example.test/harbour")
    article, created = store.add(d, analyze(d.text, d.title), clock.now())
    assert created is True
    assert article.id >= 1
    assert article.title == HARBOUR.title
    assert article.url == "https://example.test/harbour"
    assert article.source == "Test Herald"
    assert article.ingested_at == clock.now()
    assert store.get(article.id, scope=OPERATOR) == article
    assert store.count() == 1


def test_the_same_article_twice_is_stored_once(store: Store, clock) -> None:
    first_id, first_new = add(store, draft(HARBOUR), clock)
    clock.advance(timedelta(hours=1))
    second_id, second_new = add(store, draft(HARBOUR), clock)
    assert (first_new, second_new) == (True, False)
    assert second_id == first_id
    assert store.count() == 1


def test_spacing_case_and_punctuation_do_not_make_a_new_article(store: Store, clock) -> None:
    add(store, draft(HARVEST), clock)
    reformatted = draft(
        HARVEST,
        title=HARVEST.title.upper(),
        text="\n\n".join(p.replace(",", " ,  ") for p in HARVEST.paragraphs),
    )
    _, created = add(store, reformatted, clock)
    assert created is False
    assert store.count() == 1


def test_the_same_url_is_the_same_article(store: Store, clock) -> None:
    url = "https://example.test/story"
    first_id, _ = add(store, draft(CHESS, url=url), clock)
    second_id, created = add(store, draft(CHESS, url=url, title="Chess: updated headline"), clock)
    assert created is False
    assert second_id == first_id
    assert store.count() == 1


def test_different_articles_are_all_stored(store: Store, clock) -> None:
    ids = [add(store, draft(s), clock) for s in (HARBOUR, HARVEST, CHESS, VOLCANO)]
    assert all(created for _, created in ids)
    assert len({i for i, _ in ids}) == 4
    assert store.count() == 4


def test_stored_analysis_round_trips(store: Store, clock) -> None:
    d = draft(VOLCANO)
    original = analyze(d.text, d.title)
    article, _ = store.add(d, original, clock.now())
    loaded = store.analyses([article.id, article.id])
    assert list(loaded) == [article.id]
    assert loaded[article.id].sentences == original.sentences
    assert np.array_equal(loaded[article.id].term_ids, original.term_ids)
    assert store.analyses([]) == {}


# -- atomicity -------------------------------------------------------------------------------


def test_an_analysis_that_cannot_be_serialized_stores_nothing(
    store: Store, db_path: Path, clock
) -> None:
    d = draft(HARBOUR)
    good = analyze(d.text, d.title)
    broken = Analysis(
        sentences=(object(),),  # not JSON: serialization fails inside add()
        term_ids=good.term_ids,
        bounds=good.bounds,
        word_counts=good.word_counts,
        paragraphs=good.paragraphs,
        title_ids=good.title_ids,
        flags=good.flags,
    )
    with pytest.raises(TypeError):
        store.add(d, broken, clock.now())
    assert store.count() == 0
    assert store.search("harbour", scope=OPERATOR) == []
    # The same article can still be stored afterwards.
    _, created = store.add(d, good, clock.now())
    assert created is True
    assert store.count() == 1
    fts_integrity_ok(db_path)


def test_a_failing_insert_stores_nothing(store: Store, db_path: Path, clock) -> None:
    d = draft(HARBOUR, title=None)  # violates NOT NULL once the row is written
    with pytest.raises(Exception, match=r"(?i)not null"):
        store.add(d, analyze("\n".join(HARBOUR.paragraphs)), clock.now())
    assert store.count() == 0
    fts_integrity_ok(db_path)


def test_a_transaction_that_raises_rolls_back_the_row_and_its_index_entry(
    store: Store, db_path: Path, clock
) -> None:
    d = draft(CHESS)
    blob = analyze(d.text, d.title).to_bytes(d.text, d.title)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store.transaction() as conn:
        conn.execute(
            articles.insert().values(
                title=d.title,
                source=d.source,
                ingested_at="2024-05-01T09:00:00+00:00",
                text=d.text,
                content_hash=bytes(16),
                analysis=blob,
            )
        )
        # Inside the transaction the row and its FTS entry exist...
        assert conn.exec_driver_sql("SELECT count(*) FROM articles").scalar_one() == 1
        raise Boom
    # ...and after the failure neither does.
    assert store.count() == 0
    assert store.search("chess", scope=OPERATOR) == []
    with sqlite3.connect(db_path) as raw:
        hits = raw.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'chess'")
        assert hits.fetchall() == []
    fts_integrity_ok(db_path)


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def four(store: Store, clock) -> dict[str, int]:
    ids = {}
    for story in (HARBOUR, HARVEST, CHESS, VOLCANO):
        ids[story.title], _ = add(store, draft(story), clock)
        clock.advance(timedelta(minutes=1))
    return ids


def _harbour_notes(store: Store, clock, moments: list[int]) -> list[tuple[str, int]]:
    """Store one article about a harbour per second offset in `moments` (ids in list order),
    published that many seconds after 12:00; return (published_at, id) of each."""
    base = clock.now().replace(hour=12, minute=0, second=0, microsecond=0)
    rows = []
    for n, seconds in enumerate(moments):
        d = ArticleDraft(
            title=f"Harbour note {n}",
            text=f"The harbour master filed note number {n} about berth {n * 7} today.",
            source="Test Herald",
            published_at=base + timedelta(seconds=seconds),
        )
        article_id, _ = add(store, d, clock)
        rows.append((d.published_at.isoformat(), article_id))
    return rows


def test_topic_search_gives_the_exact_newest_order_at_every_limit(store: Store, clock) -> None:
    # Several matches share a minute with ids out of time order, so a cut by the index's
    # (minute, id) order alone would pick the wrong ones; the search orders by exact time.
    moments = [30, 5, 59, 61, 1, 58, 125, -3, 60, 2]
    rows = _harbour_notes(store, clock, moments)
    newest = [i for _, i in sorted(rows, reverse=True)]
    for limit in range(1, len(rows) + 2):
        found = store.search("harbour", limit=limit, scope=OPERATOR)
        assert [a.id for a in found] == newest[:limit]
        bare = store.search("harbour", limit=limit, scope=OPERATOR, with_text=False)
        assert bare == [dataclasses.replace(a, text="") for a in found]
    assert [i for i, _ in store.titles("harbour", limit=3, scope=OPERATOR)] == newest[:3]


def test_topic_search_reads_the_rest_of_a_crowded_minute(store: Store, clock) -> None:
    # More matches in one minute than the search's look-ahead past its limit reaches: the
    # rest of the minute is read by a second query, and the order is still exact.
    moments = [(n * 37) % 60 for n in range(24)] + [75, -10, 61, 130]
    rows = _harbour_notes(store, clock, moments)
    newest = [i for _, i in sorted(rows, reverse=True)]
    for limit in (1, 2, 5, 10, 20, 24, 27, 40):
        found = store.search("harbour", limit=limit, scope=OPERATOR, with_text=False)
        assert [a.id for a in found] == newest[:limit]


def test_a_repeated_search_finds_what_was_stored_since(store: Store, clock) -> None:
    # The store keeps its search statements built; what they find is read anew each time.
    first = _harbour_notes(store, clock, [5, 10])
    for _ in range(2):
        assert len(store.search("harbour", limit=5, scope=OPERATOR, with_text=False)) == 2
        assert len(store.search(None, limit=5, scope=OPERATOR, with_text=False)) == 2
    later = ArticleDraft(
        title="Harbour late note",
        text="The harbour master filed a late note about the berth today.",
        source="Test Herald",
        published_at=datetime.fromisoformat(max(first)[0]) + timedelta(minutes=5),
    )
    late_id, _ = add(store, later, clock)
    found = store.search("harbour", limit=5, scope=OPERATOR, with_text=False)
    assert [a.id for a in found] == [late_id] + [i for _, i in sorted(first, reverse=True)]
    assert store.search(None, limit=5, scope=OPERATOR, with_text=False)[0].id == late_id


def test_a_store_indexed_by_id_is_reindexed_by_time_on_open(db_path: Path, clock) -> None:
    first = Store(f"sqlite:///{db_path}")
    rows = _harbour_notes(first, clock, [30, 5, 59, 61, 1])
    first.close()
    # Turn the index back into what briefbot wrote before it was keyed by time.
    with sqlite3.connect(db_path) as conn:
        for trigger in ("articles_ai", "articles_ad", "articles_au"):
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute("DROP TABLE articles_fts")
        conn.execute("DROP VIEW articles_fts_content")
        conn.execute(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        # The store as it was just before the time-keyed index (later steps run again).
        before = MIGRATIONS.index(_migration_fts_by_when)
        conn.execute(f"UPDATE meta SET value = '{before}' WHERE key = 'schema_version'")

    second = Store(f"sqlite:///{db_path}")
    try:
        newest = [i for _, i in sorted(rows, reverse=True)]
        assert [a.id for a in second.search("harbour", limit=3, scope=OPERATOR)] == newest[:3]
        later, _ = add(second, draft(CHESS), clock)  # the triggers index new articles
        assert [a.id for a in second.search("chess", scope=OPERATOR)] == [later]
        assert second.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        second.close()
    fts_integrity_ok(db_path)


def test_search_finds_words_in_the_text(store: Store, four: dict[str, int]) -> None:
    # "magma" appears only in the volcano story's body, not its title.
    assert [a.id for a in store.search("magma", scope=OPERATOR)] == [four[VOLCANO.title]]


def test_search_finds_words_in_the_title(store: Store, four: dict[str, int]) -> None:
    # "prodigy" appears only in the chess story's title.
    assert [a.id for a in store.search("prodigy", scope=OPERATOR)] == [four[CHESS.title]]


def test_from_matches_outlets_never_a_files_name(store: Store, clock) -> None:
    # A file's article has no outlet; its source is the file's name, which "from:x" must
    # neither match nor, as "-from:x", exclude by its ".txt" (found by the newcomer review).
    filed, _ = add(store, draft(HARBOUR, source="notes.txt", outlet=None), clock)
    wired, _ = add(store, draft(VOLCANO, outlet="Xinhua Wire"), clock)
    assert [a.id for a in store.search("from:x", scope=OPERATOR)] == [wired]
    assert [a.id for a in store.search("from:txt", scope=OPERATOR)] == []
    assert [a.id for a in store.search("-from:x", scope=OPERATOR)] == [filed]


def test_search_stems_and_ignores_case(store: Store, four: dict[str, int]) -> None:
    assert [a.id for a in store.search("HARVESTS", scope=OPERATOR)] == [four[HARVEST.title]]


def test_search_words_are_all_required(store: Store, four: dict[str, int]) -> None:
    assert [a.id for a in store.search("ferry harbour", scope=OPERATOR)] == [four[HARBOUR.title]]
    assert store.search("ferry magma", scope=OPERATOR) == []


def test_search_without_a_query_returns_everything_newest_first(
    store: Store, four: dict[str, int]
) -> None:
    found = store.search(None, scope=OPERATOR)
    assert [a.id for a in found] == sorted(four.values(), reverse=True)
    assert [a.id for a in store.search("", scope=OPERATOR)] == [a.id for a in found]
    assert len(store.search(None, limit=2, scope=OPERATOR)) == 2


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"harbour',
        'harbour"',
        "harbour AND",
        "AND",
        "OR NOT",
        "harbour NOT",
        "NEAR(harbour bridge)",
        "*",
        "harb*",
        "-harbour",
        "harbour -bridge",
        "(",
        ")",
        "(harbour",
        "title:harbour",
        "^harbour",
        "{title}: harbour",
        "harbour + bridge",
        "':;.,!?",
        "\\",
        "'); DROP TABLE articles; --",
        "\x00",
        "ünïcödé 北京",
    ],
)
def test_search_never_raises_on_fts_syntax(store: Store, four: dict[str, int], query) -> None:
    found = store.search(query, scope=OPERATOR)
    assert isinstance(found, list)
    assert store.count() == 4  # nothing was dropped


def test_search_with_fts_syntax_still_matches_the_words(store: Store, four: dict[str, int]) -> None:
    harbour = [four[HARBOUR.title]]
    assert [a.id for a in store.search('"harbour', scope=OPERATOR)] == harbour
    assert [a.id for a in store.search("(harbour", scope=OPERATOR)] == harbour
    # A leading minus excludes (bot.filters, issue 16): the harbour story mentions a bridge.
    assert store.search("harbour -bridge", scope=OPERATOR) == []
    assert [a.id for a in store.search("harbour -chess", scope=OPERATOR)] == harbour
    # Operators are searched as plain words: the harbour story never says "not"...
    assert "not" not in " ".join(HARBOUR.paragraphs).lower().split()
    assert store.search("harbour NOT", scope=OPERATOR) == []
    # ...but it does say "and", so "harbour AND" matches it.
    assert [a.id for a in store.search("harbour AND", scope=OPERATOR)] == harbour


def test_since_filters_by_publication_time_or_else_storage_time(store: Store, clock) -> None:
    now = clock.now()
    old_id, _ = add(store, draft(HARBOUR, published_at=now - timedelta(days=10)), clock)
    recent_id, _ = add(store, draft(HARVEST, published_at=now - timedelta(days=1)), clock)
    undated_id, _ = add(store, draft(CHESS), clock)  # dated by when it was stored: now

    found = {a.id for a in store.search(None, since=now - timedelta(days=2), scope=OPERATOR)}
    assert found == {recent_id, undated_id}
    assert {a.id for a in store.search(None, since=now - timedelta(days=30), scope=OPERATOR)} == {
        old_id,
        recent_id,
        undated_id,
    }
    assert store.search(None, since=now + timedelta(seconds=1), scope=OPERATOR) == []
    assert [
        a.id for a in store.search("harbour", since=now - timedelta(days=2), scope=OPERATOR)
    ] == []


def test_since_accepts_a_naive_time_as_utc(store: Store, clock) -> None:
    now = clock.now()
    article_id, _ = add(store, draft(VOLCANO), clock)
    naive = (now - timedelta(hours=1)).replace(tzinfo=None)
    assert [a.id for a in store.search(None, since=naive, scope=OPERATOR)] == [article_id]


def test_published_time_round_trips_in_utc(store: Store, clock) -> None:
    from datetime import timezone

    when = clock.now().astimezone(timezone(timedelta(hours=5)))
    article_id, _ = add(store, draft(VOLCANO, published_at=when), clock)
    got = store.get(article_id, scope=OPERATOR)
    assert got is not None
    assert got.published_at == when
    assert got.published_at.utcoffset() == timedelta(0)


# -- other processes -------------------------------------------------------------------------


def run_python(code: str, db_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), f"sqlite:///{db_path}"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_article_added_here_is_visible_in_another_process(
    store: Store, db_path: Path, clock
) -> None:
    article_id, _ = add(store, draft(HARBOUR), clock)
    done = run_python(
        """
        import sys
        from bot.scopes import OPERATOR
        from bot.store import Store
        store = Store(sys.argv[1])
        found = store.search("ferry", scope=OPERATOR)
        print(store.count(), [a.id for a in found], found[0].title)
        """,
        db_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"1 [{article_id}] {HARBOUR.title}"


def test_an_article_added_in_another_process_is_visible_here(
    store: Store, db_path: Path, clock
) -> None:
    assert store.count() == 0
    body = "\n".join(VOLCANO.paragraphs)
    done = run_python(
        f"""
        import sys
        from datetime import datetime, UTC
        from bot.models import ArticleDraft
        from bot.store import Store
        from summarizers.analysis import analyze
        store = Store(sys.argv[1])
        text = {body!r}
        draft = ArticleDraft({VOLCANO.title!r}, text, "Other Process")
        article, created = store.add(draft, analyze(text, draft.title), datetime.now(UTC))
        print(article.id, created)
        """,
        db_path,
    )
    assert done.returncode == 0, done.stderr
    new_id = int(done.stdout.split()[0])
    assert done.stdout.split()[1] == "True"
    assert store.count() == 1
    assert [a.id for a in store.search("magma", scope=OPERATOR)] == [new_id]
    # And it is a duplicate here too.
    _, created = add(store, draft(VOLCANO), clock)
    assert created is False


def test_processes_adding_the_same_articles_at_once_store_each_once(
    store: Store, db_path: Path, tmp_path: Path
) -> None:
    from fakes import story_text

    folder = tmp_path / "shared"
    folder.mkdir()
    for story in (HARBOUR, HARVEST, CHESS, VOLCANO):
        (folder / f"{story.title[:10]}.txt").write_text(story_text(story), encoding="utf-8")
    code = textwrap.dedent(
        """
        import sys
        from datetime import datetime, UTC
        from bot.ingest import ingest
        from bot.store import Store

        class Clock:
            def now(self):
                return datetime.now(UTC)

        report = ingest(Store(sys.argv[1]), [sys.argv[2]], Clock())
        print(report.count("stored"), report.count("duplicate"), report.count("failed"))
        """
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, f"sqlite:///{db_path}", str(folder)],
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0] * 4, [err for _, err in outputs]
    counts = [tuple(int(n) for n in out.split()) for out, _ in outputs]
    assert sum(c[0] for c in counts) == 4  # each article stored by exactly one process
    assert all(c[0] + c[1] == 4 and c[2] == 0 for c in counts)
    assert store.count() == 4
    fts_integrity_ok(db_path)


def test_newest_first_reads_an_index_not_a_sort_of_the_table(store: Store, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM articles "
            "ORDER BY coalesce(published_at, ingested_at) DESC, id DESC LIMIT 40"
        ).fetchall()
    details = " ".join(row[-1] for row in plan)
    assert "ix_articles_when" in details
    assert "TEMP B-TREE" not in details


def test_a_schema_4_store_gains_feed_columns_and_keeps_its_articles(db_path: Path, clock) -> None:
    first = Store(f"sqlite:///{db_path}")
    article_id, _ = add(first, draft(HARBOUR, url="https://News.test/harbour?utm_source=x"), clock)
    first.close()
    # Turn it back into what briefbot wrote before feeds existed.
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP INDEX ix_articles_guid")
        conn.execute("DROP INDEX ix_articles_canonical_url")
        conn.execute("ALTER TABLE articles DROP COLUMN guid")
        conn.execute("ALTER TABLE articles DROP COLUMN canonical_url")
        conn.execute("DROP TABLE feeds")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")

    second = Store(f"sqlite:///{db_path}")
    try:
        assert second.get(article_id, scope=OPERATOR) is not None
        assert second.knows("https://news.test/harbour", None)  # canonical link backfilled
        assert second.get_meta("schema_version") == str(SCHEMA_VERSION)
    finally:
        second.close()
    with sqlite3.connect(db_path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"feeds", "ix_articles_guid", "ix_articles_canonical_url"} <= names


def test_a_schema_5_store_gains_the_raw_date_column(db_path: Path, clock) -> None:
    first = Store(f"sqlite:///{db_path}")
    article_id, _ = add(first, draft(HARBOUR), clock)
    first.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("ALTER TABLE articles DROP COLUMN published_raw")
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")

    second = Store(f"sqlite:///{db_path}")
    try:
        assert second.get(article_id, scope=OPERATOR) is not None
        stored, _ = second.add(
            draft(CHESS, published_raw="Thu, 06 Apr 2099 10:00:00 EDT"),
            analyze("\n".join(CHESS.paragraphs), CHESS.title),
            clock.now(),
        )
    finally:
        second.close()
    with sqlite3.connect(db_path) as conn:
        raw = conn.execute("SELECT published_raw FROM articles WHERE id = ?", (stored.id,))
        assert raw.fetchone() == ("Thu, 06 Apr 2099 10:00:00 EDT",)


def test_a_put_that_fails_inside_a_batch_is_undone_alone(store: Store, clock) -> None:
    def broken(_draft: ArticleDraft) -> Analysis:
        raise ValueError("analysis failed")

    with store.batch() as batch:
        add(store, draft(HARBOUR), clock)
        with pytest.raises(ValueError):
            store.put(draft(CHESS), broken, clock.now())
        batch.commit()
        add(store, draft(VOLCANO), clock)
        # Reads of the same thread see the batch's writes before they are committed.
        assert store.count() == 2
    titles = {a.title for a in store.search(None, limit=10, scope=OPERATOR)}
    assert titles == {HARBOUR.title, VOLCANO.title}


def test_a_batch_left_by_an_error_keeps_what_completed(store: Store, clock) -> None:
    with pytest.raises(KeyError), store.batch():
        add(store, draft(HARVEST), clock)
        raise KeyError("interrupted")
    assert [a.title for a in store.search(None, limit=10, scope=OPERATOR)] == [HARVEST.title]


def test_search_rows_are_read_by_position_in_the_order_of_their_columns(
    db_path: Path, clock
) -> None:
    # reads.article_from_row unpacks a search's row by position: these columns, this order,
    # giving what the Store reads by column name.
    from bot.store import _ARTICLE_COLUMNS_NO_TEXT

    store = Store(f"sqlite:///{db_path}")
    try:
        article_id, _ = add(store, draft(HARVEST, guid="urn:harvest", outlet="Farm Wire"), clock)
        by_name = store.get(article_id, scope=OPERATOR)
        assert by_name is not None and by_name.outlet and by_name.text
        assert store.search(None, scope=OPERATOR) == [by_name]
        without_text = dataclasses.replace(by_name, text="")
        assert store.search(None, scope=OPERATOR, with_text=False) == [without_text]
    finally:
        store.close()

    assert tuple(c.key for c in _ARTICLE_COLUMNS_NO_TEXT) == (
        "id",
        "title",
        "source",
        "url",
        "published_at",
        "ingested_at",
        "content_hash",
        "outlet",
        "guid",
        "lang",
    )


def test_a_new_sqlite_store_has_big_pages_and_an_old_one_keeps_its_own(
    db_path: Path, tmp_path: Path, clock
) -> None:
    store = Store(f"sqlite:///{db_path}")
    add(store, draft(HARBOUR), clock)
    store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE == 16384
    # A store made with SQLite's default 4 KB pages opens, grows and reads as before.
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE placeholder (x)")
    store = Store(f"sqlite:///{old}")
    try:
        article_id, created = add(store, draft(CHESS), clock)
        assert created and store.get(article_id, scope=OPERATOR) is not None
    finally:
        store.close()
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
