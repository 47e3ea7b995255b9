"""OPML import and export (bot.opml): a round trip keeps the feeds; a bad file imports nothing.
In-process on a real store, and through the `briefbot feeds import/export` console script."""

from __future__ import annotations

import pytest

from bot.app import Core
from bot.digests import CLI
from bot.errors import BadArgument
from bot.feeds import FeedRegistry
from bot.opml import read_opml, write_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="World">
      <outline type="rss" text="Example &amp; News" xmlUrl="https://example.test/rss"/>
      <outline type="rss" text="Atom one" title="Atom one" xmlUrl="https://atom.test/feed.atom"/>
    </outline>
    <outline text="Tech">
      <outline type="rss" text="Again" xmlUrl="https://EXAMPLE.test/rss"/>
      <outline type="rss" xmlUrl="http://untitled.test/feed"/>
    </outline>
  </body>
</opml>
"""


def test_read_nested_categories_once_each() -> None:
    found = read_opml(NESTED)
    assert [(f.url, f.name) for f in found] == [
        ("https://example.test/rss", "Example & News"),
        ("https://atom.test/feed.atom", "Atom one"),
        ("http://untitled.test/feed", "untitled.test"),
    ]


@pytest.mark.parametrize(
    "data, says",
    [
        (b"", "not a readable OPML"),
        (b"<opml><body><outline xmlUrl='https://a.test/rss'>", "not a readable OPML"),
        (b"just text", "not a readable OPML"),
        (b"<rss><channel/></rss>", "not a readable OPML"),
        (b'<opml version="2.0"><body></body></opml>', "lists no feeds"),
        (
            b'<opml version="2.0"><body><outline type="rss" xmlUrl="https://a.test/rss"/>'
            b'<outline type="rss" xmlUrl="javascript:alert(1)"/></body></opml>',
            "not a web address",
        ),
    ],
)
def test_bad_opml_is_one_line_and_imports_nothing(data: bytes, says: str) -> None:
    with pytest.raises(BadArgument) as raised:
        read_opml(data)
    assert says in str(raised.value) and "\n" not in str(raised.value)


def test_round_trip_into_an_empty_store(bare_core: Core, tmp_path) -> None:
    from bot.app import build_core

    registry = FeedRegistry(bare_core.store)
    now = bare_core.clock.now()
    registry.add_many([(f.url, f.name) for f in read_opml(NESTED)], CLI, now, interval_minutes=30)
    exported = write_opml(registry.all(), now)
    other_settings = bare_core.settings.__class__(
        **{**bare_core.settings.__dict__, "database_url": f"sqlite:///{tmp_path / 'b.db'}"}
    )
    empty = build_core(other_settings, bare_core.clock)
    try:
        target = FeedRegistry(empty.store)
        _, skipped = target.add_many(
            [(f.url, f.name) for f in read_opml(exported.encode())], CLI, now
        )
        assert skipped == 0
        assert {(f.url, f.name) for f in target.all()} == {(f.url, f.name) for f in registry.all()}
        # Importing the same list again adds nothing.
        again, skipped = target.add_many(
            [(f.url, f.name) for f in read_opml(exported.encode())], CLI, now
        )
        assert again == [] and skipped == 3
    finally:
        empty.close()
