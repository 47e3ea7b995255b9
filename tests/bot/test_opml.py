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


# -- addresses the fetch guard would refuse (bot.fetch), refused at import -------------------


def listing(*urls: str) -> bytes:
    outlines = "".join(
        f'<outline type="rss" text="Feed {i}" xmlUrl="{u.replace("&", "&amp;")}"/>'
        for i, u in enumerate(urls)
    )
    return f'<opml version="2.0"><body>{outlines}</body></opml>'.encode()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/rss",  # loopback
        "http://127.1/rss",  # the same, as inet_aton reads shorthand
        "http://2130706433/rss",  # and as one number
        "http://0x7f.0.0.1/rss",
        "http://[::1]/feed",
        "http://[::ffff:127.0.0.1]/feed",  # IPv4-mapped
        "http://10.1.2.3/rss",  # private
        "http://192.168.0.10:8080/rss",
        "http://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "http://[fe80::1%25eth0]/rss",
        "http://0.0.0.0/rss",
        "http://localhost:8000/rss",  # always loopback (RFC 6761)
        "http://feeds.localhost/rss",
        "https://user:secret@example.test/rss",  # credentials in the address
        "https://token@example.test/rss",
        "ftp://example.test/rss",
        "file:///etc/passwd",
    ],
)
def test_an_address_the_fetch_guard_refuses_imports_nothing(url: str) -> None:
    with pytest.raises(BadArgument) as raised:
        read_opml(listing("https://fine.test/rss", url))
    message = str(raised.value)
    assert "\n" not in message and "nothing imported" in message
    assert "secret" not in message  # a password is never repeated


def test_the_refusal_names_the_address(bare_core: Core) -> None:
    with pytest.raises(BadArgument) as raised:
        read_opml(listing("https://fine.test/rss", "http://10.1.2.3/rss"))
    assert "'http://10.1.2.3/rss'" in str(raised.value)
    assert FeedRegistry(bare_core.store).all() == []


def test_public_addresses_and_what_the_operator_allowed_import() -> None:
    from bot.fetch import AllowList

    public = listing("https://8.8.8.8/rss", "http://[2606:4700::1111]/feed", "https://a.test/x")
    assert len(read_opml(public)) == 3
    private = listing("http://10.1.2.3/rss", "http://intranet:8080/rss", "http://localhost/rss")
    allow = AllowList.parse("10.0.0.0/8,intranet,localhost")
    assert [f.url for f in read_opml(private, allow=allow)] == [
        "http://10.1.2.3/rss",
        "http://intranet:8080/rss",
        "http://localhost/rss",
    ]
    with pytest.raises(BadArgument):
        read_opml(private, allow=AllowList.parse("10.0.0.0/8"))


def test_no_name_is_looked_up_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"DNS lookup at import: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    assert len(read_opml(listing("https://news.example.test/rss", "http://127.0.0.2.test/"))) == 2


def test_feeds_import_uses_the_operators_allow_list(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    for name in ("BRIEFBOT_FETCH_ALLOW", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BRIEFBOT_LOAD_SEEDS", "0")
    path = tmp_path / "intranet.opml"
    path.write_bytes(listing("https://fine.test/rss", "http://10.1.2.3/rss"))
    assert main(["feeds", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "10.1.2.3" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW", "10.0.0.0/8")
    assert main(["feeds", "import", str(path)]) == 0
    assert "Imported 2 feeds" in capsys.readouterr().out
