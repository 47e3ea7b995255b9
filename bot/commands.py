"""The chat command layer: text is parsed once into typed requests and answered with replies.

`/brief ukraine 5` in Slack, `/brief topic:ukraine bullets:5` in Discord and
`briefbot chat "brief ukraine 5"` all become the same `BriefRequest` and get the same reply;
adapters only translate payloads and render replies.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias

from .context import CLI, Context
from .errors import BadArgument, UnknownArticle, UserError
from .filters import read_topic
from .models import Article, Briefing, Bullet, Source
from .scopes import Scope
from .why import WhyReply, WhyRequest, explain, parse_why, remember
from .words import Word, ascii_digits, split_words

# `digest` and `feeds` commands are parsed and answered by bot.digests and bot.feeds (which
# bring the scheduler, metrics and ingest with them); they are imported when such a command
# comes, so `brief`, `articles` and `summarize` start without them.
if TYPE_CHECKING:
    from .app import Core
    from .buttons import DigestOptions
    from .digests import DigestRequest
    from .feeds import FeedsRequest

log = logging.getLogger(__name__)

MAX_BULLETS = 20
MAX_COMMAND_CHARS = 1_000
MAX_TOPIC_CHARS = 200
# A number and a unit word: `7d`, `24 h`, `2weeks` (ASCII digits: see bot.words).
_DURATION = re.compile(r"^(\d{1,4})\s*([a-z]+)$", re.IGNORECASE | re.ASCII)
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "minutes"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hours"),
    **dict.fromkeys(("d", "day", "days"), "days"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "weeks"),
}
# Time units a window cannot take: `9y` is a window we cannot read, not a topic word.
_OTHER_UNITS = frozenset(
    "s sec secs second seconds mo mon mos month months y yr yrs year years q".split()
)
_ALL = frozenset({"", "all", "any", "ever"})
# A number followed by a time unit, e.g. `7d` or `9y` (whether or not we can read it).
_WINDOW_LIKE = re.compile(
    rf"^\d+\s*(?:{'|'.join(sorted(_UNITS.keys() | _OTHER_UNITS, key=len, reverse=True))})$",
    re.IGNORECASE | re.ASCII,
)
# Command-line options typed in chat: `--bullets`, and `-n` followed by a number;
# `-opinion`, `-from:x` and `-g7` are exclusions and stay so.
_LONG_OPTION = re.compile(r"^--[^\W_]")
_SHORT_OPTION = re.compile(r"-[A-Za-z]")
# A word that is only a number, but not a whole one: `3.5`, `-2`, `+4`, `1,000`.
_COUNT_LIKE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$", re.ASCII)


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


@dataclass(frozen=True)
class SubscribeRequest:
    """`digest subscribe …` with chat options (`threads`, `mention:<role id>`), read by
    `parse_digest_options` before the digest parser sees the rest."""

    digest: DigestRequest
    options: DigestOptions


# A string: DigestRequest and FeedsRequest are imported only when such a command comes.
Request: TypeAlias = (
    "SubscribeRequest | BriefRequest | SummarizeRequest | ArticlesRequest | HelpRequest"
    " | DigestRequest | FeedsRequest | WhyRequest"
)


# -- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actions:
    """The buttons under a posted briefing or digest (`bot.buttons`): `ref` names the state
    kept for it in the database (More, Sources); `subscription` is a digest's subscription id
    (Unsubscribe, for managers)."""

    ref: str
    subscription: int | None = None


@dataclass(frozen=True)
class BriefingReply:
    """A briefing (or a one-article summary) to post in the channel; `actions`, when set,
    puts More / Sources (/ Unsubscribe) buttons under it; `thread` (digests with the
    `threads` option): post a short line, and the briefing in its thread."""

    briefing: Briefing
    actions: Actions | None = None
    thread: bool = False
    mention: str | None = None  # a Discord role id a digest pings (`mention:@role`)


@dataclass(frozen=True)
class SourcesReply:
    """Every source of a posted briefing, bullet by bullet, with the sentence of each that
    states it (the Sources button); posted in the briefing's thread."""

    title: str
    bullets: tuple[Bullet, ...]


@dataclass(frozen=True)
class ArticlesReply:
    """A list of stored articles."""

    articles: tuple[Article, ...]
    query: str | None
    total: int


