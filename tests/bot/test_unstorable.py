"""NUL bytes and lone surrogates (invalid UTF-8) never reach the store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.ingest import ingest, store_draft
from bot.models import ArticleDraft
from bot.scopes import OPERATOR

PROJECT = Path(__file__).resolve().parents[2]
TEXT = (
    "The harbour\x00 at Kestrel Bay reopened on Monday after three weeks of repairs. "
    "Engineers replaced the damaged \udcff sea wall and dredged the main channel. "
    "Fishing boats returned to the harbour within hours of the announcement. "
    "The port authority said the repairs cost four million euros in total."
)
CLEAN = TEXT.replace("\x00", "").replace("\udcff ", "")


def run_cli(cwd: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={
            **env,
            "PYTHONPATH": str(PROJECT),
            "DATABASE_URL": f"sqlite:///{db}",
            "BRIEFBOT_LOAD_SEEDS": "0",
        },
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,  # hang guard
    )


def test_nul_and_lone_surrogates_are_stored_cleaned_and_readable(
    bare_core, clock, db_path: Path, tmp_path: Path
) -> None:
    draft = ArticleDraft(title="Kestrel\x00 harbour \udcffreopens", text=TEXT, source="wire\x00")
    result = store_draft(bare_core.store, "t", draft, clock)
    assert result.status == "stored" and result.article is not None
    stored = bare_core.store.get(result.article.id, scope=OPERATOR)
    assert stored is not None
    for value in (stored.title, stored.text, stored.source):
        assert "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    assert stored.title == "Kestrel harbour reopens" and stored.source == "wire"
    bare_core.close()

    raw = sqlite3.connect(db_path)
    try:
        raw.text_factory = bytes
        (title, text) = raw.execute("SELECT title, text FROM articles").fetchone()
    finally:
        raw.close()
    assert b"\x00" not in title + text
    (title + text).decode("utf-8")  # valid UTF-8 throughout

    listed = run_cli(tmp_path, db_path, "articles")
    assert listed.returncode == 0, listed.stderr
    assert "Kestrel harbour reopens" in listed.stdout
    brief = run_cli(tmp_path, db_path, "brief", "harbour")
    assert brief.returncode == 0, brief.stderr
    assert "harbour" in brief.stdout.lower() and "\x00" not in brief.stdout
    assert "\ufffd" not in brief.stdout


def test_a_text_file_with_nul_bytes_is_stored_without_them(
    bare_core, clock, tmp_path: Path
) -> None:
    path = tmp_path / "story.txt"
    body = TEXT.replace("\udcff", "").replace("Monday", "Mon\x00day")
    path.write_bytes(f"Kestrel harbour\x00 reopens\n\n{body}\n".encode())
    report = ingest(bare_core.store, [str(path)], clock)
    article = report.results[0].article
    assert article is not None, report.results
    assert "\x00" not in article.text + article.title and "Monday" in article.text


def test_nul_and_lone_surrogates_in_chat_commands_never_reach_the_store(core, web) -> None:
    from fakes import FeedEntry, make_rss

    from bot.commands import ArticlesReply, NoticeReply, answer
    from bot.digests import Context

    here = Context(platform="slack", workspace="T1", channel="C1", user="U1", can_manage=True)
    url = web.serve(
        "/rss",
        make_rss("Quayside", web.url("/"), [FeedEntry("Ferry times", web.url("/p"), CLEAN)]),
        "application/rss+xml",
    )
    for command in (
        "digest subscribe 08:30 UTC har\x00bour",
        "digest subscribe 09:30 UTC har\udcffbour",
        f"feeds add {url} Quay\udcffside\x00 news",
    ):
        reply = answer(core, command, here)
        assert isinstance(reply, NoticeReply), reply
    assert isinstance(answer(core, "articles ferry\x00\udcff", here), ArticlesReply)
    db = sqlite3.connect(core.store.engine.url.database)
    try:
        for table in ("subscriptions", "feeds"):
            for row in db.execute(f"SELECT * FROM {table}"):
                for value in row:
                    assert not (isinstance(value, str) and "\x00" in value), (table, row)
        topics = {t for (t,) in db.execute("SELECT topic FROM subscriptions")}
        assert topics == {"harbour"}
        assert {n for (n,) in db.execute("SELECT name FROM feeds")} == {"Quayside news"}
    finally:
        db.close()
