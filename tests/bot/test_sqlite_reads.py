"""The stdlib read path (bot/sqlite_reads.py) gives what the SQLAlchemy `Store` gives, row for
row, over the same real SQLite stores: searches in every scope, with topics (phrases, OR,
exclusions, outlets, a channel's feeds, Chinese and German words, rare and missing words),
time windows and limits; articles by id, counts, copies, analyses, the channel's last
briefing; and the commands built on them answer the same.  It is used only on a store that
needs nothing done on open; a `brief` on one does not import SQLAlchemy."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes.processes import fresh_json

from bot.app import build_core
from bot.commands import ErrorReply, answer
from bot.config import Settings
from bot.context import Context
from bot.filters import TopicFilter, parse_filter
from bot.models import ArticleDraft
from bot.render import render
from bot.scopes import OPERATOR, SHARED, Scope
from bot.sqlite_reads import SqliteReads, open_reads
from bot.store import MIGRATIONS, SCHEMA_VERSION, Store
from summarizers.analysis import analyze

PROJECT = Path(__file__).resolve().parents[2]
EVAL = PROJECT / ".." / "shared" / "eval" / "cnndm-frank-dev.jsonl"
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
FEED = "https://feed.example/rss"
SCOPES = [OPERATOR, Scope(SHARED), Scope("slack:T1"), Scope("discord:G1")]
# "_" and "%" are LIKE wildcards: "Reuxters" and "1000 News" are what `from:reu_ters` and
# `from:100%` would also find if the outlet filter did not escape them.
OUTLETS = ["Reu_ters", "100% News", "Harbour Gazette", "a/b Times", None, "Reuxters", "1000 News"]
FOREIGN = [
    ("Streik in München", "Die Fahrer in München streiken am Montag. Der Verkehr ruht.", "de"),
    ("Streiks in Berlin", "Auch in Berlin wird gestreikt. Die Bahnen stehen still.", "de"),
    ("北京举行会议", "北京今天举行了一次重要会议。代表们讨论了经济问题。", "zh"),
    ("上海天气", "上海今天下雨。北京明天晴天。", "zh"),
]


def news(count: int) -> list[tuple[str, str]]:
    """(title, text) of the first `count` CNN/DM articles of the shared evaluation data."""
    if not EVAL.exists():
        pytest.skip(f"{EVAL} is not here (../shared is absent)")
    found = []
    with EVAL.open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            text = doc["text"].strip()
            found.append(((doc.get("title") or "").strip() or text.split(". ")[0][:90], text))
            if len(found) == count:
                break
    return found


def put(store: Store, draft: ArticleDraft, scopes: list[str], feed: str | None = None) -> str:
    _, status = store.put(
        draft, lambda d: analyze(d.text, d.title, d.lang), NOW, scopes=scopes, feed=feed
    )
    return status


def fill(store: Store) -> None:
    """Real news in three scopes, outlets whose names hold LIKE's wildcards, a feed's
    articles, other outlets' copies, German and Chinese articles; dozens published in one
    minute (the full-text walk then reads past its first page), some never dated."""
    for i, (title, text) in enumerate(news(60)):
        if i < 20:
            published: datetime | None = NOW - timedelta(seconds=i)  # one minute
        elif i % 7 == 0:
            published = None  # first-seen time counts
        else:
            published = NOW - timedelta(hours=3 * i)
        draft = ArticleDraft(
            title=title,
            text=text,
            source="cnn",
            url=f"https://news.example/{i}",
            published_at=published,
            outlet=OUTLETS[i % len(OUTLETS)],
            lang="en",
        )
        scopes = [[SHARED], ["slack:T1"], ["discord:G1"], ["slack:T1", "discord:G1"]][i % 4]
        assert put(store, draft, scopes, FEED if i % 5 == 0 else None) == "stored"
        if i % 6 == 0 and draft.outlet:  # the same words, another outlet and link: a copy
            copy = dataclasses.replace(
                draft, url=f"https://copies.example/{i}", outlet=f"Copy Desk {i % 4}"
            )
            assert put(store, copy, ["slack:T1"] if i % 12 else [SHARED]) == "copy"
    for i, (title, text, lang) in enumerate(FOREIGN):
        draft = ArticleDraft(
            title=title,
            text=text,
            source="wire",
            url=f"https://foreign.example/{i}",
            published_at=NOW - timedelta(days=1, minutes=i),
            lang=lang,
        )
        assert put(store, draft, [SHARED] if i % 2 else ["discord:G1"]) == "stored"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('reads') / 'filled.db'}"
    store = Store(url)
    try:
        fill(store)
    finally:
        store.close()
    return url


@pytest.fixture
def both(filled: str):
    store = Store(filled)
    reads = open_reads(filled)
    assert isinstance(reads, SqliteReads)
    try:
        yield store, reads
    finally:
        reads.close()
        store.close()


TOPICS: list[str | TopicFilter | None] = [
    None,
    "the",
    "police",
    '"prime minister"',
    "police -football",
    "football OR police said",
    "said -the",
    "from:reu_ters",
    "from:100%",
    "said -from:100% -from:a/b",
    "北京",
    "-北京 the",
    "上海 OR 会议",
    "streik",
    "gestreikt",
    "München",
    "zzyzx",
    "covid-19",
    dataclasses.replace(parse_filter("said"), feeds=(FEED,)),  # type: ignore[arg-type]
    TopicFilter(feeds=(FEED,)),
]


@pytest.mark.parametrize("topic", TOPICS, ids=str)
def test_searches_find_the_same_articles_in_the_same_order(both, topic) -> None:
    store, reads = both
    for scope in SCOPES:
        for since in (None, NOW - timedelta(days=2)):
            for limit in (3, 15, 40):
                for with_text in (False, True):
                    asked = {"since": since, "limit": limit, "scope": scope, "with_text": with_text}
                    expected = store.search(topic, **asked)
                    assert reads.search(topic, **asked) == expected, (scope, since, limit)


def test_a_rare_word_and_the_minute_walk_agree(both) -> None:
    store, reads = both
    # A word of one article only (the walk's first page ends at once), and a common word
    # whose first `limit` + lookahead matches share one minute (the walk reads on).
    rare = max((w for w in news(60)[3][1].split() if w.isalpha()), key=len)
    for topic in (rare, "the", "and"):
        for limit in (1, 2, 5, 12):
            expected = store.search(topic, limit=limit, scope=OPERATOR)
            assert reads.search(topic, limit=limit, scope=OPERATOR) == expected
    first_seen = {"stored_after": NOW - timedelta(days=1), "stored_until": NOW}
    assert reads.search("the", scope=OPERATOR, **first_seen) == store.search(
        "the", scope=OPERATOR, **first_seen
    )


def test_articles_by_id_counts_copies_and_analyses_agree(both) -> None:
    store, reads = both
    ids = [a.id for a in store.search(None, limit=1000, scope=OPERATOR)]
    assert len(ids) == 64
    for scope in SCOPES:
        assert reads.count(scope) == store.count(scope)
        for article_id in [*ids, 0, -1, max(ids) + 1, 2**40]:
            assert reads.get(article_id, scope=scope) == store.get(article_id, scope=scope)
        asked = [*ids, ids[0], 0, -1, max(ids) + 1, 2**40]
        many = store.get_many(asked, scope=scope)
        assert reads.get_many(asked, scope=scope) == many
        assert many == {i: a for i in ids if (a := store.get(i, scope=scope)) is not None}
        copies = store.copies_of(ids, scope=scope)
        assert reads.copies_of(ids, scope=scope) == copies
    assert any(store.copies_of(ids, scope=OPERATOR).values())
    assert reads.copies_of([], scope=OPERATOR) == {}
    expected = store.analyses(ids)
    found = reads.analyses([*ids, max(ids) + 1])
    assert found.keys() == expected.keys()
    for article_id, analysis in expected.items():
        assert found[article_id].sentences == analysis.sentences
        article = store.get(article_id, scope=OPERATOR)
        stored = (article.text, article.title, article.lang)
        assert found[article_id].to_bytes(*stored) == analysis.to_bytes(*stored)
    assert reads.analyses(ids[:3])[ids[0]] is found[ids[0]]  # kept, as the Store keeps them


def test_a_channel_briefing_written_by_either_is_read_by_both(both) -> None:
    store, reads = both
    reads.save_channel_briefing("slack", "T1", "C1", '{"a": 1}', NOW)
    assert store.channel_briefing("slack", "T1", "C1") == '{"a": 1}'
    store.save_channel_briefing("slack", "T1", "C1", '{"b": 2}', NOW)
    assert reads.channel_briefing("slack", "T1", "C1") == '{"b": 2}'
    with reads.reading():  # a read snapshot open on this thread does not block the write
        assert reads.channel_briefing("slack", "T1", "C2") is None
        reads.save_channel_briefing("slack", "T1", "C2", "{}", NOW)
    assert store.channel_briefing("slack", "T1", "C2") == "{}"
    assert reads.channel_briefing("discord", "T1", "C1") is None


def test_an_empty_store_reads_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(url).close()
    reads = open_reads(url)
    assert reads is not None
    try:
        for topic in (None, "police", "北京", "-police"):
            assert reads.search(topic, scope=OPERATOR) == []
        assert reads.count() == 0
        assert reads.analyses([1]) == {}
        assert reads.get(1, scope=OPERATOR) is None
    finally:
        reads.close()


def test_the_legacy_schema_version_is_the_number_of_frozen_steps() -> None:
    assert len(MIGRATIONS) == SCHEMA_VERSION


def test_only_a_store_that_needs_nothing_done_on_open_is_read_without_the_store(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'briefbot.db'}"
    assert open_reads(url) is None  # no file yet: the Store creates it
    assert open_reads("sqlite://") is None
    assert open_reads("sqlite:///:memory:") is None
    assert open_reads("postgresql://postgres@127.0.0.1/x") is None
    Store(url).close()
    reads = open_reads(url)
    assert reads is not None
    reads.close()
    assert open_reads(url, seeded=True) is None  # the Store loads the seeds first
    path = tmp_path / "briefbot.db"
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('seeded', '1')")
    reads = open_reads(url, seeded=True)
    assert reads is not None
    reads.close()
    for change in (
        "UPDATE meta SET value = '1' WHERE key = 'analysis_format'",  # to be re-analysed
        "UPDATE alembic_version SET version_num = '0001_baseline'",  # to be upgraded
        "UPDATE alembic_version SET version_num = '9999_future'",  # a newer briefbot's
        "DROP TABLE alembic_version",
    ):
        copy = tmp_path / "changed.db"
        copy.write_bytes(path.read_bytes())
        with sqlite3.connect(copy) as conn:
            conn.execute(change)
        assert open_reads(f"sqlite:///{copy}") is None, change
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    assert open_reads(f"sqlite:///{garbage}") is None


# -- the commands ----------------------------------------------------------------------------

COMMANDS = [
    "brief",
    "brief police 3",
    "brief said -the 2d",
    "brief 北京",
    "brief zzyzx",
    "brief why 2",
    "brief why 9",
    "articles",
    "articles police",
    "articles zzyzx",
    "summarize 5 2",
    "summarize 999",
]


@pytest.mark.parametrize("workspace", ["", "T1"])
def test_commands_answer_the_same_through_either(filled: str, workspace: str, clock) -> None:
    settings = Settings(database_url=filled, load_seeds=False)
    context = Context("slack", workspace) if workspace else Context()
    answers = {}
    for way in ("store", "reads"):
        core = build_core(settings, clock)  # conftest's: it stands still
        try:
            if way == "store":
                core.__dict__["reads"] = core.store  # as on PostgreSQL: the Store serves
            else:
                assert isinstance(core.reads, SqliteReads)
            answers[way] = [
                reply
                if isinstance(reply, ErrorReply)
                else (render(reply, "text"), render(reply, "json"))
                for reply in (answer(core, text, context) for text in COMMANDS)
            ]
        finally:
            core.close()
    assert answers["reads"] == answers["store"]


def test_brief_articles_why_and_summarize_start_without_sqlalchemy(
    filled: str, tmp_path: Path
) -> None:
    code = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "codes = [main(argv) for argv in sys.argv[1:] and json.loads(sys.argv[1])]\n"
        "print(json.dumps([codes, sorted(m for m in ('sqlalchemy', 'alembic', 'asyncio', "
        "'httpx', 'tqdm') if m in sys.modules)]))\n"
    )
    argvs = [
        ["brief"],
        ["brief", "police", "-n", "2"],
        ["why", "1"],
        ["articles", "police"],
        ["summarize", "3"],
        ["chat", "brief said 2"],
        ["chat", "--workspace", "slack:T1", "articles"],
    ]
    codes, imported = fresh_json(code, tmp_path, json.dumps(argvs), database_url=filled)
    assert codes == [0] * len(argvs)
    assert imported == []


def _small_store(tmp_path: Path) -> tuple[str, Store]:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    store = Store(url)
    draft = ArticleDraft(
        title="Harbour budget approved",
        text="The council approved the harbour budget on Monday. Work starts in May.",
        source="wire",
        url="https://news.example/harbour",
        published_at=NOW,
        lang="en",
    )
    assert put(store, draft, [SHARED]) == "stored"
    return url, store


def test_an_article_stored_after_the_reads_opened_is_searched_in_its_language(
    tmp_path: Path,
) -> None:
    url, store = _small_store(tmp_path)
    reads = open_reads(url)
    assert isinstance(reads, SqliteReads)
    try:
        assert reads.languages() == {"en"}
        german = ArticleDraft(
            title="Bundestag beschließt Gesetz zur Wahl",
            text="Der Bundestag hat am Freitag ein neues Gesetz zur Wahl beschlossen. "
            "Die Wahlen finden im Herbst statt.",
            source="Tagesblatt",
            url="https://news.example/wahl",
            published_at=NOW,
            lang="de",
        )
        assert put(store, german, [SHARED]) == "stored"  # as a running bot's feed poll does
        assert reads.languages() == {"en", "de"}
        # "Wahlen" matches the title's "Wahl" only through the German stem.
        found = reads.search("Wahlen", limit=5, scope=OPERATOR)
        assert [a.title for a in found] == [german.title]
        assert found == store.search("Wahlen", limit=5, scope=OPERATOR)
    finally:
        reads.close()
        store.close()


@pytest.mark.parametrize(
    "damage",
    # Wrong magic of every kind, and the real blob cut short in its header, in its
    # sentences, or run on.
    [b"", b"\x00", b"BB", b"\xff" * 40, 5, 12, -1, b"+extra"],
    ids=["empty", "nul", "short", "ff", "cut-5", "cut-12", "cut-1", "run-on"],
)
def test_an_unreadable_analysis_blob_is_analysed_again_not_a_failed_briefing(
    tmp_path: Path, damage: bytes | int
) -> None:
    url, store = _small_store(tmp_path)
    store.close()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        (good,) = conn.execute("SELECT analysis FROM articles").fetchone()
        if isinstance(damage, int):
            damage = bytes(good)[:damage]
        elif damage.startswith(b"+"):
            damage = bytes(good) + damage[1:]
        conn.execute("UPDATE articles SET analysis = ?", (damage,))
    store = Store(url)
    reads = open_reads(url)
    assert isinstance(reads, SqliteReads)
    try:
        article = store.search(None, limit=1, scope=OPERATOR)[0]
        fresh = analyze(
            "The council approved the harbour budget on Monday. Work starts in May.",
            "Harbour budget approved",
        )
        for source in (store, reads):
            analysis = source.analyses([article.id])[article.id]
            assert analysis.sentences == fresh.sentences
            assert analysis.term_ids.tolist() == fresh.term_ids.tolist()
        core = build_core(Settings(database_url=url, load_seeds=False))
        try:
            reply = answer(core, "brief")
            assert not isinstance(reply, ErrorReply)
            assert "harbour budget" in render(reply, "text")
        finally:
            core.close()
    finally:
        reads.close()
        store.close()


def test_close_waits_for_a_read_in_progress_on_another_thread(filled: str) -> None:
    """A bot shutting down closes its reads while a handler thread may still be composing a
    reply: that thread's connection stays open until its block ends, then closes."""
    import threading

    reads = open_reads(filled)
    assert reads is not None
    inside, closed, done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def handler() -> None:
        try:
            with reads.reading():
                before = reads.count()
                inside.set()
                closed.wait()
                seen["after close"] = (
                    before,
                    reads.count(),
                    len(reads.search(None, scope=OPERATOR)),
                )
            seen["later"] = reads.count()  # a read after close: a connection for it alone
        except Exception as exc:  # the assertion below names it
            seen["error"] = repr(exc)
        finally:
            done.set()

    idle = reads.count()  # this thread's connection, idle at close
    thread = threading.Thread(target=handler)
    thread.start()
    inside.wait()
    reads.close()
    closed.set()
    done.wait()
    thread.join()
    assert "error" not in seen, seen["error"]
    before, after, found = seen["after close"]  # type: ignore[misc]
    assert before == after == idle > 0 and found > 0
    assert seen["later"] == idle
    assert reads._users == {}  # every connection closed
    with pytest.raises(sqlite3.ProgrammingError):  # this thread's was closed by `close`
        reads._local.conn.execute("SELECT 1")