@dataclass(frozen=True)
class HelpReply:
    """Help, shown only to the person who asked: `text` for plain renderers, and the same
    as a `title` and (usage, description) `entries` for chat renderers (Block Kit sections,
    embed fields), whose code spans each renderer spells its way (`bot.hints`).  `menus`:
    offer the bullets and window menus (a briefing from a click)."""

    text: str
    title: str = ""
    entries: tuple[tuple[str, str], ...] = ()
    menus: bool = False


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
    """A short message saying what went wrong and what to do; shown only to the asker.

    `retry` (an empty briefing): the request, so chat renderers can offer the bullets and
    window menus to ask again with a click."""

    message: str
    retry: BriefRequest | None = None


@dataclass(frozen=True)
class UndoReply:
    """A digest unsubscribed by a button: the public notice, with an Undo button valid
    until `until` (UTC)."""

    text: str
    by: str
    subscription: int
    until: datetime


Reply = (
    BriefingReply
    | ArticlesReply
    | HelpReply
    | ErrorReply
    | NoticeReply
    | WhyReply
    | SourcesReply
    | UndoReply
)


def is_public(reply: Reply) -> bool:
    """Briefings, sources and public notices go to the channel; help, errors and lists to
    the asker."""
    return isinstance(reply, BriefingReply | SourcesReply | UndoReply) or (
        isinstance(reply, NoticeReply) and reply.public
    )


# Every command, as (usage, what it does); usage and the code spans in the description are
# core words, which each renderer spells its platform's way (`bot.hints`).
HELP_ENTRIES: tuple[tuple[str, str], ...] = (
    (
        "brief [topic] [N] [since]",
        "A briefing of N bullets (default 5, at most 20), e.g.\n"
        "`brief ukraine 3` or `brief nato 5 7d` (since: 24h, 7d, 2w, all).",
    ),
    (
        "brief why N",
        "Why bullet N of this channel's last briefing: each source's\n"
        "sentence stating it, and the reports left out and why.",
    ),
    ("summarize <id|url> [N]", "The key sentences of one article, e.g. `summarize 2`."),
    ("articles [query]", "The newest stored articles, e.g. `articles nato`."),
    (
        "digest subscribe HH:MM [time zone] [topic] [N] [quiet]",
        "A daily digest in this channel, e.g.\n`digest subscribe 08:30 Europe/Paris ukraine 5`.",
    ),
    (
        "digest list | unsubscribe <id|all> | now [id]",
        "This channel's digests (`digest help` for more).",
    ),
    ("feeds add <url> [name] | list | remove <id>", "The RSS/Atom feeds new articles come from."),
    ("help", "This text."),
)
HELP_TITLE = "briefbot turns stored news articles into short, sourced bullet briefings."


def help_text(title: str, entries: tuple[tuple[str, str], ...], heading: str = "Commands:") -> str:
    """Help as aligned plain text: the usage left, what it does right (28 columns)."""
    lines = [title, "", heading] if heading else [title, ""]
    for usage, what in entries:
        body = what.splitlines()
        if len(usage) <= 26:
            lines.append(f"  {usage:<26}  {body[0]}")
            body = body[1:]
        else:
            lines.append(f"  {usage}")
        lines.extend(f"{'':30}{line}" for line in body)
    return "\n".join(lines) + "\n"


HELP = help_text(HELP_TITLE, HELP_ENTRIES)
DIGEST_TITLE = "Daily digests: every day at a local time, what was stored since the last one."
DIGEST_ENTRIES: tuple[tuple[str, str], ...] = (
    (
        "digest subscribe HH:MM [time zone] [topic] [N] [quiet] [threads]",
        "e.g. `digest subscribe 08:30 Europe/Paris ukraine 5`; time zone default UTC;\n"
        "`quiet` posts nothing on days with nothing new; `threads` posts one short line and\n"
        "the stories with their sources in its thread; on Discord `mention:@role` pings a role.",
    ),
    ("digest list", "This channel's digests: id, time, next run, last result."),
    ("digest unsubscribe <id|all>", "Stop one (or all) of this channel's digests."),
    ("digest now [id]", "Post a digest right now, to try it out."),
)


# -- parsing ---------------------------------------------------------------------------------


