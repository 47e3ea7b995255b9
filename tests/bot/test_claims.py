"""Several workers on one database: feed claims (leases) and `briefbot run worker`.

In-process claims run on the fake clock; the process tests start real `briefbot run worker`
processes (system clock) against loopback feeds and the loopback Slack fake, and count what
reached them.  Runs on SQLite, and on PostgreSQL when BRIEFBOT_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from fakes import FeedEntry, make_rss
from fakes.processes import subscribe_due, wait_until
from fakes.slack import BOT_TOKEN, FakeSlack
from fakes.web import WebServer

from bot.app import Core
from bot.digests import Context
from bot.feeds import FeedRegistry, poll, seconds_to_next
from bot.ledger import Ledger
from bot.urls import normalize_url
from bot.workers import FEED_LEASE, FeedClaims

PROJECT = Path(__file__).resolve().parents[2]
CLI = Context(platform="cli", workspace="", channel="", user="operator")


def rss(web: WebServer, path: str) -> str:
    entry = FeedEntry(f"Story at {path}", web.url(f"{path}/story"), summary=f"About {path}.")
    return web.serve(path, make_rss(path, web.url(path), [entry]), "application/rss+xml")


def test_a_leased_feed_is_not_claimed_again_until_its_lease_runs_out(core: Core, clock) -> None:
    a, b = FeedClaims(core.store, "worker-a"), FeedClaims(core.store, "worker-b")
    urls = ["http://x.test/feed", "http://y.test/feed"]
    now = clock.now()
    assert a.claim(urls[:1], now) == {urls[0]}
    assert b.claim(urls, now) == {urls[1]}  # the other one only
    assert b.claim(urls, now + FEED_LEASE - timedelta(seconds=1)) == set()
    # worker-a died holding its lease: once it runs out, worker-b takes the feed over.
    assert b.claim(urls[:1], now + FEED_LEASE) == {urls[0]}
    assert not a.release(urls[0], now + FEED_LEASE)  # no longer a's
    assert b.release(urls[0], now + FEED_LEASE)
    assert a.claim(urls[:1], now + FEED_LEASE) == {urls[0]}
    assert a.holders()[urls[0]][0] == "worker-a"


def test_a_feed_polled_by_another_worker_is_not_fetched_again(
    bare_core: Core, web: WebServer, clock
) -> None:
    url = rss(web, "/one")
    FeedRegistry(bare_core.store).add(url, "One", CLI, clock.now())
    other = FeedClaims(bare_core.store, "another-worker")
    assert other.claim([normalize_url(url)], clock.now())
    assert poll(bare_core) == []  # leased elsewhere: skipped
    # ... and not waited on before the other worker's lease runs out.
    assert seconds_to_next(bare_core, clock.now()) == FEED_LEASE.total_seconds()
    assert web.requests_to("/one") == []
    assert other.release(normalize_url(url), clock.now())
    [result] = poll(bare_core)
    assert result.error is None and len(web.requests_to("/one")) == 1
    assert poll(bare_core) == []  # polled: not due again until its interval has passed
    assert len(web.requests_to("/one")) == 1


def worker_env(core: Core, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": core.settings.database_url,
        "BRIEFBOT_FETCH_ALLOW": "127.0.0.1",
        "BRIEFBOT_LOAD_SEEDS": "0",
        "PYTHONPATH": str(PROJECT),
        **extra,
    }
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN"):
        if name not in extra:
            env.pop(name, None)
    return env


async def start_worker(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "worker",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(worker: asyncio.subprocess.Process) -> str:
    if worker.returncode is None:
        worker.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(worker.communicate(), 60)
    return err.decode()


async def test_three_workers_fetch_each_feed_once_and_post_each_digest_once(
    bare_core: Core, web: WebServer, tmp_path: Path
) -> None:
    core = bare_core
    now = datetime.now(UTC)
    registry = FeedRegistry(core.store)
    paths = [f"/feed{i}" for i in range(24)]
    for path in paths:
        registry.add(rss(web, path), path, CLI, now)
    due = (now - timedelta(minutes=2)).replace(second=0, microsecond=0)
    channels = [f"C{i:04d}" for i in range(6)]
    ledger = Ledger(core.store)
    for channel in channels:
        subscribe_due(
            ledger, due, now, platform="slack", workspace="T0FAKE", channel=channel, created_by="U1"
        )
    slack = await FakeSlack().start()
    env = worker_env(core, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.api_url)
    workers = [await start_worker(env, tmp_path) for _ in range(3)]
    try:

        def done() -> bool:
            fetched = all(web.requests_to(p) for p in paths)
            posted = all(slack.messages.get(c) for c in channels)
            return fetched and posted

        await wait_until(done, "every feed fetched and every digest posted")
        await wait_until(
            lambda: all(f.last_fetched_at is not None for f in registry.all()),
            "every poll recorded",
        )
        errors = [await stop(w) for w in workers]
    finally:
        for w in workers:
            if w.returncode is None:
                w.kill()
                await w.wait()
        await slack.stop()
    assert all(w.returncode == 0 for w in workers), errors
    assert {p: len(web.requests_to(p)) for p in paths} == dict.fromkeys(paths, 1)
    assert {c: len(slack.messages[c]) for c in channels} == dict.fromkeys(channels, 1)
    assert all(
        ledger.latest(s.id).status == "delivered"  # type: ignore[union-attr]
        for s in ledger.subscriptions()
    )


async def test_a_worker_killed_mid_claim_is_taken_over_when_its_lease_runs_out(
    bare_core: Core, web: WebServer, tmp_path: Path
) -> None:
    core = bare_core
    arrived, answer = threading.Event(), threading.Event()
    body = make_rss("slow", web.url("/slow"), [FeedEntry("Slow story", web.url("/slow/1"))])

    def held(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        arrived.set()
        answer.wait(60)  # the first worker dies while it waits here
        data = body.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    url = web.serve_raw("/slow", held)
    now = datetime.now(UTC)
    FeedRegistry(core.store).add(url, "Slow", CLI, now)
    worker = await start_worker(worker_env(core), tmp_path)
    try:
        assert await asyncio.to_thread(arrived.wait, 60), "the worker never fetched"
        worker.send_signal(signal.SIGKILL)  # mid-claim: leased, fetching, nothing recorded
        await worker.wait()
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert worker.returncode == -signal.SIGKILL
    holder, until = FeedClaims(core.store).holders()[normalize_url(url)]
    assert holder is not None and holder != FeedClaims(core.store).worker
    assert FeedRegistry(core.store).all()[0].last_fetched_at is None
    answer.set()
    # Still leased: nobody else fetches it yet.
    assert await asyncio.to_thread(poll, core, now=now) == []
    # The lease has run out: this worker takes the feed over and polls it.
    later = datetime.fromisoformat(until) + timedelta(seconds=1)
    [result] = await asyncio.to_thread(poll, core, now=later)
    assert result.error is None and result.feed_id == FeedRegistry(core.store).all()[0].id
    assert len(web.requests_to("/slow")) == 2  # the dead worker's, and the takeover
    assert FeedRegistry(core.store).all()[0].last_fetched_at == later