def test_the_store_and_the_reads_of_a_core_keep_one_decoded_analysis(filled: str) -> None:
    """A digest (through the store) and a `brief` (through the reads) decode an article once."""
    core = build_core(Settings(database_url=filled, load_seeds=False))
    try:
        assert core.reads is not core.store  # the stdlib path: the store is current
        ids = [a.id for a in core.reads.search(None, limit=3, scope=OPERATOR)]
        by_reads = core.reads.analyses(ids)
        by_store = core.store.analyses(ids)
        assert by_reads and all(by_store[i] is by_reads[i] for i in ids)
        core.store.forget_analyses()
        assert all(core.reads.analyses(ids)[i] is not by_reads[i] for i in ids)
    finally:
        core.close()


def test_an_outlet_filter_matches_its_wildcard_characters_literally(both) -> None:
    for source in both:
        for wanted, outlet in (("from:reu_ters", "Reu_ters"), ("from:100%", "100% News")):
            found = source.search(wanted, limit=50, scope=OPERATOR)
            assert found and {a.outlet for a in found} == {outlet}


def test_get_many_reads_in_chunks_the_same(both, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.sqlite_reads
    import bot.store

    store, reads = both
    ids = [a.id for a in store.search(None, limit=1000, scope=OPERATOR)]
    whole = store.get_many(ids, scope=OPERATOR)
    assert len(whole) == len(ids) == 64
    monkeypatch.setattr(bot.store, "IN_CHUNK", 7)
    monkeypatch.setattr(bot.sqlite_reads, "IN_CHUNK", 7)
    assert store.get_many(ids, scope=OPERATOR) == whole == reads.get_many(ids, scope=OPERATOR)