def parse_since(value: str | None) -> timedelta | None:
    """Parse a window such as `24h`, `7d`, `2w`, `90m`, `7 days` or `all` (no limit).

    Digits of any script are read (`٧d` is 7 days, see `bot.words`); a number with a unit we
    do not take (`9y`, `3mo`, `30s`) or no unit raises BadArgument saying what is accepted.
    """
    if value is None or value.strip().lower() in _ALL:
        return None
    match = _DURATION.match(ascii_digits(value.strip()))
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if not match or unit is None or int(match.group(1)) == 0:
        hint = ""
        if match and match.group(2).lower() in _OTHER_UNITS:
            hint = " Months and years are not windows: use weeks (e.g. 52w), or 'all'."
        raise BadArgument(
            f"Cannot read the time window {value!r}. Use a number and a unit, like 24h, 7d, "
            f"2w, or 'all'.{hint}"
        )
    return timedelta(**{unit: int(match.group(1))})


def parse_count(value: str, what: str, maximum: int = MAX_BULLETS) -> int:
    """Parse a count between 1 and `maximum` (digits of any script, see `bot.words`)."""
    value = ascii_digits(value.strip())
    if not (value.isascii() and value.isdigit()):
        raise BadArgument(
            f"Cannot read {value!r} as a number of {what}: use a whole number from 1 to "
            f"{maximum}, like 5."
        )
    number = int(value)
    if not 1 <= number <= maximum:
        raise BadArgument(f"Ask for 1 to {maximum} {what}.")
    return number


def parse_command(text: str) -> Request:
    """Parse chat text such as `brief ukraine 3` into a request.

    Words are split by `bot.words.split_words` (any Unicode space, quotes of any kind, digits
    of any script, `<url|label>` links unwrapped), the same for every command.  Raises
    BadArgument with a message for the user.
    """
    if len(text) > MAX_COMMAND_CHARS:
        raise BadArgument(
            f"That command is {len(text):,} characters long; keep it under "
            f"{MAX_COMMAND_CHARS:,}. To summarize a long text, ingest it and use its id."
        )
    tokens = split_words(text)
    if not tokens:
        return HelpRequest()
    words = [t.text for t in tokens]
    verb, args = words[0].lower().lstrip("/"), words[1:]
    if verb in {"help", "?", "-h", "--help"}:
        return HelpRequest(args[0].lower() if args else None)
    if verb in {"brief", "briefing"}:
        return _parse_brief(tokens[1:])
    if verb in {"summarize", "summarise", "summary"}:
        return _parse_summarize(args)
    if verb in {"digest", "digests"}:
        from .digests import _Help as DigestHelp
        from .digests import parse_digest

        rest, options = parse_digest_options([_phrase(t) for t in tokens[1:]])
        try:
            digest = parse_digest(rest)
        except DigestHelp:
            return HelpRequest("digest")
        if options is not None:
            if digest.action != "subscribe":
                raise BadArgument("`threads` and `mention:` go with `digest subscribe`.")
            return SubscribeRequest(digest, options)
        return digest
    if verb in {"feeds", "feed"}:
        from .feeds import parse_feeds

        return parse_feeds([_phrase(t) for t in tokens[1:]])
    if verb in {"articles", "list", "search"}:
        query = " ".join(args).strip() or None
        if query and len(query) > MAX_TOPIC_CHARS:
            raise BadArgument(f"Keep the query under {MAX_TOPIC_CHARS} characters.")
        return ArticlesRequest(query)
    raise BadArgument(f"Unknown command {verb!r}. Try `help` to see the commands.")


_ROLE_ID = re.compile(r"[0-9]{1,20}")


