"""Load run (issue 17): many workspaces, feeds and digests, several `briefbot run worker`
processes on one PostgreSQL, against the loopback Slack and Discord fakes.  Run by hand:

    python bench/load.py                       # 1,000 workspaces, 10,000 feeds, 5,000 digests
    python bench/load.py --workspaces 20 --feeds 200 --digests 100   # a smoke run

Needs a PostgreSQL server (`--server`, default postgresql://postgres@127.0.0.1:5432/postgres):
a database of its own is created for the run and dropped after.  The fakes run in a process
of their own (`python -m fakes.serve`, enforcing the platforms' rate limits); the feeds are
served by this process on 127.0.0.1 (RSS, one entry with its full text per feed, an
article generated from ../shared/eval's BBC texts as bench/scale.py does).

Phases, each with real worker processes (system clock):
  feeds    `--workers` workers poll every feed once: the articles digests are made of.
  digests  `--digests` digests (half Slack, half Discord, spread over the workspaces) due at
           the same minute; `--workers` workers post them.
  kill     the same with fresh channels, one worker SIGKILLed when half are posted (digest
           claim lease `--lease` minutes, BRIEFBOT_DIGEST_LEASE_MINUTES).
  one      one worker, `--one-digests` digests: how far one worker goes.
Every figure is counted on the fakes' side: digests per channel (exactly once), when each
channel's digest arrived, 429s answered.  Database connections are the peak of
pg_stat_activity rows on the run's database, sampled every half second.  `--cap` bounds
each phase (minutes); a phase that hits it says what it posted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

import psycopg  # noqa: E402
from fakes import FeedEntry, make_rss, paragraphs_html  # noqa: E402
from fakes.discord import TOKEN as DISCORD_TOKEN  # noqa: E402
from fakes.slack import BOT_TOKEN as SLACK_TOKEN  # noqa: E402
from scale import load_bases, variant  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from bot.digests import Context  # noqa: E402
from bot.feeds import FeedRegistry  # noqa: E402
from bot.store import Store, articles, deliveries, feeds, subscriptions, to_iso  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "bbc-news-summary-dev.jsonl"


# -- the world: workspaces, feeds, subscriptions ------------------------------------------


def workspace(w: int) -> tuple[str, str]:
    """(platform, workspace id) of workspace number w: even ones Slack, odd ones Discord."""
    if w % 2 == 0:
        return "slack", f"T{w:06d}"
    return "discord", str(200_000_000_000_000_000 + w)


def channel(platform: str, phase: int, j: int) -> str:
    """The channel of digest j in a phase (fresh per phase, so the fakes count per phase)."""
    if platform == "slack":
        return f"C{phase}{j:07d}"
    return str(300_000_000_000_000_000 + phase * 100_000_000 + j)


class FeedServer:
    """RSS feeds on 127.0.0.1: /w{w}/f{f}.xml holds one entry, generated article number
    (w * per + f) mod `distinct`: feeds of different workspaces carry the same words, as
    when many workspaces follow the same outlets (stored once, granted to each reader)."""

    def __init__(self, bases: list[tuple[str, str]], per_workspace: int, distinct: int) -> None:
        self.bases = bases
        self.per = per_workspace
        self.distinct = distinct
        self.served = 0
        self.now = datetime.now(UTC)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = outer.feed(self.path)
                self.send_response(200 if body else 404)
                data = (body or "").encode()
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                outer.served += 1

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, w: int, f: int) -> str:
        return f"http://127.0.0.1:{self.port}/w{w}/f{f}.xml"

    def feed(self, path: str) -> str | None:
        try:
            w, f = (int(part[1:]) for part in path.removesuffix(".xml").strip("/").split("/"))
        except ValueError:
            return None
        i = (w * self.per + f) % self.distinct
        draft = variant(self.bases, i)
        link = f"http://127.0.0.1:{self.port}/w{w}/f{f}/{i}"
        entry = FeedEntry(
            draft.title,
            link,
            content_html=paragraphs_html(draft.text.split("\n\n")),
            published=self.now - timedelta(minutes=i % 600),
        )
        return make_rss(f"Feed {w}/{f}", self.url(w, f), [entry])

    def close(self) -> None:
        self.server.shutdown()


def add_feeds(store: Store, server: FeedServer, workspaces: int, per: int) -> None:
    """Every workspace follows its `per` feeds (in its first channel)."""
    registry = FeedRegistry(store)
    now = datetime.now(UTC)
    for w in range(workspaces):
        platform, space = workspace(w)
        where = Context(platform, space, channel(platform, 0, w), "U0LOAD")
        registry.add_many([(server.url(w, f), f"Feed {w}/{f}") for f in range(per)], where, now, 30)


def subscribe(store: Store, phase: int, count: int, workspaces: int, due: datetime) -> None:
    """`count` digests due at `due` (UTC), in fresh channels spread over the workspaces; the
    previous phases' subscriptions are switched off."""
    now = datetime.now(UTC)
    rows = []
    for j in range(count):
        platform, space = workspace(j % workspaces)
        rows.append(
            {
                "platform": platform,
                "workspace": space,
                "channel": channel(platform, phase, j),
                "hour": due.hour,
                "minute": due.minute,
                "timezone": "UTC",
                "topic": None,
                "bullets": 5,
                "quiet": 0,
                "created_by": "U0LOAD",
                "created_at": to_iso(now - timedelta(hours=1)),
                "window_start": to_iso(now - timedelta(days=1)),
                "active": 1,
                "cadence": None,
            }
        )
    with store.transaction() as conn:
        conn.execute(update(subscriptions).values(active=0))
        for start in range(0, len(rows), 1000):
            conn.execute(subscriptions.insert(), rows[start : start + 1000])


