"""`briefbot brief TOPIC` latency over generated stores, and ingest throughput.

    python bench/scale.py [DATA.jsonl ...] [--sizes 1000 10000 100000] [--runs 9]

Stores of each size are generated from real news texts (the JSONL files given, else the
shipped seeds): article i is base text i mod N, varied from the second round on (one sentence
dropped, one borrowed from another article) so every article is distinct, with publication
times spread over 30 days.  Stores are built once and kept in `--workdir` (default
`bench/.scale/`, ignored by git).  Latency is measured the way the bot answers: one warm
process, `brief TOPIC` parsed and answered by the command layer, min / median of `--runs`,
for no topic, a topic in ~3% of the texts, a common one (~20%) and the store's rarest word;
"uncached" again with the process's kept analyses dropped before each briefing.
Throughput is the real `briefbot ingest` path (read, clean, analyze, store) over a folder
of the base texts written as .txt files.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from busy import Burner, busy
from evaldata import all_documents

from bot.app import Core, build_core
from bot.clock import SystemClock
from bot.commands import BriefingReply, answer
from bot.config import Settings
from bot.fetch import Fetcher, FetchPolicy
from bot.ingest import draft_from_plain, ingest
from bot.models import ArticleDraft
from bot.scopes import OPERATOR
from bot.store import Store
from seeds import seed_files
from summarizers.analysis import Analysis, analyze
from summarizers.text import STOP_WORDS, split_sentences

Base = tuple[str, str]  # title, text
ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 1, 31, tzinfo=UTC)


def load_bases(paths: list[Path]) -> list[Base]:
    """Titles and texts of real articles."""
    bases: list[Base] = []
    for doc in all_documents(paths):
        text = doc["text"].strip()
        title = (doc.get("title") or "").strip() or text.split(". ")[0][:90]
        bases.append((title, text))
    if not bases:
        for path in seed_files():
            draft = draft_from_plain(path.read_text(encoding="utf-8"), "seed")
            bases.append((draft.title, draft.text))
    return bases


def variant(bases: list[Base], i: int) -> ArticleDraft:
    """The i-th generated article (deterministic)."""
    n = len(bases)
    title, text = bases[i % n]
    round_ = i // n
    if round_:
        sentences = split_sentences(text)
        borrowed = split_sentences(bases[(i * 7919 + 13) % n][1])
        if len(sentences) > 1:
            del sentences[round_ % len(sentences)]
        if borrowed:
            sentences.append(borrowed[round_ % len(borrowed)])
        text = " ".join(sentences) + f" (Report {round_}.)"
        title = f"{title} ({round_})"
    published = NOW - timedelta(minutes=(i * 37) % (30 * 24 * 60))
    return ArticleDraft(title=title, text=text, source=f"Outlet {i % 7}", published_at=published)


def _analyzed(args: tuple[list[Base], int]) -> tuple[ArticleDraft, Analysis]:
    bases, i = args
    draft = variant(bases, i)
    return draft, analyze(draft.text, draft.title)


_POOL_BASES: list[Base] = []


def _init(bases: list[Base]) -> None:
    _POOL_BASES[:] = bases


def _work(i: int) -> tuple[ArticleDraft, bytes]:
    draft, analysis = _analyzed((_POOL_BASES, i))
    return draft, analysis.to_bytes(draft.text, draft.title)


def build_store(path: Path, bases: list[Base], size: int) -> None:
    """Fill a store with `size` generated articles (analysis in parallel, one writer)."""
    store = Store(f"sqlite:///{path}")
    try:
        have = store.count()
        with multiprocessing.Pool(initializer=_init, initargs=(bases,)) as pool:
            for draft, blob in pool.imap(_work, range(have, size), chunksize=64):
                store.add(draft, Analysis.from_bytes(blob, draft.text, draft.title), NOW)
    finally:
        store.close()


def pick_topic(bases: list[Base], share: float = 0.03) -> str:
    """A word found in about `share` of the texts (3%: a realistic, selective topic; 20%: a
    common word, whose matches a search must not all visit)."""
    df: Counter[str] = Counter()
    for _, text in bases:
        df.update({w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)} - STOP_WORDS)
    target = share * len(bases)
    return min(sorted(df), key=lambda w: abs(df[w] - target))


def pick_rare(bases: list[Base], path: Path, candidates: int = 60) -> tuple[str, int]:
    """The rarest topic word of a store and its matches: of the first `candidates` words
    (6+ letters, alphabetical) found in one base text only, the one the store's full-text
    index matches least (its stemming joins words).  A generated store holds every base text
    about size / N times, so at 100,000 articles even this word matches ~100."""
    df: Counter[str] = Counter()
    for _, text in bases:
        df.update({w.lower() for w in re.findall(r"[A-Za-z]{6,}", text)} - STOP_WORDS)
    words = sorted(w for w, n in df.items() if n == 1)[:candidates]
    with sqlite3.connect(path) as conn:
        counts = {
            w: conn.execute(
                "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?", (w,)
            ).fetchone()[0]
            for w in words
        }
    word = min(words, key=lambda w: (counts[w], w))
    return word, counts[word]


def latency(
    path: Path, command: str, runs: int, *, uncached: bool = False
) -> tuple[list[float], list[float], list[float], int]:
    """ms of one command in a warm process, ms of its floor and ms of reading its rows,
    `runs` times each, back to back, and the articles its briefing read.

    The floor is reading and decoding the rows the briefing uses: raw sqlite3 fetching the
    same articles' columns, text and analysis by id, and `Analysis.from_bytes` on each
    (since analysis format 10, decoding tokenises the sentences again: ~20-25x the reading
    in this bench's runs).
    "Read" is the fetch alone, the floor of any format.
    A warm process keeps the analyses it decoded and what it derived from them
    (`Core.reads`' analyses, `summarizers.derived`); `uncached` drops them before every timed
    briefing, as for articles the process has not read yet — only partly cold: the small
    per-sentence caches (`facts.dangles`, `facts.anchors`, `languages.code`) and the built
    search statements stay warm, so "uncached" understates a fresh process.
    """
    core, reply = warm_core(path, command)
    raw = sqlite3.connect(path)
    try:
        topic = command.removeprefix("brief").strip() or None
        used = reply.briefing.article_count
        ids = [a.id for a in core.store.search(topic, limit=used, scope=OPERATOR)]
        marks = ",".join("?" * len(ids))
        query = (
            "SELECT id, title, source, url, published_at, ingested_at, outlet, text, analysis "
            f"FROM articles WHERE id IN ({marks})"
        )

        def floor() -> None:
            for row in raw.execute(query, ids):
                Analysis.from_bytes(row[8], row[7], row[1])

        def read() -> None:
            raw.execute(query, ids).fetchall()

        floor()
        times, floors, reads = [], [], []
        for _ in range(runs):
            if uncached:
                core.reads.forget_analyses()
            start = time.perf_counter()
            answer(core, command)
            times.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            floor()
            floors.append(1000 * (time.perf_counter() - start))
            start = time.perf_counter()
            read()
            reads.append(1000 * (time.perf_counter() - start))
        return times, floors, reads, used
    finally:
        raw.close()
        core.close()


def warm_core(path: Path, command: str) -> tuple[Core, BriefingReply]:
    """A core on the store at `path` that has answered `command` once (store open, caches
    filled, model loaded), and that answer; SystemExit when it is no briefing.

    A running bot opens its Store before the first command (adapters.run), as here; its
    briefings read an up-to-date SQLite store through bot.sqlite_reads (`Core.reads`), as a
    cold command line does (`cold`)."""
    core = build_core(
        Settings(database_url=f"sqlite:///{path}", load_seeds=False), clock=SystemClock()
    )
    core.store  # noqa: B018
    reply = answer(core, command)
    if not isinstance(reply, BriefingReply):
        core.close()
        raise SystemExit(f"{command!r} did not give a briefing: {reply}")
    return core, reply


def alternated(
    path: Path, command: str, runs: int, burner: Burner
) -> tuple[list[float], list[float]]:
    """ms of one command in a warm process, `runs` times with `burner` paused and `runs` times
    with it spinning, alternately (each pair in turn quiet first, then busy first), so that
    busy / quiet compares the same minutes of the machine."""
    core, _ = warm_core(path, command)
    try:
        quiet, loaded = [], []
        for run in range(runs):
            pair = ((False, quiet), (True, loaded))
            for spinning, times in pair if run % 2 == 0 else pair[::-1]:
                (burner.resume if spinning else burner.pause)()
                start = time.perf_counter()
                answer(core, command)
                times.append(1000 * (time.perf_counter() - start))
        burner.resume()
        return quiet, loaded
    finally:
        core.close()


def store_ratio(path: Path) -> tuple[float, float]:
    """Live store bytes (pages in use) over text bytes plus full-text index bytes, and MB."""
    with sqlite3.connect(path) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        used = page * (
            conn.execute("PRAGMA page_count").fetchone()[0]
            - conn.execute("PRAGMA freelist_count").fetchone()[0]
        )
        text = conn.execute("SELECT SUM(LENGTH(CAST(text AS BLOB))) FROM articles").fetchone()[0]
        index = sum(
            conn.execute(f"SELECT COALESCE(SUM(LENGTH({column})), 0) FROM {table}").fetchone()[0]
            for table, column in (("articles_fts_data", "block"), ("articles_fts_docsize", "sz"))
        )
    return used / (text + index), used / 1e6


def cold(path: Path, runs: int, topic: str) -> tuple[list[float], list[float], list[float]]:
    """Seconds of a fresh `briefbot brief`, `briefbot brief TOPIC` and `briefbot --help`,
    back to back, `runs` times each.

    All run as an installed briefbot does, with its modules' bytecode cached: an environment
    that forbids writing bytecode (PYTHONDONTWRITEBYTECODE) would make every start compile
    every module again, ~0.2 s that no deployment pays.
    """
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "BRIEFBOT_LOAD_SEEDS": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = "from bot.cli import run; run()"  # what the `briefbot` script runs

    def once(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", script, *args],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
        return time.perf_counter() - start

    once("brief")
    briefs, topics, helps = [], [], []
    for _ in range(runs):
        briefs.append(once("brief"))
        topics.append(once("brief", topic))
        helps.append(once("--help"))
    return briefs, topics, helps


def mm(values: list[float], digits: int = 1) -> str:
    """ "min / median"."""
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f}"


def analysis_ratio(path: Path) -> float:
    """Stored analysis bytes over article text bytes (UTF-8), summed over the store."""
    with sqlite3.connect(path) as conn:
        analysis, text = conn.execute(
            "SELECT SUM(LENGTH(analysis)), SUM(LENGTH(CAST(text AS BLOB))) FROM articles"
        ).fetchone()
    return analysis / text


def throughput(bases: list[Base], count: int) -> tuple[float, float]:
    """Articles/s through the real ingest path, and the mean words per article.

    Only texts of full-article size (CNN/DM's are ~700 words) count; short ones are skipped.
    """
    bases = [b for b in bases if len(b[1].split()) >= 400] or bases
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        words = 0
        for i in range(count):
            draft = variant(bases, i)
            words += len(draft.text.split())
            (root / f"{i:06d}.txt").write_text(f"{draft.title}\n\n{draft.text}\n", "utf-8")
        store = Store(f"sqlite:///{root / 'ingest.db'}")
        try:
            start = time.perf_counter()
            report = ingest(store, [str(root)], SystemClock())
            elapsed = time.perf_counter() - start
        finally:
            store.close()
    stored = sum(r.status == "stored" for r in report.results)
    return stored / elapsed, words / count


def reingest(bases: list[Base], count: int, runs: int) -> tuple[float, float, str]:
    """Seconds to ingest an RSS file of `count` full-text entries the first time, and the
    median of `runs` re-ingests once all are stored (known entries), with its summary."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        items = []
        for i in range(count):
            draft = variant(bases, i)
            items.append(
                f"<item><title>{escape(draft.title)}</title>"
                f"<link>https://news.test/{i}</link><guid>urn:bench:{i}</guid>"
                f"<pubDate>{format_datetime(draft.published_at or NOW)}</pubDate>"
                f"<description>{escape(draft.text)}</description></item>"
            )
        feed = root / "feed.xml"
        feed.write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            "<title>Bench</title><link>https://news.test/</link>"
            + "".join(items)
            + "</channel></rss>",
            encoding="utf-8",
        )
        store = Store(f"sqlite:///{root / 'reingest.db'}")
        fetcher = Fetcher(FetchPolicy(feed_items=count))  # every entry, not the default cap
        try:
            start = time.perf_counter()
            ingest(store, [str(feed)], SystemClock(), fetcher)
            first = time.perf_counter() - start
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                report = ingest(store, [str(feed)], SystemClock(), fetcher)
                times.append(time.perf_counter() - start)
        finally:
            fetcher.close()
            store.close()
    return first, statistics.median(times), report.summary()


def main() -> None:
    """Build the stores, time briefings and ingest, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path, help="JSONL files of news texts")
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=9, help="timed runs (median)")
    parser.add_argument("--topic", help="briefing topic (default: a word in ~3%% of texts)")
    parser.add_argument("--ingest", type=int, default=1000, help="articles for throughput")
    parser.add_argument(
        "--busy",
        action="store_true",
        help="also time each briefing, start-up and ingest with another core busy",
    )
    parser.add_argument("--workdir", type=Path, default=Path(__file__).with_name(".scale"))
    args = parser.parse_args()

    bases = load_bases(args.data)
    topic = args.topic or pick_topic(bases)
    common = pick_topic(bases, 0.2)
    args.workdir.mkdir(parents=True, exist_ok=True)
    (args.workdir / ".gitignore").write_text("*\n", encoding="utf-8")
    print(f"$ python bench/scale.py {' '.join(sys.argv[1:])}\n")
    print(
        f"{platform.machine()}, {multiprocessing.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {len(bases)} base texts; topic {topic!r}, "
        f"common topic {common!r}\n"
    )
    print(
        "| articles | command | ms | floor ms | ms / floor | read ms | ms / read | uncached ms "
        "| uncached / floor | busy ms | busy / quiet | articles read |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    sizes_done = []
    for size in args.sizes:
        path = args.workdir / f"store-{size}.db"
        if not path.exists() or Store(f"sqlite:///{path}").count() < size:
            build_store(path, bases, size)
        sizes_done.append((size, path))
        rare, matches = pick_rare(bases, path)
        print(f"<!-- {size:,}: rare topic {rare!r}, {matches} matching articles -->")
        for command in ("brief", f"brief {topic}", f"brief {common}", f"brief {rare}"):
            times, floors, reads, read = latency(path, command, args.runs)
            ratios = [t / f for t, f in zip(times, floors, strict=True)]
            read_ratios = [t / r for t, r in zip(times, reads, strict=True)]
            fresh, fresh_floors, _, _ = latency(path, command, args.runs, uncached=True)
            fresh_ratios = [t / f for t, f in zip(fresh, fresh_floors, strict=True)]
            row = (
                f"| {size:,} | `{command}` | {mm(times)} | {mm(floors, 2)} | {mm(ratios)} "
                f"| {mm(reads, 2)} | {mm(read_ratios)} | {mm(fresh)} | {mm(fresh_ratios)} |"
            )
            if args.busy:
                with busy() as burner:
                    calm, loaded = alternated(path, command, args.runs, burner)
                ratio = statistics.median(loaded) / statistics.median(calm)
                row += f" {mm(loaded)} | {ratio:.2f} |"
            else:
                row += " | |"
            print(row + f" {read} |", flush=True)
    print("\n| articles | store MB (pages in use) | store / (text + full-text index) |")
    print("|---|---|---|")
    for size, path in sizes_done:
        ratio, mb = store_ratio(path)
        print(f"| {size:,} | {mb:.0f} | {ratio:.2f} |")
    size, path = sizes_done[-1]
    for label, loaded in (("quiet", False), ("busy", True)) if args.busy else (("", False),):
        with busy() if loaded else contextlib.nullcontext():
            briefs, topics, helps = cold(path, args.runs, topic)
            # Each in a fresh process, so neither the quiet nor the busy run finds the other's
            # token caches and language model warm.
            with multiprocessing.get_context("spawn").Pool(1) as fresh:
                rate, words = fresh.apply(throughput, (bases, args.ingest))
            with multiprocessing.get_context("spawn").Pool(1) as fresh:
                first, again, summary = fresh.apply(reingest, (bases, args.ingest, 3))
        help_median = statistics.median(helps)
        print(
            f"\n{label + ': ' if label else ''}cold `briefbot brief` on the {size:,} store: "
            f"{mm(briefs, 3)} s, `briefbot --help` {mm(helps, 3)} s (min / median of {args.runs}); "
            f"ratio of medians {statistics.median(briefs) / help_median:.2f}; "
            f"cold `briefbot brief {topic}` {mm(topics, 3)} s, "
            f"{statistics.median(topics) / help_median:.2f}"
        )
        print(f"ingest: {rate:.0f} articles/s ({args.ingest} articles, {words:.0f} words each)")
        print(
            f"feed of {args.ingest} full-text entries: first ingest {first:.1f} s; "
            f"re-ingest of the known entries {again:.2f} s (median of 3; {summary[:60]}…)"
        )


if __name__ == "__main__":
    main()