def parse_digest_options(args: list[str]) -> tuple[list[str], DigestOptions | None]:
    """Take `threads` and `mention:<role>` out of `digest subscribe` words: (the other
    words, the options, or None when neither was given).

    A mention names a role by its id (`mention:123`): how a platform writes a role is its
    adapter's to read, and it passes the id.  `@everyone` and `@here` are refused
    (BadArgument): a digest never pings everyone.  Whether roles may be pinged here at all,
    and which one names everyone, the context says (`Context.everyone_role`); whether the bot
    may ping that role is the adapter's check (it knows the server's roles).
    """
    if not args or args[0].lower() not in {"subscribe", "sub", "add"}:
        return args, None
    rest: list[str] = [args[0]]
    threads, mention, given = False, None, False
    for word in args[1:]:
        key, _, value = word.partition(":")
        if word.lower() in {"threads", "thread", "threads:true"}:
            threads, given = True, True
        elif key.lower() == "mention" and value:
            if value.lstrip("@").lower() in {"everyone", "here"}:
                raise BadArgument("A digest never pings @everyone or @here: name a role.")
            if not _ROLE_ID.fullmatch(value.strip()):
                raise BadArgument("Name the role to ping by its id: `mention:123456789012345678`.")
            mention, given = value.strip(), True
        else:
            rest.append(word)
    from .buttons import DigestOptions

    return rest, (DigestOptions(threads, mention) if given else None)


def _parse_brief(args: list[Word]) -> Request:
    if [a.text.lower() for a in args] in (["help"], ["--help"], ["-h"]) and not args[0].quoted:
        return HelpRequest("brief")
    if args and args[0].text.lower() == "why" and not args[0].quoted:
        return parse_why([a.text for a in args[1:]])
    bullets: int | None = None
    since: timedelta | None = None
    window: str | None = None
    topic_words: list[str] = []
    option: str | None = None  # the first option-like word (`--bullets`, `-n 3`)
    i = 0
    while i < len(args):
        word, i = args[i], i + 1
        text = word.text
        if word.quoted and not _WINDOW_LIKE.match(text):
            # A quoted phrase is topic, even "2024".  A quoted window stays a window: the
            # Discord adapter quotes a `since` such as "7 days" or "٧d" (shlex.quote).
            topic_words.append(_phrase(word))
            continue
        if _LONG_OPTION.match(text) or (
            _SHORT_OPTION.fullmatch(text)
            and i < len(args)
            and not args[i].quoted
            and ascii_digits(args[i].text).isdigit()
        ):
            # Command-line habits (`--bullets 3`, `-n 3`) would be read as excluded words.
            option = option or text
            continue
        if text.isascii() and text.isdigit() and i < len(args) and _is_unit(args[i]):
            text, i = f"{text} {args[i].text}", i + 1  # "7 d", "7 days": one window
        if text.isascii() and text.isdigit():
            if bullets is not None:
                raise BadArgument(
                    f"Two bullet counts ({bullets} and {text}): give one. To brief on a "
                    f'number, quote the topic, e.g. `brief "{text}" {bullets}`.'
                )
            bullets = _brief_count(text)
        elif text.lower() == "all" or _WINDOW_LIKE.match(text):
            if window is not None:
                raise BadArgument(f"Two time windows ({window} and {text}): give one.")
            window, since = text, parse_since(text)
        elif _COUNT_LIKE.match(text):
            raise BadArgument(
                f"Cannot read {text!r} as a number of bullets: use a whole number from 1 to "
                f"{MAX_BULLETS}, like 5."
            )
        else:
            topic_words.append(text)
    topic = " ".join(w for w in topic_words if w).strip() or None
    if option is not None:
        example = " ".join(str(p) for p in ("brief", topic, bullets, window) if p)
        raise BadArgument(
            f"`{option}` is not how chat takes options: say `{example}` (topic, then a count "
            "and a time window, both optional: `brief [topic] [N] [since]`)."
        )
    if topic and len(topic) > MAX_TOPIC_CHARS:
        raise BadArgument(f"Keep the topic under {MAX_TOPIC_CHARS} characters.")
    return BriefRequest(topic=topic, bullets=bullets, since=since)


def _phrase(word: Word) -> str:
    """A word as topic text: a phrase in double quotes keeps them, so the topic filter reads
    it as one phrase (bot.filters); single quotes (shlex.quote, the Discord adapter's way to
    pass an option whole) and named parts (`topic:…`) stay bare words."""
    text = word.text
    spaced = any(c.isspace() for c in text)
    if word.phrase and spaced and '"' not in text and not re.match(r"^\w+:", text):
        return f'"{text}"'
    return text


def _brief_count(text: str) -> int:
    if int(text) > MAX_BULLETS:
        raise BadArgument(
            f'Ask for 1 to {MAX_BULLETS} bullets. To brief on a number, quote it: `brief "{text}"`.'
        )
    return parse_count(text, "bullets")