# -- processes ----------------------------------------------------------------------------


def start_fakes(limits: bool) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`python -m fakes.serve` and the URLs it printed."""
    fakes = subprocess.Popen(
        [sys.executable, "-m", "fakes.serve", *([] if limits else ["--no-limits"])],
        cwd=ROOT / "tests",
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert fakes.stdout is not None
    return fakes, json.loads(fakes.stdout.readline())


def stats(urls: dict[str, str]) -> dict[str, Any]:
    with urllib.request.urlopen(urls["stats_url"], timeout=30) as response:
        return json.loads(response.read())


def start_workers(
    n: int, url: str, urls: dict[str, str], logs: Path, tag: str, lease: float = 15.0
) -> list[subprocess.Popen[bytes]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))},
        "DATABASE_URL": url,
        "BRIEFBOT_FETCH_ALLOW": "127.0.0.1",
        "BRIEFBOT_LOAD_SEEDS": "0",
        "BRIEFBOT_FEED_MAX_PAGES": "0",
        "BRIEFBOT_DIGEST_LEASE_MINUTES": str(lease),
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": urls["slack_api_url"],
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_URL": urls["discord_api_url"],
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    workers = []
    for i in range(n):
        err = (logs / f"{tag}-worker{i}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run", "worker"],
                cwd=logs,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        )
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@dataclass
class Connections:
    """Peak pg_stat_activity rows on one database (sampled every 0.5 s on a thread)."""

    dsn: str
    database: str
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Connections:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(0.5):
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                    (self.database,),
                ).fetchone()  # type: ignore[misc]
                self.peak = max(self.peak, int(count))

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# -- phases -------------------------------------------------------------------------------


def feed_phase(args: argparse.Namespace, store: Store, db: dict[str, Any], logs: Path) -> dict:
    workers = start_workers(args.workers, db["url"], db["fakes"], logs, "feeds")
    start = time.monotonic()
    total = args.feeds
    with Connections(db["admin"], db["name"]) as peak:
        try:
            while True:
                with store.engine.connect() as conn:
                    polled = conn.execute(
                        select(func.count()).where(feeds.c.last_fetched_at.is_not(None))
                    ).scalar_one()
                if polled >= total or time.monotonic() - start > args.cap * 60:
                    break
                time.sleep(1)
        finally:
            elapsed = time.monotonic() - start
            stop_workers(workers)
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    return {
        "phase": "feeds",
        "workers": args.workers,
        "feeds polled": f"{polled} of {total}",
        "seconds": round(elapsed, 1),
        "polls/s": round(polled / elapsed, 1),
        "articles stored": stored,
        "db connections (peak)": peak.peak,
    }


def digest_phase(
    args: argparse.Namespace,
    store: Store,
    db: dict[str, Any],
    logs: Path,
    *,
    name: str,
    phase: int,
    workers_n: int,
    count: int,
    kill: bool = False,
) -> dict:
    lead = 45  # seconds for the workers to start before the due minute
    due = datetime.fromtimestamp(math.ceil((time.time() + lead) / 60) * 60, UTC)
    subscribe(store, phase, count, args.workspaces, due)
    before = stats(db["fakes"])
    lease = args.lease if kill else 15.0
    workers = start_workers(workers_n, db["url"], db["fakes"], logs, name, lease)
    killed_at = None
    cap = args.cap * 60 + (lease * 60 if kill else 0)
    with Connections(db["admin"], db["name"]) as peak:
        try:
            while True:
                got = stats(db["fakes"])
                mine = {c: n for c, n in got["digests"].items() if _phase_of(c) == phase}
                if kill and killed_at is None and len(mine) >= count // 2:
                    workers[0].send_signal(signal.SIGKILL)
                    killed_at = time.time() - due.timestamp()
                if len(mine) >= count or time.time() - due.timestamp() > cap:
                    break
                time.sleep(1)
            _settle(store, 30)  # the last posts' ledger rows, written just after they landed
        finally:
            stop_workers(workers)
    got = stats(db["fakes"])
    mine = {c: n for c, n in got["digests"].items() if _phase_of(c) == phase}
    delays = sorted(
        t - due.timestamp() for c, t in got["first_arrival"].items() if _phase_of(c) == phase
    )
    with store.engine.connect() as conn:
        ledger = dict(
            conn.execute(
                select(deliveries.c.status, func.count())
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(subscriptions.c.active == 1)
                .group_by(deliveries.c.status)
            ).all()
        )
    last = delays[-1] if delays else float("nan")
    result = {
        "phase": name,
        "workers": workers_n,
        "digests due": count,
        "channels with a digest": len(mine),
        "channels with more than one": sum(n > 1 for n in mine.values()),
        "seconds until every due digest posted": round(last, 1)
        if len(mine) >= count
        else f"not all: {len(mine)} in {round(last, 1)}",
        "posts/s": round(len(mine) / last, 2) if delays else 0,
        "delay p50 s": round(_quantile(delays, 0.5), 1),
        "delay p99 s": round(_quantile(delays, 0.99), 1),
        "429s answered": got["status_429"] - before["status_429"],
        "429s by limit": {
            k: v - before["limited"].get(k, 0)
            for k, v in got["limited"].items()
            if v - before["limited"].get(k, 0)
        },
        "ledger": ledger,
        "db connections (peak)": peak.peak,
    }
    if kill:
        result["killed worker at s"] = None if killed_at is None else round(killed_at, 1)
        result["lease minutes"] = lease
    return result


def _settle(store: Store, seconds: float) -> None:
    """Wait (at most `seconds`) until no active subscription's ledger row is still claimed."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with store.engine.connect() as conn:
            claimed = conn.execute(
                select(func.count())
                .select_from(deliveries)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(subscriptions.c.active == 1, deliveries.c.status == "claimed")
            ).scalar_one()
        if not claimed:
            return
        time.sleep(0.5)


