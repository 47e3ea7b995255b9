"""An address with a user name or password in it (`https://user:secret@host/rss`) is refused by
the fetch guard itself, by `feeds add` (chat and CLI), `summarize`, `ingest`, a redirect and
OPML import, in one line that never repeats the password; a feed stored with one before is
kept as it is and shown masked (`https://***@host/rss`) by `feeds list` and `feeds export`.

Over real HTTP on 127.0.0.1 (which the test settings allow), so a request that got through
would be recorded by the `web` server.
"""

from __future__ import annotations

import pytest
from fakes import CHESS, make_rss, story_html
from fakes.web import WebServer

from bot.app import Core
from bot.commands import ErrorReply, NoticeReply, answer
from bot.digests import CLI, Context
from bot.errors import FetchFailed
from bot.feeds import FeedRegistry, health_line, list_text, poll
from bot.fetch import hide_credentials
from bot.ingest import ingest
from bot.opml import write_opml

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")
SECRET = "s3cret-pw"


def with_credentials(url: str, userinfo: str = f"reader:{SECRET}") -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{userinfo}@{rest}"


def assert_one_clean_line(message: str) -> None:
    assert "\n" not in message
    assert SECRET not in message and "reader" not in message
    assert "user name or password" in message


def feed_url(web: WebServer) -> str:
    return web.serve("/rss", make_rss("Loopback", web.url("/"), []), "application/rss+xml")


@pytest.mark.parametrize("userinfo", [f"reader:{SECRET}", "reader", f"reader:{SECRET}:x@y"])
def test_the_guard_refuses_credentials_before_any_request(
    core: Core, web: WebServer, userinfo: str
) -> None:
    url = with_credentials(web.serve("/page", story_html(CHESS)), userinfo)
    with pytest.raises(FetchFailed) as raised:
        core.fetcher.get(url)
    assert_one_clean_line(str(raised.value))
    assert web.requests == []


def test_a_redirect_to_an_address_with_credentials_is_refused(core: Core, web: WebServer) -> None:
    web.serve("/page", story_html(CHESS))
    start = web.redirect("/go", with_credentials(web.url("/page")))
    reply = answer(core, f"summarize {start}", HERE)
    assert isinstance(reply, ErrorReply)
    assert_one_clean_line(reply.message)
    assert web.paths() == ["/go"]


def test_feeds_add_with_credentials_is_refused_and_nothing_stored(
    core: Core, web: WebServer
) -> None:
    url = with_credentials(feed_url(web))
    for context in (HERE, CLI):
        reply = answer(core, f"feeds add {url} Loopback", context)
        assert isinstance(reply, ErrorReply)
        assert_one_clean_line(reply.message)
        assert "***@127.0.0.1" in reply.message  # which address, without what it carried
    assert web.requests == [] and FeedRegistry(core.store).all() == []


def test_summarize_and_ingest_of_an_address_with_credentials_are_refused(
    core: Core, web: WebServer
) -> None:
    url = with_credentials(web.serve("/page", story_html(CHESS)))
    reply = answer(core, f"summarize {url}", HERE)
    assert isinstance(reply, ErrorReply)
    assert_one_clean_line(reply.message)
    report = ingest(core.store, [url], core.clock, core.fetcher)
    assert [r.status for r in report.results] == ["failed"]
    assert_one_clean_line(report.results[0].reason)
    # The summary line names the item too: masked there as well.
    assert_one_clean_line(report.summary())
    assert report.results[0].item == hide_credentials(url) != url
    assert web.requests == []


def test_the_command_line_refuses_credentials_in_one_line(
    core: Core, web: WebServer, settings, monkeypatch, capsys
) -> None:
    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("BRIEFBOT_FETCH_ALLOW", "127.0.0.1")
    url = with_credentials(feed_url(web))
    assert main(["feeds", "add", url, "Loopback"]) == 2
    assert_one_clean_line(capsys.readouterr().err.strip())
    assert main(["chat", f"feeds add {url}"]) == 2
    assert_one_clean_line(capsys.readouterr().err.strip())
    assert main(["summarize", url]) == 2
    assert_one_clean_line(capsys.readouterr().err.strip())
    assert web.requests == [] and FeedRegistry(core.store).all() == []


# -- a feed stored with credentials before: kept, never shown --------------------------------


def test_a_stored_feed_with_credentials_is_kept_and_shown_masked(
    core: Core, web: WebServer
) -> None:
    plain = feed_url(web)
    stored = with_credentials(plain)
    registry = FeedRegistry(core.store)
    feed = registry.add(stored, "Loopback", HERE, core.clock.now())
    # An error recorded by an older version could carry the address as it was.
    registry.record(feed, last_error=f"{stored} answered HTTP 401", failures=1)
    masked = plain.replace("http://", "http://***@")
    listed = answer(core, "feeds list", HERE)
    assert isinstance(listed, NoticeReply)
    assert masked in listed.text and SECRET not in listed.text
    assert SECRET not in list_text(registry.all())
    assert SECRET not in (health_line(registry.all()) or "")
    exported = write_opml(registry.all(), core.clock.now())
    assert f'xmlUrl="{masked}"' in exported and SECRET not in exported
    # Polling it is refused by the guard, recorded in one masked line; the address stays.
    [result] = poll(core, everything=True)
    assert result.error is not None
    assert_one_clean_line(result.error)
    [after] = registry.all()
    assert after.url == stored and after.last_error is not None and SECRET not in after.last_error
    assert web.requests == []


@pytest.mark.parametrize(
    "text, shown",
    [
        ("https://u:p@host/rss", "https://***@host/rss"),
        ("https://token@host:8080/x?a=1", "https://***@host:8080/x?a=1"),
        ("https://a@b:c@host/", "https://***@host/"),
        ("https://host/path@not-userinfo", "https://host/path@not-userinfo"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        ("a http://u:p@h/x; b HTTP://v@h2 c", "a http://***@h/x; b HTTP://***@h2 c"),
        ("https://host/rss", "https://host/rss"),
    ],
)
def test_hide_credentials_masks_only_the_user_part(text: str, shown: str) -> None:
    assert hide_credentials(text) == shown
