"""The chat command layer: text is parsed once into typed requests and answered with replies.

`/brief ukraine 5` in Slack, `/brief topic:ukraine bullets:5` in Discord and
`briefbot chat "brief ukraine 5"` all become the same `BriefRequest` and get the same reply;
adapters only translate payloads and render replies.
"""

from __future__ import annotations

import logging
import re
import shlex
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from .app import Core
from .digests import CLI, DIGEST_HELP, Context, DigestRequest, handle_digest, parse_digest
from .digests import _Help as DigestHelp
from .errors import BadArgument, UnknownArticle, UserError
from .feeds import FeedsRequest, handle_feeds, parse_feeds
from .models import Article, Briefing, Bullet, Source
from .scopes import Scope

log = logging.getLogger(__name__)

MAX_BULLETS = 20
MAX_COMMAND_CHARS = 1_000
MAX_TOPIC_CHARS = 200
_DURATION = re.compile(r"^(\d{1,4})\s*([mhdw])$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


# -- requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefRequest:
    """Brief me on a topic (or on everything)."""

    topic: str | None = None
    bullets: int | None = None
    since: timedelta | None = None
    summarizer: str | None = None


@dataclass(frozen=True)
class SummarizeRequest:
    """Summarize one article: a stored id, a URL, or (CLI only) a file."""

    target: str
    sentences: int | None = None
    summarizer: str | None = None
    allow_files: bool = False


@dataclass(frozen=True)
class ArticlesRequest:
    """List stored articles, optionally matching a query."""

    query: str | None = None
    limit: int = 20


@dataclass(frozen=True)
class HelpRequest:
    """Explain the commands."""

    command: str | None = None


Request = (
    BriefRequest | SummarizeRequest | ArticlesRequest | HelpRequest | DigestRequest | FeedsRequest
)


# -- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefingReply:
    """A briefing (or a one-article summary) to post in the channel."""

    briefing: Briefing


@dataclass(frozen=True)
class ArticlesReply:
    """A list of stored articles."""

    articles: tuple[Article, ...]
    query: str | None
    total: int


@dataclass(frozen=True)
class HelpReply:
    """Help text, shown only to the person who asked."""

    text: str


@dataclass(frozen=True)
class NoticeReply:
    """A short message: to the channel (`public`, e.g. who subscribed it to a digest) or to
    the asker only (e.g. the channel's digest list).

    `by` is the platform user id of the person who did what `text` says; `text` then reads
    as what they did ("subscribed this channel …"), and each renderer puts that person in
    front of it its own way (a live mention in chat).  The core never writes platform markup
    into `text`, so renderers can treat all of it as literal text.
    """

    text: str
    public: bool = True
    by: str = ""

    def plain(self) -> str:
        """The notice as plain text, the doer named by their user id."""
        return f"{self.by} {self.text}" if self.by else self.text


@dataclass(frozen=True)
class ErrorReply:
    """A short message saying what went wrong and what to do; shown only to the asker."""

    message: str


Reply = BriefingReply | ArticlesReply | HelpReply | ErrorReply | NoticeReply


def is_public(reply: Reply) -> bool:
    """Briefings and public notices go to the channel; help, errors and lists to the asker."""
    return isinstance(reply, BriefingReply) or (isinstance(reply, NoticeReply) and reply.public)


HELP = """\
briefbot turns stored news articles into short, sourced bullet briefings.

Commands:
  brief [topic] [N] [since]   A briefing of N bullets (default 5, at most 20), e.g.
                              `brief ukraine 3` or `brief nato 5 7d` (since: 24h, 7d, 2w, all).
  summarize <id|url> [N]      The key sentences of one article, e.g. `summarize 2`.
  articles [query]            The newest stored articles, e.g. `articles nato`.
  digest subscribe HH:MM [time zone] [topic] [N] [quiet]
                              A daily digest in this channel, e.g.
                              `digest subscribe 08:30 Europe/Paris ukraine 5`.
  digest list | unsubscribe <id|all> | now [id]
                              This channel's digests (`digest help` for more).
  feeds add <url> [name] | list | remove <id>
                              The RSS/Atom feeds new articles come from.
  help                        This text.
"""


# -- parsing ---------------------------------------------------------------------------------


def parse_since(value: str | None) -> timedelta | None:
    """Parse a window such as `24h`, `7d`, `2w`, `90m` or `all` (no limit)."""
    if value is None or value.strip().lower() in {"", "all", "any", "ever"}:
        return None
    match = _DURATION.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise BadArgument(
            f"Cannot read the time window {value!r}. Use a number and a unit, like 24h, 7d, "
            "2w, or 'all'."
        )
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def parse_count(value: str, what: str, maximum: int = MAX_BULLETS) -> int:
    """Parse a count between 1 and `maximum`."""
    try:
        number = int(value)
    except ValueError:
        raise BadArgument(f"{what.capitalize()} must be a whole number, like 5.") from None
    if not 1 <= number <= maximum:
        raise BadArgument(f"Ask for 1 to {maximum} {what}.")
    return number


def parse_command(text: str) -> Request:
    """Parse chat text such as `brief ukraine 3` into a request."""
    if len(text) > MAX_COMMAND_CHARS:
        raise BadArgument(
            f"That command is {len(text):,} characters long; keep it under "
            f"{MAX_COMMAND_CHARS:,}. To summarize a long text, ingest it and use its id."
        )
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    if not words:
        return HelpRequest()
    verb, args = words[0].lower().lstrip("/"), words[1:]
    if verb in {"help", "?", "-h", "--help"}:
        return HelpRequest(args[0].lower() if args else None)
    if verb in {"brief", "briefing"}:
        return _parse_brief(args)
    if verb in {"summarize", "summarise", "summary"}:
        return _parse_summarize(args)
    if verb in {"digest", "digests"}:
        try:
            return parse_digest(args)
        except DigestHelp:
            return HelpRequest("digest")
    if verb in {"feeds", "feed"}:
        return parse_feeds(args)
    if verb in {"articles", "list", "search"}:
        query = " ".join(args).strip() or None
        if query and len(query) > MAX_TOPIC_CHARS:
            raise BadArgument(f"Keep the query under {MAX_TOPIC_CHARS} characters.")
        return ArticlesRequest(query)
    raise BadArgument(f"Unknown command {verb!r}. Try `help` to see the commands.")


def _parse_brief(args: list[str]) -> Request:
    if [a.lower() for a in args] == ["help"]:
        return HelpRequest("brief")
    bullets: int | None = None
    since: timedelta | None = None
    topic_words: list[str] = []
    for arg in args:
        if bullets is None and arg.isascii() and arg.isdigit():
            bullets = parse_count(arg, "bullets")
        elif since is None and (_DURATION.match(arg) or arg.lower() == "all"):
            since = parse_since(arg)
        else:
            topic_words.append(arg)
    topic = " ".join(topic_words).strip() or None
    if topic and len(topic) > MAX_TOPIC_CHARS:
        raise BadArgument(f"Keep the topic under {MAX_TOPIC_CHARS} characters.")
    return BriefRequest(topic=topic, bullets=bullets, since=since)


def _parse_summarize(args: list[str]) -> Request:
    if not args:
        raise BadArgument("Say which article: `summarize 2` (an id from `articles`) or a URL.")
    sentences = parse_count(args[1], "sentences") if len(args) > 1 else None
    if len(args) > 2:
        raise BadArgument("Use `summarize <id|url> [N]`, e.g. `summarize 2 3`.")
    return SummarizeRequest(target=args[0], sentences=sentences)


# -- handling --------------------------------------------------------------------------------


def handle(core: Core, request: Request, context: Context = CLI) -> Reply:
    """Answer a request; user mistakes come back as an `ErrorReply`, never as an exception."""
    try:
        return _dispatch(core, request, context)
    except UserError as exc:
        return ErrorReply(str(exc))
    except Exception:
        # Unexpected: keep the traceback in the log, give the user an id to quote.
        error_id = uuid.uuid4().hex[:8]
        log.exception("Unexpected error %s while handling %r", error_id, request)
        return ErrorReply(
            f"Sorry, something went wrong on our side (error {error_id}). "
            "Please try again; if it keeps happening, tell the bot's operator."
        )


def answer(core: Core, text: str, context: Context = CLI) -> Reply:
    """Parse and answer one chat command."""
    try:
        request = parse_command(text)
    except UserError as exc:
        return ErrorReply(str(exc))
    except ValueError:  # odd input no rule above foresaw: still one line, never a traceback
        return ErrorReply("I couldn't read that command. Try `help` to see the commands.")
    return handle(core, request, context)


def _dispatch(core: Core, request: Request, context: Context) -> Reply:
    if isinstance(request, HelpRequest):
        return HelpReply(DIGEST_HELP if request.command == "digest" else HELP)
    if isinstance(request, DigestRequest):
        return handle_digest(core, request, context)  # type: ignore[return-value]
    if isinstance(request, FeedsRequest):
        return handle_feeds(core, request, context)  # type: ignore[return-value]
    # Every read below sees only what this workspace may (bot.scopes); the CLI sees everything.
    scope = context.scope
    if isinstance(request, BriefRequest):
        return _brief(core, request, scope)
    if isinstance(request, SummarizeRequest):
        return BriefingReply(summarize_article(core, request, scope))
    if isinstance(request, ArticlesRequest):
        found = core.store.search(request.query, limit=request.limit, scope=scope)
        if request.query and not found:
            raise UserError(
                f"No stored article matches {request.query!r}. Try fewer words, or "
                "`articles` to see the newest."
            )
        return ArticlesReply(tuple(found), request.query, core.store.count(scope))
    raise BadArgument(f"Unsupported request {type(request).__name__}.")


def _brief(core: Core, request: BriefRequest, scope: Scope) -> Reply:
    from .briefing import compose_briefing

    summarizer = core.summarizer(request.summarizer)
    since: datetime | None = None
    if request.since is not None:
        since = core.clock.now() - request.since
    briefing = compose_briefing(
        core.store,
        summarizer,
        core.clock,
        scope=scope,
        topic=request.topic,
        bullets=request.bullets or core.settings.bullets,
        since=since,
    )
    if not briefing.bullets:
        where = f" about {request.topic!r}" if request.topic else ""
        window = " in that time window" if request.since else ""
        raise UserError(
            f"No stored articles{where}{window}. Try another topic, a wider window (`all`), "
            "or `articles` to see what is stored."
        )
    return BriefingReply(briefing)


def summarize_article(core: Core, request: SummarizeRequest, scope: Scope) -> Briefing:
    """Summarize a stored article `scope` may read, a web page or (from the CLI) a file,
    without storing it.

    Raises UnknownArticle for an id that is missing and, with the same words, for one that
    `scope` may not read, so another workspace's ids reveal nothing.
    """
    from summarizers.analysis import analyze

    from .ingest import draft_from_html, draft_from_plain, is_url

    target = request.target.strip()
    count = request.sentences or core.settings.bullets
    copies: tuple[Source, ...] = ()
    summarizer = core.summarizer(request.summarizer)
    if target.lstrip("#").isascii() and target.lstrip("#").isdigit():
        article_id = int(target.lstrip("#"))
        article = core.store.get(article_id, scope=scope)
        if article is None:
            raise UnknownArticle(article_id)
        title, url, source_id = article.title, article.url, article.id
        outlet = article.outlet
        copies = core.store.copies_of([article.id], scope=scope).get(article.id, ())
        analysis = core.store.analyses([article.id]).get(article.id)
    elif is_url(target):
        fetched = core.fetcher.get(target)
        draft = draft_from_html(fetched.content, fetched.url, fetched.url)
        title, url, source_id = draft.title, draft.url, 0
        from urllib.parse import urlsplit

        # The site's name (og:site_name), or the page's host.
        outlet = draft.source if draft.source != fetched.url else urlsplit(fetched.url).hostname
        analysis = analyze(draft.text, draft.title)
    elif request.allow_files:
        from pathlib import Path

        path = Path(target).expanduser()
        if not path.is_file():
            raise BadArgument(f"{target!r} is not an article id, a URL or a readable file.")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise BadArgument(f"Cannot read {target}: {exc.strerror or exc}.") from None
        if path.suffix.lower() in {".html", ".htm"}:
            draft = draft_from_html(content, None, path.name)
        else:
            text = content.decode("utf-8", "replace")
            draft = draft_from_plain(text, path.name, markdown=path.suffix.lower() != ".txt")
        title, url, source_id = draft.title, None, 0
        outlet = draft.source if draft.source != path.name else None
        analysis = analyze(draft.text, draft.title)
    else:
        raise BadArgument(
            f"{target!r} is not an article id or a URL. Try `articles` to find an id."
        )
    sources = (Source(source_id, title, url, outlet), *copies)
    picked = summarizer.select(analysis, count) if analysis is not None else []
    return Briefing(
        title=f"Summary: {title}",
        generated_at=core.clock.now(),
        topic=None,
        bullets=tuple(Bullet(analysis.sentences[i], sources) for i in picked),
        article_count=1,
    )