def _phase_of(key: str) -> int:
    platform, ident = key.split(":", 1)
    if platform == "slack":
        return int(ident[1])
    return (int(ident) - 300_000_000_000_000_000) // 100_000_000


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


# -- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument(
        "--feeds", type=int, default=10_000, help="in all (a multiple of --workspaces)"
    )
    parser.add_argument("--digests", type=int, default=5000)
    parser.add_argument(
        "--articles", type=int, default=2000, help="distinct articles the feeds carry"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--one-digests", type=int, default=None, help="default: --digests")
    parser.add_argument("--lease", type=float, default=2.0, help="minutes, kill phase")
    parser.add_argument("--cap", type=float, default=20.0, help="minutes per phase")
    parser.add_argument("--phases", default="feeds,digests,kill,one")
    parser.add_argument("--no-limits", action="store_true", help="fakes answer every request")
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", type=Path, default=None, help="append results as JSON lines")
    args = parser.parse_args(argv)
    per = args.feeds // args.workspaces
    name = f"briefbot_load_{uuid.uuid4().hex[:8]}"
    base = args.server.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    fakes, fake_urls = start_fakes(not args.no_limits)
    server = FeedServer(load_bases([EVAL]), per, args.articles)
    logs = Path(tempfile.mkdtemp(prefix="briefbot-load-"))
    print(f"database {name}, logs in {logs}", flush=True)
    db = {"url": url, "admin": args.server, "name": name, "fakes": fake_urls}
    results = []
    try:
        store = Store(url)
        add_feeds(store, server, args.workspaces, per)
        phases = args.phases.split(",")
        steps = {
            "feeds": lambda: feed_phase(args, store, db, logs),
            "digests": lambda: digest_phase(
                args,
                store,
                db,
                logs,
                name="digests",
                phase=1,
                workers_n=args.workers,
                count=args.digests,
            ),
            "kill": lambda: digest_phase(
                args,
                store,
                db,
                logs,
                name="kill one worker",
                phase=2,
                workers_n=args.workers,
                count=args.digests,
                kill=True,
            ),
            "one": lambda: digest_phase(
                args,
                store,
                db,
                logs,
                name="one worker",
                phase=3,
                workers_n=1,
                count=args.one_digests or args.digests,
            ),
        }
        for phase in phases:
            result = steps[phase]()
            result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            results.append(result)
            print(json.dumps(result), flush=True)
            if args.out:
                with args.out.open("a") as out:
                    out.write(json.dumps(result) + "\n")
        store.close()
    finally:
        server.close()
        fakes.send_signal(signal.SIGTERM)
        fakes.wait(30)
        with psycopg.connect(args.server, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            admin.execute(f"DROP DATABASE {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
