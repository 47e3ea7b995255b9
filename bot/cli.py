"""The `briefbot` command line: every chat command, plus ingest, without any chat platform.

Only argparse is imported at start-up; each command imports what it needs, so `--help` and
simple commands start quickly.  User mistakes exit with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import __version__
from .config import PLATFORMS

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USER_ERROR = 2

# Adapters are found by name (`adapters.<platform>`), so the core never imports a platform.
SUMMARIZER_NAMES = "news (default), lead, luhn, lsa, lexrank, textrank, sumbasic, kl, reduction"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message} (see '{self.prog} --help')\n")


# The commands whose free text (a topic, a query, a chat command) may hold words that start
# with "-" (`-opinion`, `-from:tabloid`, bot/filters.py), and the argument that holds it.
_FREE_TEXT = {"brief": "topic", "articles": "query", "chat": "text"}
# Put before such a word while parsing, so argparse reads it as text, not as an option.
_WORD = "\x1f"
_NUMBER = re.compile(r"-\d+(?:\.\d+)?")


def _mark_words(parser: argparse.ArgumentParser, argv: Sequence[str]) -> list[str]:
    """`argv` with each word of a free-text command (`_FREE_TEXT`) that starts with "-" but is
    not one of its options marked as text (`_WORD`), so `briefbot brief ukraine -opinion`
    needs no `--`.  Long options ("--…", typos included), known short options (`-n 3`,
    `-n3`, `-h`), option values, negative numbers and everything after "--" are left alone."""
    words = list(argv)
    command = next((i for i, w in enumerate(words) if not w.startswith("-")), None)
    if command is None or words[command] not in _FREE_TEXT:
        return words
    sub = parser.text_commands[words[command]]  # type: ignore[attr-defined]
    options = sub._option_string_actions  # argparse's table: option string -> action
    takes_value = False
    for i in range(command + 1, len(words)):
        word = words[i]
        if takes_value:  # the value of the option before it
            takes_value = False
            continue
        if word == "--":
            break
        if not word.startswith("-") or word == "-" or word.startswith("--"):
            if word.startswith("--") and "=" not in word and word in options:
                takes_value = options[word].nargs != 0
            continue
        if word in options:
            takes_value = options[word].nargs != 0
        elif word[:2] in options and options[word[:2]].nargs != 0 and word[2:].isdigit():
            continue  # -n3
        elif not _NUMBER.fullmatch(word):
            words[i] = _WORD + word
    return words


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; a free-text command's words may start with "-" and may come
    after its options (`brief -n 3 ukraine -opinion`)."""
    args, extra = parser.parse_known_args(
        _mark_words(parser, sys.argv[1:] if argv is None else argv)
    )
    field = _FREE_TEXT.get(args.command or "")
    unknown = [w for w in extra if w.startswith("-") or field is None]
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if field is not None:
        words = [*(getattr(args, field) or []), *extra]
        setattr(args, field, [w.removeprefix(_WORD) for w in words])
    return args


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = _Parser(
        prog="briefbot",
        description="Turn stored news articles into short, sourced bullet briefings.",
        epilog="Settings come from the environment or a .env file; see .env.example.",
    )
    parser.add_argument("--version", action="version", version=f"briefbot {__version__}")
    parser.add_argument("--debug", action="store_true", help="log details and show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    formats = ("text", "markdown", "json")

    brief = sub.add_parser("brief", help="compose a briefing from stored articles")
    brief.add_argument("topic", nargs="*", help="words to search for (default: everything)")
    brief.add_argument("-n", "--bullets", type=int, help="number of bullets (default 5)")
    brief.add_argument("--since", help="time window: 24h, 7d, 2w or all (default all)")
    brief.add_argument("--summarizer", help=f"one of: {SUMMARIZER_NAMES}")
    brief.add_argument("--format", choices=formats, default="text")

    why = sub.add_parser(
        "why", help="why bullet N of the last briefing: each source's sentence, what was left out"
    )
    why.add_argument("number", help="the bullet's number in the last `briefbot brief`")
    why.add_argument("--format", choices=formats, default="text")

    summarize = sub.add_parser("summarize", help="summarize one article: id, URL or file")
    summarize.add_argument("target", help="a stored article id, a URL, or a .txt/.md/.html file")
    summarize.add_argument("-n", "--sentences", type=int, help="number of sentences (default 5)")
    summarize.add_argument("--summarizer", help=f"one of: {SUMMARIZER_NAMES}")
    summarize.add_argument("--format", choices=formats, default="text")

    articles = sub.add_parser("articles", help="list stored articles: id, date, outlet, title")
    articles.add_argument("query", nargs="*", help="words to search for")
    articles.add_argument("--limit", type=int, default=20, help="how many to show (default 20)")
    articles.add_argument("--format", choices=("text", "json"), default="text")

    ingest = sub.add_parser("ingest", help="store articles from files, folders, pages or feeds")
    ingest.add_argument("items", nargs="+", metavar="PATH|URL")
    ingest.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    run = sub.add_parser("run", help="run the bot on a chat platform, e.g. `run slack`")
    run.add_argument(
        "platform",
        choices=(*PLATFORMS, "all", "worker"),
        help="where to run (all: every one configured; worker: feed polls and scheduled "
        "digests only, no chat connection)",
    )
    run.add_argument("--host", default="0.0.0.0", help="HTTP mode: address to bind (0.0.0.0)")

    feeds = sub.add_parser("feeds", help="feeds new articles come from: add, list, remove, poll")
    feeds_sub = feeds.add_subparsers(dest="feeds_action", metavar="ACTION", parser_class=_Parser)
    feeds_sub.required = True
    feeds_add = feeds_sub.add_parser("add", help="follow an RSS, Atom or JSON feed")
    feeds_add.add_argument("url")
    feeds_add.add_argument("name", nargs="*", help="a display name (default: the feed's title)")
    feeds_sub.add_parser("list", help="every feed: last fetched, articles stored, last error")
    feeds_remove = feeds_sub.add_parser("remove", help="stop following a feed")
    feeds_remove.add_argument("id", type=int)
    feeds_sub.add_parser("poll", help="fetch every active feed once, now")
    feeds_import = feeds_sub.add_parser(
        "import", help="follow every feed of an OPML file (all or nothing)"
    )
    feeds_import.add_argument("file", metavar="FILE.opml")
    feeds_sub.add_parser("export", help="print every followed feed as OPML: `> feeds.opml`")

    digest = sub.add_parser("digest", help="daily digests: `digest run-due [--now ISO-8601]`")
    digest.add_argument("action", choices=("run-due",), help="run-due: post every due digest once")
    digest.add_argument(
        "--now",
        help="pretend it is this moment, e.g. 2026-11-25T08:31+01:00 (default: the real time; "
        "a time without an offset is UTC)",
    )

    db = sub.add_parser("db", help="the database: `db upgrade` applies schema migrations")
    db.add_argument(
        "action", choices=("upgrade",), help="upgrade: bring the schema up to date (Alembic)"
    )

    discord = sub.add_parser("discord", help="Discord helpers, e.g. `discord invite`")
    discord.add_argument(
        "action", choices=("invite",), help="invite: print the link that adds the bot"
    )

    chat = sub.add_parser("chat", help='run one chat command, e.g. chat "brief ukraine 3"')
    chat.add_argument("text", nargs="+", help="the command as typed in Slack or Discord")
    chat.add_argument(
        "--workspace",
        metavar="PLATFORM:ID",
        help="answer as that workspace would be answered, e.g. slack:T0123 or discord:<guild "
        "id>: it then sees only its own and the shared articles (default: the operator, who "
        "sees every article); with --platform, the bare ID",
    )
    chat.add_argument(
        "--platform", choices=PLATFORMS, help="the workspace's platform (with --workspace ID)"
    )
    chat.add_argument(
        "--channel",
        metavar="ID",
        help="answer in that channel of the workspace, e.g. C0123: its `digest` and `feeds` "
        "commands (list, subscribe, unsubscribe, now, add, remove) run as a manager's there",
    )
    chat.add_argument("--format", choices=formats, default="text")
    parser.text_commands = {"brief": brief, "articles": articles, "chat": chat}  # type: ignore[attr-defined]
    return parser


def run() -> NoReturn:
    """The `briefbot` program (pyproject's console script): `main(sys.argv[1:])`, then exit
    without tearing the interpreter down.

    Everything a command does is finished when `main` returns: its output is flushed here,
    its store closed (SQLite and PostgreSQL commits are durable when made), its log handlers
    flushed, and threads that must finish (the language model cache's writer) joined.  What
    is left is freeing every module and object one by one, ~40 ms of a 0.3 s `briefbot brief`
    (measured on 2 cores, bench/scale.py `cold`), which the operating system does at once.
    argparse's own exits (`--help`, a usage error) raise SystemExit and end as usual.
    """
    from summarizers.threads import one_thread_process

    # The program's own process: every BLAS on one thread from the start, so no briefing
    # call has to limit it (summarizers.threads), and OpenBLAS starts no pool of worker
    # threads (shutting it down cost ~40 ms of a `briefbot brief`'s exit, measured on 2
    # cores).  Not in `main`, which tests and other programs call in processes of their own.
    one_thread_process()
    status = main(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: as `main` does for a command's output
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = status or EXIT_FAILURE
    import threading

    # Non-daemon threads first (what they log is still written), then the logs.  The bot's
    # pools are daemon threads (adapters' DaemonPool); a plain ThreadPoolExecutor left
    # running here would be joined forever, its exit signal being an atexit hook.
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    logging.shutdown()
    sys.stderr.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = _parse(parser, argv)
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    from .config import load_settings
    from .errors import UserError
    from .logs import setup_logging

    core = None
    try:
        settings = load_settings()
        setup_logging(
            logging.DEBUG if args.debug else getattr(logging, settings.log_level, 30),
            settings.secrets(),
            settings.log_format,
        )
        from .app import build_core

        core = build_core(settings)
        return _COMMANDS[args.command](core, args)
    except UserError as exc:
        if args.debug:
            raise
        for line in str(exc).splitlines() or [""]:  # e.g. one line per bad setting
            print(f"briefbot: {line}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("briefbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`briefbot articles | head`): stop quietly, as Unix tools do.
        # Python's own advice (signal module docs, "Note on SIGPIPE"): point stdout at devnull
        # so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILURE
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"briefbot: unexpected error ({type(exc).__name__}); run again with --debug "
            "for details.",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    finally:
        if core is not None:
            core.close()


def _print_reply(reply: object, fmt: str) -> int:
    from .commands import ErrorReply
    from .render import render

    if isinstance(reply, ErrorReply):
        from .hints import CLI, name_hints

        print(f"briefbot: {name_hints(reply.message, CLI)}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(render(reply, fmt))  # type: ignore[arg-type]
    return EXIT_OK


def _brief(core, args: argparse.Namespace) -> int:
    from .commands import BriefRequest, handle, parse_count, parse_since
    from .errors import BadArgument

    if args.topic and args.topic[0].lower() == "why":  # `briefbot brief why 2`
        if args.bullets is not None or args.since is not None or args.summarizer is not None:
            raise BadArgument(
                "`briefbot brief why N` takes the bullet number alone: ask for a briefing "
                "and its reasons separately."
            )
        return _explain(core, args.topic[1:], args.format)
    request = BriefRequest(
        topic=" ".join(args.topic).strip() or None,
        bullets=parse_count(str(args.bullets), "bullets") if args.bullets is not None else None,
        since=parse_since(args.since or "all"),
        summarizer=args.summarizer,
    )
    return _print_reply(handle(core, request), args.format)


def _explain(core, words: list[str], fmt: str) -> int:
    """`briefbot why N` and `briefbot brief why N`: the command line is one channel."""
    from .commands import handle
    from .why import parse_why

    return _print_reply(handle(core, parse_why(words)), fmt)


def _why(core, args: argparse.Namespace) -> int:
    return _explain(core, [args.number], args.format)


def _summarize(core, args: argparse.Namespace) -> int:
    from .commands import SummarizeRequest, handle, parse_count

    sentences = None
    if args.sentences is not None:
        sentences = parse_count(str(args.sentences), "sentences", maximum=100)
    request = SummarizeRequest(
        target=args.target,
        sentences=sentences,
        summarizer=args.summarizer,
        allow_files=True,
    )
    return _print_reply(handle(core, request), args.format)


def _articles(core, args: argparse.Namespace) -> int:
    from .commands import ArticlesRequest, handle, parse_count

    limit = parse_count(str(args.limit), "articles", maximum=10_000)
    request = ArticlesRequest(query=" ".join(args.query).strip() or None, limit=limit)
    return _print_reply(handle(core, request), args.format)


def _ingest(core, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .ingest import ingest

    with tqdm(
        desc="ingest",
        unit=" article",
        file=sys.stderr,
        disable=True if args.no_progress else None,  # None: only on a terminal
        leave=False,
    ) as bar:

        def step(result: object) -> None:
            bar.update(1)

        report = ingest(core.store, args.items, core.clock, core.fetcher, on_result=step)
    if report.results and report.count("failed") == len(report.results):
        print(f"briefbot: {report.summary()}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(report.summary())
    return EXIT_OK


def _chat(core, args: argparse.Namespace) -> int:
    from .commands import answer
    from .context import CLI, Context
    from .errors import BadArgument

    context = CLI
    if args.workspace is None and (args.platform or args.channel):
        raise BadArgument("Name the workspace too: --platform slack --workspace T0123.")
    if args.workspace is not None:
        platform, colon, workspace = args.workspace.rpartition(":")
        if not colon:
            platform = args.platform or ""
        elif args.platform and platform != args.platform:
            raise BadArgument(f"--workspace {args.workspace!r} is not on {args.platform}.")
        if platform not in PLATFORMS or not workspace.strip():
            raise BadArgument(
                f"--workspace {args.workspace!r}: use PLATFORM:ID with a platform among "
                f"{', '.join(PLATFORMS)}, e.g. slack:T0123 (or --platform slack "
                "--workspace T0123)."
            )
        channel = (args.channel or "").strip()
        # The operator acts as a manager of that channel (they own the database anyway).
        context = Context(
            platform=platform,
            workspace=workspace.strip(),
            channel=channel,
            user="operator",
            everyone_role=workspace.strip() if platform == "discord" else None,
        )
    return _print_reply(answer(core, " ".join(args.text), context), args.format)


def _digest(core, args: argparse.Namespace) -> int:
    import asyncio
    from datetime import UTC, datetime

    from adapters import run_due_once

    from .errors import BadArgument

    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        except ValueError:
            raise BadArgument(
                f"--now {args.now!r} is not an ISO-8601 time, e.g. 2026-11-25T08:31+01:00."
            ) from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    outcomes = asyncio.run(run_due_once(core, core.settings, now))
    for o in outcomes:
        print(
            f"digest #{o.subscription_id} {o.local_date}: {o.status}"
            + (f" ({o.detail})" if o.detail else "")
        )
    print(f"{sum(o.status == 'delivered' for o in outcomes)} posted, {len(outcomes)} due")
    return EXIT_FAILURE if any(o.status == "failed" for o in outcomes) else EXIT_OK


def _feeds(core, args: argparse.Namespace) -> int:
    import shlex

    from .commands import answer

    if args.feeds_action in {"import", "export"}:
        return _opml(core, args)
    words = ["feeds", args.feeds_action]
    if args.feeds_action == "add":
        words += [args.url, *args.name]
    elif args.feeds_action == "remove":
        words.append(str(args.id))
    return _print_reply(answer(core, shlex.join(words)), "text")


def _db(core, args: argparse.Namespace) -> int:
    from .store import upgrade_schema

    done = upgrade_schema(core.settings.database_url)
    if done.created:
        print(f"The database was empty: its schema was created (revision {done.after}).")
    elif done.before == done.after:
        print(f"The database schema is up to date (revision {done.after}).")
    else:
        print(
            f"The database schema was upgraded from {done.before or 'before Alembic'} "
            f"to {done.after}."
        )
    return EXIT_OK


def _opml(core, args: argparse.Namespace) -> int:
    """`feeds import FILE.opml` (the operator's feeds, one transaction) and `feeds export`."""
    from pathlib import Path

    from .context import CLI
    from .errors import BadArgument
    from .feeds import FeedRegistry
    from .opml import read_opml, write_opml
    from .scopes import workspace_key
    from .urls import normalize_url

    registry = FeedRegistry(core.store)
    if args.feeds_action == "export":
        sys.stdout.write(write_opml(registry.all(), core.clock.now()))
        return EXIT_OK
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise BadArgument(f"Cannot read {args.file}: {exc.strerror or exc}.") from None
    entries = read_opml(data, allow=core.fetcher.policy.allow)
    added, skipped = registry.add_many(
        [(e.url, e.name) for e in entries],
        CLI,
        core.clock.now(),
        core.settings.feed_interval_minutes,
    )
    for feed in added:  # what another workspace's copy of a feed already stored is shared
        core.store.grant_feed(normalize_url(feed.url), workspace_key(CLI.platform, ""))
    print(
        f"Imported {len(added)} feed{'' if len(added) == 1 else 's'}"
        + (f" ({skipped} already followed)" if skipped else "")
        + "; they are fetched on the next poll (`briefbot feeds poll` fetches them now)."
    )
    return EXIT_OK


def _discord(core, args: argparse.Namespace) -> int:
    from adapters.discord import invite_url

    print(invite_url(core.settings))
    return EXIT_OK


def _run(core, args: argparse.Namespace) -> int:
    import adapters

    if args.platform == "worker":
        adapters.run_worker(core, core.settings)
        return EXIT_OK
    if args.platform == "all":
        platforms = [p for p in PLATFORMS if adapters.adapter(p).configured(core.settings)]
        if not platforms:
            from .errors import BadArgument

            raise BadArgument(
                "No platform is configured: set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET) and/or DISCORD_TOKEN (see .env.example)."
            )
    else:
        platforms = [args.platform]
    adapters.run(core, core.settings, platforms, host=args.host)
    return EXIT_OK


_COMMANDS = {
    "run": _run,
    "discord": _discord,
    "db": _db,
    "digest": _digest,
    "feeds": _feeds,
    "brief": _brief,
    "why": _why,
    "summarize": _summarize,
    "articles": _articles,
    "ingest": _ingest,
    "chat": _chat,
}


if __name__ == "__main__":
    run()