def _is_unit(word: Word) -> bool:
    unit = word.text.lower()
    return not word.quoted and (unit in _UNITS or unit in _OTHER_UNITS)


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
    except EmptyBriefing as exc:
        return ErrorReply(str(exc), retry=exc.request)
    except UserError as exc:
        return ErrorReply(str(exc))
    except Exception:
        # Unexpected: keep the traceback in the log, give the user an id to quote.
        error_id = os.urandom(4).hex()  # 8 random hex digits
        log.exception("Unexpected error %s while handling %r", error_id, request)
        return ErrorReply(
            f"Sorry, something went wrong on our side (error {error_id}). "
            "Please try again; if it keeps happening, tell the bot's operator."
        )


# NUL and lone surrogates (invalid UTF-8 read leniently, e.g. from argv or a JSON "\udcff")
# mean nothing in a command and cannot be stored: topics and feed names would carry them.
_UNREADABLE = re.compile("[\x00\ud800-\udfff]")


def answer(core: Core, text: str, context: Context = CLI) -> Reply:
    """Parse and answer one chat command (NUL characters and lone surrogates dropped first)."""
    text = _UNREADABLE.sub("", text)
    try:
        request = parse_command(text)
    except UserError as exc:
        return ErrorReply(str(exc))
    except ValueError:  # odd input no rule above foresaw: still one line, never a traceback
        return ErrorReply("I couldn't read that command. Try `help` to see the commands.")
    return handle(core, request, context)


def _check_topic(request: Request) -> None:
    """Refuse a topic with no word in it (`filters.read_topic`), before anything is read or
    changed; every way in (chat text, the CLI's own requests) comes through here."""
    if isinstance(request, BriefRequest):
        read_topic(request.topic)
    elif isinstance(request, ArticlesRequest):
        read_topic(request.query)
    elif isinstance(request, SubscribeRequest):
        read_topic(request.digest.topic)
    elif not isinstance(request, HelpRequest | SummarizeRequest | WhyRequest):
        read_topic(getattr(request, "topic", None))  # a DigestRequest or FeedsRequest


def _dispatch(core: Core, request: Request, context: Context) -> Reply:
    _check_topic(request)
    if isinstance(request, HelpRequest):
        if request.command == "digest":
            from .digests import DIGEST_HELP

            return HelpReply(DIGEST_HELP, DIGEST_TITLE, DIGEST_ENTRIES)
        return HelpReply(HELP, HELP_TITLE, HELP_ENTRIES, menus=True)
    if isinstance(request, SubscribeRequest):
        return _subscribe_with_options(core, request, context)
    # Every read below sees only what this workspace may (bot.scopes); the CLI sees everything.
    scope = context.scope
    if isinstance(request, BriefRequest):
        return _brief(core, request, context)
    if isinstance(request, WhyRequest):
        return explain(core.reads, context.platform, context.workspace, context.channel, request)
    if isinstance(request, SummarizeRequest):
        return BriefingReply(summarize_article(core, request, scope))
    if isinstance(request, ArticlesRequest):
        found = core.reads.search(request.query, limit=request.limit, scope=scope)
        if request.query and not found:
            raise UserError(
                f"No stored article matches {request.query!r}. Try fewer words, or "
                "`articles` to see the newest."
            )
        return ArticlesReply(tuple(found), request.query, core.reads.count(scope))
    # Last, so that the requests above never import them (whoever made one of these did).
    from .digests import DigestRequest, handle_digest
    from .feeds import FeedsRequest, handle_feeds

    if isinstance(request, DigestRequest):
        return handle_digest(core, request, context)  # type: ignore[return-value]
    if isinstance(request, FeedsRequest):
        return handle_feeds(core, request, context)  # type: ignore[return-value]
    raise BadArgument(f"Unsupported request {type(request).__name__}.")


