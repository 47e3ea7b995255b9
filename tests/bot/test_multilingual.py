"""Articles in other languages (issue 18): language per article, briefings within a language,
a mixed-language store, topic search across case and accents, and the CLI on such a store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.languages import ARTICLES, article_text

import summarizers
from bot.app import Core
from bot.briefing import compose_briefing
from bot.ingest import draft_from_plain, store_draft
from bot.models import ArticleDraft
from bot.scopes import OPERATOR
from summarizers.text import split_sentences


def _store_language(core: Core, lang: str) -> dict[int, list[str]]:
    """Store a language's three articles; return each id's sentences."""
    stored = {}
    for n, (headline, sentences) in enumerate(ARTICLES[lang]):
        draft = ArticleDraft(headline, article_text(headline, sentences).split("\n\n", 1)[1], "x")
        result = store_draft(core.store, f"{lang}{n}", draft, core.clock)
        assert result.status == "stored", result.reason
        assert result.article is not None
        assert result.article.lang == lang
        stored[result.article.id] = sentences
    return stored


@pytest.mark.parametrize("lang", sorted(ARTICLES))
def test_a_briefing_in_one_language_gives_whole_sentences(bare_core: Core, lang: str) -> None:
    stored = _store_language(bare_core, lang)
    briefing = compose_briefing(
        bare_core.store, summarizers.get("news"), bare_core.clock, scope=OPERATOR, bullets=3
    )
    assert len(briefing.bullets) == 3
    for bullet in briefing.bullets:
        source = bullet.sources[0].id
        assert bullet.text in stored[source], bullet.text
        assert bullet.lang is None  # one language: no marks
    # Three stories, three articles: every story gets its bullet.
    assert {b.sources[0].id for b in briefing.bullets} == set(stored)


def test_each_article_is_split_into_its_written_sentences(bare_core: Core) -> None:
    for lang in ARTICLES:
        for headline, sentences in ARTICLES[lang]:
            body = article_text(headline, sentences).split("\n\n", 1)[1]
            assert split_sentences(body, lang) == sentences


def test_a_mixed_store_groups_stories_within_a_language(bare_core: Core) -> None:
    stored: dict[int, list[str]] = {}
    lang_of: dict[int, str] = {}
    for lang in ARTICLES:
        for article_id, sentences in _store_language(bare_core, lang).items():
            stored[article_id] = sentences
            lang_of[article_id] = lang
    briefing = compose_briefing(
        bare_core.store, summarizers.get("news"), bare_core.clock, scope=OPERATOR, bullets=12
    )
    assert len(briefing.bullets) == 12
    sequence = []
    for bullet in briefing.bullets:
        ids = {s.id for s in bullet.sources} | {s.id for s in bullet.coverage}
        assert {lang_of[i] for i in ids} == {bullet.lang}, bullet
        assert bullet.text in stored[bullet.sources[0].id]
        if not sequence or sequence[-1] != bullet.lang:
            sequence.append(bullet.lang)
    # Grouped: each language's bullets come together, every language once.
    assert sorted(sequence) == sorted(ARTICLES)


def test_front_matter_lang_overrides_detection(bare_core: Core) -> None:
    text = "---\nlang: de-AT\n---\nKurze Meldung\n\nThe text is English, the file says German.\n"
    draft = draft_from_plain(text, "meldung.txt")
    assert draft.lang == "de"
    result = store_draft(bare_core.store, "meldung.txt", draft, bare_core.clock)
    assert result.article is not None and result.article.lang == "de"


def test_topic_search_ignores_case_and_accents(bare_core: Core) -> None:
    for headline, body in [
        ("Élections à Montréal", "Les électeurs de Montréal votent dimanche. Le maire sortant."),
        ("Streik in München", "Die Fahrer in München streiken am Montag. Der Verkehr ruht."),
    ]:
        draft = ArticleDraft(headline, body, "x")
        assert store_draft(bare_core.store, headline, draft, bare_core.clock).status == "stored"
    for query, title in [
        ("montreal", "Élections à Montréal"),
        ("ELECTEURS", "Élections à Montréal"),
        ("munchen", "Streik in München"),
        ("MÜNCHEN", "Streik in München"),
    ]:
        found = bare_core.store.search(query, scope=OPERATOR)
        assert [a.title for a in found] == [title], query


# -- the CLI ----------------------------------------------------------------------------------


def _briefbot() -> str:
    beside = Path(sys.executable).with_name("briefbot")
    found = str(beside) if beside.exists() else shutil.which("briefbot")
    assert found, "the briefbot console script is not installed"
    return found


def test_cli_brief_on_german_russian_arabic_chinese(tmp_path: Path) -> None:
    work = tmp_path / "work"
    folder = work / "news"
    folder.mkdir(parents=True)
    sentences_of: dict[str, list[str]] = {}
    for lang, items in ARTICLES.items():
        for n, (headline, sentences) in enumerate(items):
            (folder / f"{lang}{n}.txt").write_text(article_text(headline, sentences), "utf-8")
            sentences_of[headline] = sentences
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.pop("DATABASE_URL", None)
    env.update(HOME=str(tmp_path), PYTHONIOENCODING="utf-8", BRIEFBOT_LOAD_SEEDS="false")

    def run(*args: str) -> str:
        done = subprocess.run(
            [_briefbot(), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout

    run("ingest", "--no-progress", "news")
    listed = json.loads(run("articles", "--format", "json", "--limit", "50"))
    langs = {a["title"]: a["lang"] for a in listed}
    for lang, items in ARTICLES.items():
        for headline, _ in items:
            assert langs[headline] == lang
    data = json.loads(run("brief", "-n", "12", "--format", "json"))
    order = []
    for bullet in data["bullets"]:
        source = bullet["sources"][0]["title"]
        assert bullet["text"] in sentences_of[source], bullet["text"]
        assert bullet["lang"] == langs[source]
        if not order or order[-1] != bullet["lang"]:
            order.append(bullet["lang"])
    assert sorted(order) == sorted(ARTICLES)  # every language, each in one run
    text = run("brief", "-n", "12")
    assert "(de) " in text and "(zh) " in text


def test_topic_search_finds_inflected_forms_and_chinese_words(bare_core: Core) -> None:
    for lang in ("de", "ru", "zh"):
        _store_language(bare_core, lang)
    for query, title in [
        ("мосты", "В Казани открыли новый мост"),  # plural; the text has "мост", "мосту"
        ("землетрясения", "Землетрясение на Камчатке"),
        ("Streiks", "Bahnstreik legt Fernverkehr lahm"),  # the text has "Streik"
        ("Hafens", "Hafen Hamburg meldet Rekordumschlag"),
        ("大桥", "长江大桥通车"),
        ("台风 广东", "台风登陆广东"),
    ]:
        found = bare_core.store.search(query, scope=OPERATOR)
        assert [a.title for a in found] == [title], query


def test_feed_language_overrides_detection(bare_core: Core) -> None:
    from fakes import FeedEntry, make_rss

    from bot.fetch import Fetcher
    from bot.ingest import drafts_from_feed

    body = " ".join(ARTICLES["de"][0][1])
    rss = make_rss(
        "Nachrichten",
        "https://example.org/",
        [FeedEntry("Hafen", "", content_html=f"<p>{body}</p>", guid="hafen-1")],  # no page
    ).replace("<description>Test feed</description>", "<language>ru-RU</language>")
    fetcher = Fetcher()
    try:
        drafts = list(drafts_from_feed(rss.encode(), "https://example.org/feed", fetcher))
    finally:
        fetcher.close()
    [(_, draft)] = drafts
    assert isinstance(draft, ArticleDraft)
    assert draft.lang == "ru"  # the feed says so, whatever the text looks like


def test_an_older_store_gets_languages_on_open(bare_core: Core) -> None:
    from bot.store import SCHEMA_VERSION, Store

    stored = _store_language(bare_core, "ru")
    url = bare_core.store.url
    with bare_core.store.engine.begin() as conn:
        # Older than the lang column, so older than revision 0006's table and its triggers.
        conn.exec_driver_sql("DROP TRIGGER articles_lang_ai")
        conn.exec_driver_sql("DROP TRIGGER articles_lang_au")
        conn.exec_driver_sql("DROP TABLE article_languages")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0005_binary_content_hash'")
        conn.exec_driver_sql("ALTER TABLE articles DROP COLUMN lang")
        conn.exec_driver_sql(
            "UPDATE meta SET value = :v WHERE key = 'schema_version'".replace(
                ":v", str(SCHEMA_VERSION - 1)
            )
        )
    reopened = Store(url)
    try:
        for article_id, sentences in stored.items():
            article = reopened.get(article_id, scope=OPERATOR)
            assert article is not None and article.lang == "ru"
            assert list(reopened.analyses([article_id])[article_id].sentences) == sentences
        assert reopened.languages() == {"ru"}  # revision 0006 read them back
    finally:
        reopened.close()


def test_reports_of_one_story_group_in_their_language_only(bare_core: Core) -> None:
    reports = [
        (
            "Hamburger Hafen mit Rekord",
            "Der Hamburger Hafen hat im dritten Quartal einen Rekordumschlag gemeldet. "
            "Hafenchef Klaus Weber sprach von 2,4 Mio. Containern im Quartal.",
        ),
        (
            "Rekordumschlag im Hamburger Hafen",
            "Im dritten Quartal hat der Hamburger Hafen so viele Container umgeschlagen wie "
            "nie. Laut Hafenchef Klaus Weber waren es 2,4 Mio. Container.",
        ),
        (
            "Гамбургский порт установил рекорд",
            "Гамбургский порт в третьем квартале сообщил о рекордной перевалке. "
            "Глава порта Клаус Вебер назвал 2,4 млн контейнеров.",
        ),
    ]
    ids = []
    for headline, body in reports:
        result = store_draft(
            bare_core.store, headline, ArticleDraft(headline, body, "x"), bare_core.clock
        )
        assert result.article is not None
        ids.append(result.article.id)
    briefing = compose_briefing(
        bare_core.store, summarizers.get("news"), bare_core.clock, scope=OPERATOR, bullets=4
    )
    stories = [{s.id for s in b.sources} | {s.id for s in b.coverage} for b in briefing.bullets]
    german, russian = set(ids[:2]), {ids[2]}
    assert german in stories  # the two German reports: one story
    assert russian in stories  # the Russian one: its own, though it tells the same
    for bullet in briefing.bullets:
        assert bullet.lang == ("de" if {s.id for s in bullet.sources} <= german else "ru")


def test_unsplittable_chinese_text_never_becomes_a_bullet(bare_core: Core) -> None:
    # Words are counted per two CJK characters (summarizers.analysis.word_count), so a page of
    # Chinese with no stop but the last is far over any length cap: never a bullet.
    wall = "".join("国家统计局周一公布的数据显示三季度经济增长"[i % 20] for i in range(5000))
    draft = ArticleDraft("大文章", wall + "。", "x")
    assert store_draft(bare_core.store, "wall", draft, bare_core.clock).status == "stored"
    stored = _store_language(bare_core, "zh")
    briefing = compose_briefing(
        bare_core.store, summarizers.get("news"), bare_core.clock, scope=OPERATOR, bullets=5
    )
    assert briefing.bullets
    assert all(len(b.text) < 500 for b in briefing.bullets)
    assert {b.sources[0].id for b in briefing.bullets} <= set(stored)
