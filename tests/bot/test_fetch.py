"""The fetch guard over real loopback HTTP: what may be reached, caps, the deadline, the abort.

The `web` server listens on 127.0.0.1; a second recording server (`inside`) listens on
127.0.0.2, which stands for every internal address: the test settings allow 127.0.0.1 only, so
a URL, redirect or feed link that points at `inside` must be refused without a request ever
reaching it, and with BRIEFBOT_FETCH_ALLOW covering it the same URL must reach it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fakes import CHESS, HARBOUR, VOLCANO, FeedEntry, make_rss, story_html
from fakes.web import WebServer

from bot.app import Core, build_core
from bot.commands import BriefingReply, ErrorReply, NoticeReply, answer
from bot.config import Settings, load_settings
from bot.digests import Context
from bot.errors import BadSettings, FetchFailed
from bot.feeds import FeedRegistry, poll
from bot.fetch import (
    NOT_ALLOWED,
    AllowList,
    Blocked,
    Fetcher,
    FetchPolicy,
    is_public,
    resolve,
)
from bot.ingest import ingest
from bot.scopes import OPERATOR

HERE = Context(platform="slack", workspace="T1", channel="C1", user="U1")


@pytest.fixture
def inside() -> Iterator[WebServer]:
    """A recording server on 127.0.0.2: an address the test settings do not allow."""
    server = WebServer(host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.stop()


def _core(settings: Settings, clock, **changes: object) -> Iterator[Core]:
    built = build_core(dataclasses.replace(settings, **changes), clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def guarded(settings: Settings, clock) -> Iterator[Core]:
    """A core with no allow-list at all: nothing on loopback may be reached."""
    yield from _core(settings, clock, fetch_allow=())


@pytest.fixture
def opened(settings: Settings, clock) -> Iterator[Core]:
    """A core whose operator allowed all of 127.0.0.0/8."""
    yield from _core(settings, clock, fetch_allow=("127.0.0.0/8",))


def fetcher(**changes: object) -> Fetcher:
    return Fetcher(dataclasses.replace(FetchPolicy(allow=AllowList.parse("127.0.0.1")), **changes))


# -- the address checker ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f.1",  # hexadecimal, two parts
        "017700000001",  # octal
        "0177.0.0.1",
        "127.1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::1",
        "localhost",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fd00::1",  # unique-local
        "fec0::1",  # site-local
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "::",
        "224.0.0.1",  # multicast
        "ff02::1",
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "::ffff:0:7f00:1",  # IPv4-translated (SIIT) 127.0.0.1
        "::127.0.0.1",  # IPv4-compatible (deprecated)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo whose client is 127.0.0.1
        "no-such-host.invalid",  # does not resolve: the same refusal
    ],
)
def test_internal_addresses_are_refused_however_they_are_spelled(host: str) -> None:
    with pytest.raises(Blocked):
        resolve(host, 80, AllowList())


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
    assert resolve(address, 443, AllowList())  # numeric: resolved without any DNS query


def test_the_allow_list_opens_named_hosts_and_networks_only() -> None:
    allow = AllowList.parse(" 127.0.0.1 , Intranet.Example. ,10.0.0.0/8,[fd00::1]")
    assert allow.entries() == ("intranet.example", "127.0.0.1/32", "10.0.0.0/8", "fd00::1/128")
    assert resolve("127.0.0.1", 80, allow) and resolve("10.1.2.3", 80, allow)
    assert resolve("::ffff:127.0.0.1", 80, allow)  # the same address, mapped
    assert allow.allows_name("INTRANET.example.")
    for host in ("127.0.0.2", "192.168.0.1", "fd00::2"):
        with pytest.raises(Blocked):
            resolve(host, 80, allow)


@pytest.mark.parametrize("value", ["10.0.0.0/33", "10.0.0.1/8", "exa mple.com", "1.2.3.4.5"])
def test_a_bad_allow_list_is_one_line_at_start(value: str) -> None:
    with pytest.raises(BadSettings) as caught:
        load_settings({"BRIEFBOT_FETCH_ALLOW": value})
    message = str(caught.value)
    assert "BRIEFBOT_FETCH_ALLOW" in message and "\n" not in message


def test_fetch_settings_are_read() -> None:
    settings = load_settings(
        {
            "BRIEFBOT_FETCH_ALLOW": "intranet.example,10.0.0.0/8",
            "BRIEFBOT_MAX_PAGE_BYTES": "1000",
            "BRIEFBOT_MAX_FEED_BYTES": "2000",
            "BRIEFBOT_FEED_MAX_ITEMS": "3",
            "BRIEFBOT_FEED_MAX_PAGES": "0",
        }
    )
    policy = FetchPolicy.from_settings(settings)
    assert (policy.page_bytes, policy.feed_bytes, policy.feed_items, policy.feed_pages) == (
        1000,
        2000,
        3,
        0,
    )
    assert policy.allow.allows_name("intranet.example")
    assert load_settings({}).fetch_allow == ()
    with pytest.raises(BadSettings, match="BRIEFBOT_FEED_MAX_ITEMS"):
        load_settings({"BRIEFBOT_FEED_MAX_ITEMS": "0"})


def test_the_connection_goes_to_the_address_that_was_checked(web: WebServer, monkeypatch) -> None:
    """DNS rebinding: a second answer (an internal address) is never asked for nor used."""
    real = socket.getaddrinfo
    asked: list[str] = []
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])

    def rebinding(host, port, *args, **kwargs):
        if host != "news.test":
            return real(host, port, *args, **kwargs)
        asked.append(host)
        if kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            raise socket.gaierror(socket.EAI_NONAME, "not numeric")
        return real(next(answers), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    web.serve("/a", story_html(CHESS))
    client = fetcher()
    try:
        fetched = client.get(f"http://news.test:{web.port}/a")
    finally:
        client.close()
    assert fetched.status == 200 and web.paths() == ["/a"]
    assert len(asked) == 2  # the numeric probe, then one lookup whose answer was used


# -- chat commands, redirects and feeds never reach a refused address ----------------------


def test_summarize_of_loopback_is_refused_and_nothing_reaches_it(
    guarded: Core, web: WebServer
) -> None:
    url = web.serve("/harbour.html", story_html(HARBOUR))
    for spelled in (url, f"http://localhost:{web.port}/harbour.html"):
        reply = answer(guarded, f"summarize {spelled}", HERE)
        assert isinstance(reply, ErrorReply)
        assert reply.message == f"{spelled} {NOT_ALLOWED}"
    assert web.requests == []


def test_feeds_add_of_loopback_is_refused_and_nothing_reaches_it(
    guarded: Core, web: WebServer
) -> None:
    url = web.serve("/rss", make_rss("Loopback", web.url("/"), []), "application/rss+xml")
    reply = answer(guarded, f"feeds add {url}", HERE)
    assert isinstance(reply, ErrorReply)
    assert NOT_ALLOWED in reply.message and "Nothing was stored" in reply.message
    assert "\n" not in reply.message
    assert web.requests == [] and FeedRegistry(guarded.store).all() == []


def test_a_refusal_says_the_same_whatever_listens_there(guarded: Core, web: WebServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    answers = [
        answer(guarded, f"summarize {u}", HERE)
        for u in (
            web.serve("/page", story_html(CHESS)),  # would answer 200
            web.url("/missing"),  # would answer 404
            f"http://127.0.0.1:{closed}/",  # would refuse the connection
        )
    ]
    assert all(isinstance(r, ErrorReply) for r in answers)
    assert {r.message.split(" ", 1)[1] for r in answers} == {NOT_ALLOWED}  # type: ignore[union-attr]
    assert web.requests == []


@pytest.mark.parametrize(
    "spelling",
    ["127.0.0.2", "2130706434", "0x7f.2", "127.2", "[::ffff:127.0.0.2]"],
)
def test_a_redirect_to_an_internal_address_is_refused_before_any_request(
    core: Core, web: WebServer, inside: WebServer, spelling: str
) -> None:
    inside.serve("/secret", story_html(VOLCANO))
    target = f"http://{spelling}:{inside.port}/secret"
    start = web.redirect("/go", target)
    reply = answer(core, f"summarize {start}", HERE)
    assert isinstance(reply, ErrorReply) and reply.message == f"{start} {NOT_ALLOWED}"
    assert web.paths() == ["/go"]
    assert inside.requests == []


def test_a_redirect_to_ipv6_loopback_is_refused(core: Core, web: WebServer) -> None:
    try:
        v6 = WebServer(host="::1").start()
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    try:
        v6.serve("/secret", story_html(VOLCANO))
        start = web.redirect("/go", v6.url("/secret"))
        reply = answer(core, f"summarize {start}", HERE)
        assert isinstance(reply, ErrorReply) and reply.message == f"{start} {NOT_ALLOWED}"
        assert v6.requests == []
    finally:
        v6.stop()


def test_the_allow_list_reaches_what_it_names(
    opened: Core, web: WebServer, inside: WebServer
) -> None:
    secret = inside.serve("/secret", story_html(VOLCANO))
    start = web.redirect("/go", secret)
    reply = answer(opened, f"summarize {start}", HERE)
    assert isinstance(reply, BriefingReply), reply
    assert inside.paths() == ["/secret"]
    feed = inside.serve("/rss", teaser_feed(inside, 1), "application/rss+xml")
    added = answer(opened, f"feeds add {feed}", HERE)
    assert isinstance(added, NoticeReply), added


def teaser_feed(server: WebServer, count: int, link_to: WebServer | None = None) -> str:
    """A feed of `count` one-line teasers whose pages are on `link_to` (default: `server`)."""
    pages = link_to or server
    stories = [HARBOUR, VOLCANO, CHESS]
    entries = []
    for n in range(count):
        story = stories[n % len(stories)]
        path = f"/story/{n}"
        pages.serve(path, story_html(story))
        entries.append(
            FeedEntry(
                title=f"{story.title} ({n})",
                link=pages.url(path),
                summary=story.paragraphs[0],
                published=datetime(2024, 5, 1, 8, n % 60, tzinfo=UTC),
            )
        )
    return make_rss("Teasers", server.url("/"), entries)


def test_feed_entries_linking_inside_are_stored_from_the_feed_without_fetching(
    core: Core, web: WebServer, inside: WebServer
) -> None:
    feed = web.serve("/rss", teaser_feed(web, 2, link_to=inside), "application/rss+xml")
    reply = answer(core, f"feeds add {feed}", HERE)
    assert isinstance(reply, NoticeReply), reply
    assert "2 articles stored" in reply.text  # from the teasers themselves
    poll(core, everything=True)
    assert inside.requests == []


def test_feed_entries_linking_inside_are_fetched_when_allowed(
    opened: Core, web: WebServer, inside: WebServer
) -> None:
    feed = web.serve("/rss", teaser_feed(web, 2, link_to=inside), "application/rss+xml")
    assert isinstance(answer(opened, f"feeds add {feed}", HERE), NoticeReply)
    assert sorted(inside.paths()) == ["/story/0", "/story/1"]


def test_cli_ingest_and_feeds_add_go_through_the_same_guard(
    settings: Settings, web: WebServer, monkeypatch, capsys, tmp_path
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("BRIEFBOT_FETCH_ALLOW", raising=False)
    page = web.serve("/page.html", story_html(HARBOUR))
    feed = web.serve("/rss", teaser_feed(web, 1), "application/rss+xml")
    assert main(["ingest", "--no-progress", page]) == 2
    assert NOT_ALLOWED in capsys.readouterr().err
    assert main(["feeds", "add", feed]) == 2
    assert NOT_ALLOWED in capsys.readouterr().err
    assert web.requests == []


# -- caps ----------------------------------------------------------------------------------


def test_items_per_feed_and_pages_per_poll_are_capped(
    settings: Settings, clock, web: WebServer
) -> None:
    feed = web.serve("/rss", teaser_feed(web, 6), "application/rss+xml")
    for core in _core(settings, clock, feed_max_items=5, feed_max_pages=2, load_seeds=False):
        reply = answer(core, f"feeds add {feed}", HERE)
        assert isinstance(reply, NoticeReply), reply
        assert "5 articles stored" in reply.text  # the sixth entry is past the item cap
    assert len([p for p in web.paths() if p.startswith("/story/")]) == 2


def endless_chunks(handler, stop: threading.Event) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"<p>" + b"all work and no play " * 3000 + b"</p>"
    while not stop.is_set():
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def test_a_never_ending_response_stops_at_the_cap(web: WebServer) -> None:
    url = web.serve_raw("/endless", endless_chunks)
    client = fetcher(page_bytes=1_000_000)
    try:
        with pytest.raises(FetchFailed, match=r"larger than 1 MB"):
            client.get(url)
    finally:
        client.close()


def test_a_gzip_bomb_stops_at_the_cap_with_bounded_memory(web: WebServer) -> None:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    bomb = squeeze.compress(b"\0" * 50_000_000) + squeeze.flush()
    assert len(bomb) < 100_000
    url = web.serve_in_turn("/bomb", [(200, bomb)], "text/html", {"Content-Encoding": "gzip"})
    client = fetcher(page_bytes=1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(FetchFailed, match=r"larger than 1 MB"):
            client.get(url)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        client.close()
    assert peak < 8_000_000  # the 50 MB it inflates to were never held


def test_gzip_within_the_cap_is_decoded(web: WebServer) -> None:
    page = story_html(CHESS).encode()
    url = web.serve_in_turn(
        "/z", [(200, zlib.compress(page))], "text/html", {"Content-Encoding": "deflate"}
    )
    client = fetcher()
    try:
        assert client.get(url).content == page
    finally:
        client.close()


def lying_length(handler, stop: threading.Event) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(10**12))
    handler.end_headers()
    handler.wfile.write(b"<p>and the rest never comes")
    handler.wfile.flush()
    stop.wait()


def test_a_too_large_content_length_is_refused_before_reading(web: WebServer) -> None:
    url = web.serve_raw("/huge", lying_length)
    client = fetcher(timeout=60.0)
    try:
        # Reading the body would wait out the 60 s deadline; refusing early says "larger".
        with pytest.raises(FetchFailed, match="larger than 5 MB"):
            client.get(url)
    finally:
        client.close()


def trickle_body(handler, stop: threading.Event) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    while not stop.wait(0.1):  # a slow server: one byte every tenth of a second
        handler.wfile.write(b"x")
        handler.wfile.flush()


def trickle_headers(handler, stop: threading.Event) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    while not stop.wait(0.1):
        handler.wfile.write(b"X-Slow: y\r\n")
        handler.wfile.flush()


@pytest.mark.parametrize("responder", [trickle_body, trickle_headers])
def test_a_trickling_server_ends_at_the_deadline(web: WebServer, responder) -> None:
    url = web.serve_raw("/slow", responder)
    client = fetcher(timeout=1.0)
    try:
        with pytest.raises(FetchFailed, match=r"did not answer within 1 s"):
            client.get(url)
    finally:
        client.close()


def test_close_aborts_a_fetch_in_flight_from_another_thread(web: WebServer) -> None:
    url = web.serve_raw("/slow", trickle_body)
    client = fetcher(timeout=600.0)
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            client.get(url)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    assert web.received.wait(10)
    client.close()
    worker.join(30)  # a bound for a broken abort; the deadline alone would take 600 s
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, FetchFailed) and "stopping" in str(error)
    with pytest.raises(FetchFailed, match="stopping"):
        client.get(url)


# -- redirects --------------------------------------------------------------------------------


def test_permanent_redirects_are_reported(web: WebServer) -> None:
    final = web.serve("/new", story_html(CHESS))
    web.redirect("/b", final, 308)
    start = web.redirect("/a", web.url("/b"), 301)
    client = fetcher()
    try:
        fetched = client.get(start)
        assert fetched.url == final and fetched.redirects == (web.url("/b"), final)
        assert fetched.permanent_url == final
        web.redirect("/c", web.url("/b"), 302)
        assert client.get(web.url("/c")).permanent_url is None
        assert client.get(final).permanent_url is None
    finally:
        client.close()


def test_redirects_are_capped_and_only_lead_to_web_addresses(web: WebServer) -> None:
    for n in range(7):
        web.redirect(f"/r{n}", web.url(f"/r{n + 1}"))
    web.redirect("/file", "file:///etc/passwd")
    client = fetcher()
    try:
        with pytest.raises(FetchFailed, match="redirected more than 5 times"):
            client.get(web.url("/r0"))
        assert web.paths() == [f"/r{n}" for n in range(6)]
        with pytest.raises(FetchFailed, match="not a web address"):
            client.get(web.url("/file"))
        with pytest.raises(FetchFailed, match="not a web address"):
            client.get("ftp://127.0.0.1/")
    finally:
        client.close()


def test_a_poll_stopped_by_close_records_no_failure(core: Core, web: WebServer) -> None:
    feed = web.serve("/rss", teaser_feed(web, 1), "application/rss+xml")
    assert isinstance(answer(core, f"feeds add {feed}", HERE), NoticeReply)
    slow = web.serve_raw("/slow", trickle_body)
    entries = [FeedEntry("A slow page", slow, summary="One line.")]
    web.serve("/rss", make_rss("Teasers", web.url("/"), entries), "application/rss+xml")
    web.received.clear()
    worker = threading.Thread(target=poll, args=(core,), kwargs={"everything": True})
    worker.start()
    while "/slow" not in web.paths():
        assert web.received.wait(10)
        web.received.clear()
    core.fetcher.close()
    worker.join(30)
    assert not worker.is_alive()
    [after] = FeedRegistry(core.store).all()
    assert after.failures == 0 and after.last_error is None and after.etag is None
    assert core.store.search("slow page", scope=OPERATOR) == []


def test_an_ingest_refusal_names_the_address_once(guarded: Core, web: WebServer) -> None:
    url = web.url("/private")
    report = ingest(guarded.store, [url], guarded.clock, guarded.fetcher)
    assert report.summary().count(url) == 1, report.summary()
    assert "cannot be fetched" in report.summary()
    assert web.requests_to("/private") == []
