"""Attacks on the way out found in review: what a feed publisher's server can make briefbot do.

The `web` server stands for a public publisher (the test settings allow 127.0.0.1); whatever it
sends, briefbot must read only what came over the wire.
"""

from __future__ import annotations

from pathlib import Path

from fakes.web import WebServer

from bot.app import Core
from bot.commands import ArticlesReply, answer
from bot.digests import Context
from bot.feeds import FeedRegistry, poll

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


def local_feed(folder: Path) -> Path:
    """A feed file on briefbot's own disk, which no server may make it read."""
    path = folder / "local-secret.xml"
    path.write_text(
        '<rss version="2.0"><channel><title>Local secret feed</title><item>'
        "<title>Quarterly secret figures</title><link>https://example.com/secret</link>"
        "<description>The quarterly secret figures were kept on the bot's own disk and were "
        "never meant to reach any channel of any workspace.</description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    return path


def test_a_feed_body_naming_a_local_file_is_not_read_from_disk(
    core: Core, web: WebServer, tmp_path: Path
) -> None:
    # feedparser.parse(bytes) opens the bytes as a file name when such a file exists, so a
    # body of "/dev/zero" would read forever and "/path/feed.xml" would post a local file.
    secret = local_feed(tmp_path)
    url = web.serve("/rss", str(secret), "application/rss+xml")
    reply = answer(core, f"feeds add {url}", HERE)
    assert "secret" not in str(reply).lower(), reply
    poll(core, everything=True)
    assert all("secret" not in f.name.lower() for f in FeedRegistry(core.store).all())
    found = answer(core, "articles quarterly secret figures", HERE)
    assert not isinstance(found, ArticlesReply), found


def test_an_ingested_url_naming_a_local_file_is_not_read_from_disk(
    core: Core, web: WebServer, tmp_path: Path
) -> None:
    from bot.ingest import ingest

    secret = local_feed(tmp_path)
    url = web.serve("/feed.xml", str(secret), "application/rss+xml")
    report = ingest(core.store, [url], core.clock, core.fetcher)
    assert report.count("stored") == 0, report.summary()
    assert "secret" not in report.summary().lower()