def _brief(core: Core, request: BriefRequest, context: Context) -> Reply:
    from .briefing import compose_briefing

    scope = context.scope

    summarizer = core.summarizer(request.summarizer)
    since: datetime | None = None
    if request.since is not None:
        since = core.clock.now() - request.since
    briefing = compose_briefing(
        core.reads,
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
        raise EmptyBriefing(
            f"No stored articles{where}{window}. Try another topic, a wider window (`brief all`), "
            "or `articles` to see what is stored.",
            request,
        )
    # The channel's last briefing, for `brief why N`.
    remember(core.reads, context.platform, context.workspace, context.channel, briefing)
    if context.platform == "cli" or not context.channel:
        return BriefingReply(briefing)
    from .buttons import BriefState, keep

    state = BriefState(
        topic=request.topic,
        since=since,
        stored_after=None,
        stored_until=briefing.generated_at,
        summarizer=request.summarizer,
        page=len(briefing.bullets),
    )
    ref = keep(core, context, briefing, state)
    return BriefingReply(briefing, Actions(ref) if ref else None)


def _subscribe_with_options(core: Core, request: SubscribeRequest, context: Context) -> Reply:
    from .buttons import save_options
    from .digests import handle_digest
    from .ledger import Ledger

    # The context says whether roles may be pinged here, and which one names everyone.
    mention = request.options.mention
    if mention and context.everyone_role is None:
        raise BadArgument("Digests here mention nobody: `mention:` pings a role of a server.")
    if mention and mention == context.everyone_role:
        raise BadArgument("A digest never pings @everyone or @here: name a role.")
    before = {s.id for s in Ledger(core.store).subscriptions(*_channel_of(context))}
    reply = handle_digest(core, request.digest, context)
    after = Ledger(core.store).subscriptions(*_channel_of(context))
    new = [s.id for s in after if s.id not in before and s.created_by == context.user]
    if new:
        save_options(core, context, max(new), request.options)
        extra = []
        if request.options.threads:
            extra.append("the stories go in a thread under a short line")
        if request.options.mention:
            extra.append("each digest pings the role")
        if isinstance(reply, NoticeReply) and extra:
            reply = NoticeReply(f"{reply.text}\nOptions: {'; '.join(extra)}.", by=reply.by)
    return reply  # type: ignore[return-value]


def _channel_of(context: Context) -> tuple[str, str, str]:
    return context.platform, context.workspace, context.channel


class EmptyBriefing(UserError):
    """No bullets for a brief request; the request rides along for the retry menus."""

    def __init__(self, message: str, request: BriefRequest) -> None:
        super().__init__(message)
        self.request = request


def summarize_article(core: Core, request: SummarizeRequest, scope: Scope) -> Briefing:
    """Summarize a stored article `scope` may read, a web page or (from the CLI) a file,
    without storing it.

    Raises UnknownArticle for an id that is missing and, with the same words, for one that
    `scope` may not read, so another workspace's ids reveal nothing.
    """
    target = request.target.strip()
    count = request.sentences or core.settings.bullets
    copies: tuple[Source, ...] = ()
    summarizer = core.summarizer(request.summarizer)
    stored = target.lstrip("#").isascii() and target.lstrip("#").isdigit()
    if not stored:
        # A page or a file is read as ingest reads one (and ingest brings the Store, and so
        # SQLAlchemy, with it): a stored article's summary starts without them.
        from summarizers.analysis import analyze

        from .ingest import decode_file, draft_from_html, draft_from_plain, draft_language, is_url
    if stored:
        article_id = int(target.lstrip("#"))
        article = core.reads.get(article_id, scope=scope)
        if article is None:
            raise UnknownArticle(article_id)
        title, url, source_id = article.title, article.url, article.id
        outlet = article.outlet
        copies = core.reads.copies_of([article.id], scope=scope).get(article.id, ())
        analysis = core.reads.analyses([article.id]).get(article.id)
    elif is_url(target):
        fetched = core.fetcher.get(target)
        draft = draft_from_html(fetched.content, fetched.url, fetched.url, fetched.content_type)
        title, url, source_id = draft.title, draft.url, 0
        from urllib.parse import urlsplit

        # The site's name (og:site_name), or the page's host.
        outlet = draft.source if draft.source != fetched.url else urlsplit(fetched.url).hostname
        analysis = analyze(draft.text, draft.title, draft_language(draft))
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
            text = decode_file(content)
            draft = draft_from_plain(text, path.name, markdown=path.suffix.lower() != ".txt")
        title, url, source_id = draft.title, None, 0
        outlet = draft.source if draft.source != path.name else None
        analysis = analyze(draft.text, draft.title, draft_language(draft))
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
