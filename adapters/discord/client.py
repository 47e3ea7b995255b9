"""The Discord adapter: a discord.py client whose slash commands hand text to the core.

Every command defers at once (Discord allows 3 seconds), composes off the event loop, then
sends follow-ups.  Briefings go to the channel; help, errors and article lists only to the
person who asked.  Interactions are answered at most once, even when a resumed gateway session
replays them.  discord.py's own rate-limit handling is kept as is.  Every send passes the
rendered message's `allowed_mentions` (nobody, or only the asker), and the client's default
is none, so no article, feed name or topic can ping anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import logging
import re
import shlex
from collections import OrderedDict
from collections.abc import Iterator

import discord
from discord import app_commands

from bot.app import Core
from bot.commands import ErrorReply, Reply, answer, is_public
from bot.config import Settings
from bot.digests import Context, DigestMark, Landed, Scheduler
from bot.models import Subscription
from bot.suggest import article_choices, topic_choices

from .embeds import Message, error_messages, nobody, render

log = logging.getLogger(__name__)

MAX_BULLETS = 20
_REMEMBERED = 2048  # interaction ids kept to drop replays


def shard_options(settings: Settings) -> dict[str, object]:
    """discord.py's shard arguments for this process: none (unsharded), `shard_id` and
    `shard_count` for one shard, `shard_ids` and `shard_count` for several (or all, when
    DISCORD_SHARD_IDS is empty: `ShardedBriefBot`)."""
    count, ids = settings.discord_shard_count, settings.discord_shard_ids
    if count is None:
        return {}
    if len(ids) == 1:
        return {"shard_id": ids[0], "shard_count": count}
    return {"shard_ids": list(ids) or list(range(count)), "shard_count": count}


def make_client(core: Core, settings: Settings, scheduler: Scheduler | None = None) -> BriefBot:
    """The bot client for these settings: `BriefBot` (one connection, perhaps one shard of
    several) or `ShardedBriefBot` (several shards in this process).  Discord sends each guild's
    interactions to its shard (guild_id >> 22 % shard_count), so each process answers only its
    guilds; digests are claimed in the ledger, so each is posted once whoever posts it."""
    options = shard_options(settings)
    cls = ShardedBriefBot if "shard_ids" in options else BriefBot
    return cls(core, settings, scheduler)


def intents() -> discord.Intents:
    """Only what slash commands need: guild and channel data, nothing privileged."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class BriefBot(discord.Client):
    """A discord.py client with briefbot's command tree."""

    def __init__(self, core: Core, settings: Settings, scheduler: Scheduler | None = None) -> None:
        # Mentions nobody unless a send names whom: a safety net under every message.
        super().__init__(intents=intents(), allowed_mentions=nobody(), **shard_options(settings))
        self.core = core
        self.settings = settings
        self.scheduler = scheduler
        self.tree = app_commands.CommandTree(self)
        self._seen: OrderedDict[int, None] = OrderedDict()
        add_commands(self)
        self.synced: list[app_commands.AppCommand] = []

    async def setup_hook(self) -> None:
        """Register the slash commands: instantly in one server, or globally (slower)."""
        try:
            if self.settings.discord_guild_id:
                guild = discord.Object(id=int(self.settings.discord_guild_id))
                self.tree.copy_global_to(guild=guild)
                self.synced = await self.tree.sync(guild=guild)
            else:
                self.synced = await self.tree.sync()
        except discord.HTTPException as exc:
            log.error(
                "Could not register slash commands (%s %s). Is the bot in that server, "
                "invited with the applications.commands scope? See `briefbot discord invite`.",
                exc.status,
                exc.text,
            )
        else:
            log.info("Registered commands: %s", ", ".join(c.name for c in self.synced))

    async def on_ready(self) -> None:
        """Say once, plainly, that the bot is up."""
        print(f"briefbot: Discord connected as {self.user}", flush=True)

    def first_time(self, interaction: discord.Interaction) -> bool:
        """True once per interaction id: a replayed event must not be answered twice."""
        if interaction.id in self._seen:
            return False
        self._seen[interaction.id] = None
        while len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        return True

    async def respond(self, interaction: discord.Interaction, text: str, *, private: bool) -> None:
        """Defer, compose off the loop, then send the reply as follow-ups."""
        if not self.first_time(interaction):
            return
        try:
            await interaction.response.defer(thinking=True, ephemeral=private)
        except discord.HTTPException as exc:
            log.error("Could not defer interaction %s: %s", interaction.id, _describe(exc))
            return
        reply = await asyncio.to_thread(answer, self.core, text, context_of(interaction))
        if self.scheduler is not None and text.startswith(("digest", "feeds")):
            self.scheduler.poke()  # subscriptions or feeds may have changed
        await self.deliver(interaction, reply, deferred_private=private)

    async def deliver(
        self, interaction: discord.Interaction, reply: Reply, *, deferred_private: bool
    ) -> None:
        """Send a composed reply after a defer; report failures where Discord still lets us."""
        private = not is_public(reply)
        messages = render(reply)
        try:
            if private and not deferred_private:
                # The public "thinking…" message would show the error to everyone: remove it,
                # then answer only the asker.
                await _quietly(interaction.delete_original_response())
            await send(interaction, messages, ephemeral=private)
        except discord.HTTPException as exc:
            log.error(
                "Could not post the reply to interaction %s in channel %s: %s",
                interaction.id,
                interaction.channel_id,
                _describe(exc),
            )
            if isinstance(reply, ErrorReply):
                return
            hint = (
                "I lack permission to post here (I need View Channel, Send Messages and "
                "Embed Links)."
                if isinstance(exc, discord.Forbidden)
                else "Please try again."
            )
            with _suppress_http():
                await send(
                    interaction,
                    error_messages(f"I couldn't post that reply ({_describe(exc)}). {hint}"),
                    ephemeral=True,
                )


def context_of(interaction: discord.Interaction) -> Context:
    """Where a command came from; digests need Manage Channels on Discord."""
    permissions = interaction.permissions
    return Context(
        platform="discord",
        # A DM is nobody's server: each user's DMs are a workspace of their own (bot.scopes).
        workspace=str(interaction.guild_id)
        if interaction.guild_id
        else f"dm-{interaction.user.id}",
        channel=str(interaction.channel_id or ""),
        user=str(interaction.user.id),
        can_manage=bool(permissions.manage_channels) if interaction.guild_id else True,
        manage_permission="Manage Channels permission",
    )


# A digest's messages carry a nonce (Discord drops a repeat of it by the same author within a
# few minutes: `enforce_nonce`) and, since Discord does not return nonces when messages are
# read back, a visible marker in the footer or last line, found by a retry's read-back.
HISTORY_PAGE = 100  # messages per GET /channels/{id}/messages (Discord's maximum)
HISTORY_PAGES = 10  # read back at most this many pages per check
_MARKER = re.compile(r"digest (\d+:\d{4}-\d{2}-\d{2}:\d+) · (\d+)/(\d+)")
# Read-back refusals: the channel cannot be read (Missing Access / Missing Permissions).
_UNREADABLE = (discord.Forbidden, discord.NotFound)


def digest_nonce(mark: DigestMark, part: int) -> str:
    """The nonce of a digest's `part` (1-based): at most 25 characters, as Discord allows."""
    return "bb" + hashlib.sha256(mark.key.encode()).hexdigest()[:18] + f"{part:03d}"[-3:]


def digest_marker(mark: DigestMark, part: int, parts: int) -> str:
    """The visible marker of one message of a digest, e.g. "digest 12:2026-11-25:40 · 1/2"."""
    return f"digest {mark.key} · {part}/{parts}"


def _with_marker(message: Message, marker: str) -> Message:
    """The message with its marker: in the last embed's footer, else a small last line."""
    from .embeds import CONTENT_MAX

    if message.embeds:
        embeds = [e.copy() for e in message.embeds]
        last = embeds[-1]
        footer = last.footer.text
        last.set_footer(text=f"{footer} · {marker}" if footer else marker)
        return dataclasses.replace(message, embeds=embeds)
    line = f"\n-# {marker}"
    content = message.content or ""
    if len(content) + len(line) <= CONTENT_MAX:
        return dataclasses.replace(message, content=content + line)
    return dataclasses.replace(message, embeds=[discord.Embed().set_footer(text=marker)])


def _marked(messages: list[Message], mark: DigestMark) -> list[Message]:
    """A digest's messages, each with its marker (part i of n)."""
    return [
        _with_marker(message, digest_marker(mark, part, len(messages)))
        for part, message in enumerate(messages, 1)
    ]


def _marker_of(data: dict[str, object]) -> tuple[str, int, int] | None:
    """(delivery key, part, parts) of a message's marker, if it carries one."""
    texts = [str(data.get("content") or "")]
    for embed in data.get("embeds") or []:  # type: ignore[attr-defined]
        texts.append(str(((embed or {}).get("footer") or {}).get("text") or ""))
    for text in texts:
        for match in _MARKER.finditer(text):
            return match.group(1), int(match.group(2)), int(match.group(3))
    return None


class ShardedBriefBot(BriefBot, discord.AutoShardedClient):
    """`BriefBot` running several shards in one process (discord.py's AutoShardedClient:
    one gateway connection per shard, one REST session and rate limiter for all)."""


class DigestPoster:
    """Posts scheduled digests with the create-message route; needs no gateway connection.

    Each message carries a nonce (`digest_nonce`; discord.py adds enforce_nonce) and a marker
    (`digest_marker`); `landed` reads the channel back for the markers.
    """

    def __init__(self, settings: Settings, client: discord.Client | None = None) -> None:
        self.settings = settings
        self.client = client  # the running bot, if any: its session and rate limits are reused
        self._http: discord.http.HTTPClient | None = None
        self._me: str | None = None  # the bot user's id, when logged in over REST alone
        self._warned: set[tuple[str, int]] = set()  # (channel, HTTP status) warned about

    async def _http_client(self) -> discord.http.HTTPClient:
        if self.client is not None and self.client.is_ready():
            return self.client.http
        if self._http is None:
            self._http = discord.http.HTTPClient(asyncio.get_running_loop())
            me = await self._http.static_login(self.settings.discord_token)
            self._me = str(me["id"])
        return self._http

    async def post(self, subscription: Subscription, reply: Reply, mark: DigestMark) -> str:
        """Post to the subscription's channel; return the (first) message id.

        Each message is sent with its nonce and marker.  If a later message fails, the ones
        posted stay and the rest is dropped: retrying would repeat what is in the channel.
        """
        http = await self._http_client()
        ids: list[str] = []
        for part, message in enumerate(_marked(render(reply), mark), 1):
            params = discord.http.handle_message_parameters(
                nonce=digest_nonce(mark, part),  # discord.py adds enforce_nonce=True
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds or discord.utils.MISSING,
                allowed_mentions=message.allowed_mentions,
            )
            try:
                with params:
                    data = await http.send_message(int(subscription.channel), params=params)
            except discord.HTTPException as exc:
                if not ids:
                    raise  # nothing posted: the digest is retried whole
                # Part of it is in the channel: retrying would repeat that part.
                log.error(
                    "Digest %s: posted %s message(s), then %s; the rest is dropped",
                    subscription.id,
                    len(ids),
                    _describe(exc),
                )
                break
            ids.append(str(data["id"]))
        return ids[0] if ids else ""

    def _my_id(self) -> str | None:
        if self.client is not None and self.client.is_ready() and self.client.user is not None:
            return str(self.client.user.id)
        return self._me

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        """The earlier attempt's first message in the channel, found by its marker.

        Reads GET /channels/{id}/messages after the snowflake of `mark.since` (needs Read
        Message History), only the bot's own messages, at most HISTORY_PAGES pages.  If
        some parts of a multi-message digest are there and others not, the digest counts as
        posted (a partial digest is never repeated) and the missing parts are logged.  A
        refusal (403/404) logs one warning per channel and returns None, so the digest is
        posted again; other failures raise.
        """
        http = await self._http_client()
        me = self._my_id()
        after = discord.utils.time_snowflake(mark.since)
        found: dict[int, str] = {}  # part -> message id
        parts = 0
        for _ in range(HISTORY_PAGES):
            try:
                page = await http.logs_from(int(subscription.channel), HISTORY_PAGE, after=after)
            except _UNREADABLE as exc:
                self._warn_unreadable(subscription, exc)
                return None
            for data in page:
                author = str((data.get("author") or {}).get("id") or "")
                marker = _marker_of(data)  # type: ignore[arg-type]
                if marker is None or marker[0] != mark.key or (me is not None and author != me):
                    continue
                found.setdefault(marker[1], str(data["id"]))
                parts = max(parts, marker[2])
            if len(page) < HISTORY_PAGE:
                break
            after = max(int(data["id"]) for data in page)
        if not found:
            return None
        missing = sorted(set(range(1, parts + 1)) - set(found))
        if missing:
            log.error(
                "Digest %s for %s: message(s) %s of %s never reached the channel; the rest is "
                "there, so it is not posted again",
                subscription.id,
                mark.local_date,
                ", ".join(map(str, missing)),
                parts,
            )
        first = found[min(found)]
        return Landed(first, discord.utils.snowflake_time(int(first)))

    def _warn_unreadable(self, subscription: Subscription, exc: discord.HTTPException) -> None:
        if (subscription.channel, exc.status) in self._warned:
            return
        self._warned.add((subscription.channel, exc.status))
        log.warning(
            "Cannot read the messages of Discord channel %s (%s), so a retried digest (#%s) is "
            "posted without checking whether an earlier attempt landed: it may appear twice. "
            "Give briefbot the Read Message History permission there "
            "(`briefbot discord invite` asks for it).",
            subscription.channel,
            _describe(exc),
            subscription.id,
        )

    async def close(self) -> None:
        """Close the HTTP session this poster opened (not the bot's)."""
        if self._http is not None:
            await self._http.close()
            self._http = None


async def send(
    interaction: discord.Interaction, messages: list[Message], *, ephemeral: bool
) -> None:
    """Send rendered messages as follow-ups, in order."""
    for message in messages:
        kwargs: dict[str, object] = {
            "ephemeral": ephemeral,
            "allowed_mentions": message.allowed_mentions,
        }
        if message.content:
            kwargs["content"] = message.content
        if message.embeds:
            kwargs["embeds"] = message.embeds
        await interaction.followup.send(**kwargs)  # type: ignore[arg-type]


@contextlib.contextmanager
def _suppress_http() -> Iterator[None]:
    try:
        yield
    except discord.HTTPException as exc:
        log.error("Could not tell the user either: %s", _describe(exc))


async def _quietly(call: object) -> None:
    try:
        await call  # type: ignore[misc]
    except discord.HTTPException as exc:
        log.warning("Could not remove the thinking message: %s", _describe(exc))


def _describe(exc: discord.HTTPException) -> str:
    text = exc.text or exc.response.reason or ""
    return f"HTTP {exc.status}{f' {text}' if text else ''}"


@functools.cache
def _zone_names() -> tuple[str, ...]:
    from zoneinfo import available_timezones

    return tuple(sorted(available_timezones()))


def _words(*parts: object) -> str:
    return " ".join(shlex.quote(str(p)) for p in parts if p not in (None, ""))


def add_commands(client: BriefBot) -> None:
    """Declare /brief, /summarize, /articles and /help on the client's tree."""
    tree = client.tree

    @tree.command(name="brief", description="A short, sourced briefing of the newest articles")
    @app_commands.describe(
        topic="Words to search for, e.g. ukraine (default: everything)",
        bullets=f"How many bullets (1-{MAX_BULLETS}, default {client.settings.bullets})",
        since="Only articles from the last 24h, 7d, 2w… (default: all)",
        why="Instead: why bullet N of this channel's last briefing (its sources' sentences)",
    )
    async def brief(
        interaction: discord.Interaction,
        topic: str | None = None,
        bullets: app_commands.Range[int, 1, MAX_BULLETS] | None = None,
        since: str | None = None,
        why: app_commands.Range[int, 1, 999] | None = None,
    ) -> None:
        if topic and topic.strip().lower() == "help":
            await client.respond(interaction, "help brief", private=True)
            return
        if why is not None:
            # Answered only to the asker, like help; other options make the core say how to ask.
            extra = _words(topic.strip() if topic else None, bullets, since)
            await client.respond(interaction, f"brief why {why} {extra}".strip(), private=True)
            return
        # The topic is quoted so that "2024 election" stays a topic, not a bullet count.
        text = "brief " + _words(topic.strip() if topic else None, bullets, since)
        await client.respond(interaction, text.strip(), private=False)

    async def topics(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope = context_of(interaction).scope  # only what this server may read
        words = await asyncio.to_thread(topic_choices, client.core.store, current, scope)
        return [app_commands.Choice(name=w[:100], value=w[:100]) for w in words[:25]]

    brief.autocomplete("topic")(topics)

    @tree.command(name="summarize", description="The key sentences of one article")
    @app_commands.describe(
        article="An article id (see /articles) or a web address",
        sentences=f"How many sentences (1-{MAX_BULLETS}, default {client.settings.bullets})",
    )
    async def summarize(
        interaction: discord.Interaction,
        article: str,
        sentences: app_commands.Range[int, 1, MAX_BULLETS] | None = None,
    ) -> None:
        await client.respond(
            interaction, "summarize " + _words(article.strip(), sentences), private=False
        )

    @summarize.autocomplete("article")
    async def summarize_article(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        scope = context_of(interaction).scope  # only what this server may read
        found = await asyncio.to_thread(article_choices, client.core.store, current, scope)
        return [app_commands.Choice(name=label[:100], value=value) for label, value in found]

    @tree.command(name="articles", description="List or search the stored articles")
    @app_commands.describe(query="Words to search for (default: the newest)")
    async def articles(interaction: discord.Interaction, query: str | None = None) -> None:
        await client.respond(interaction, "articles " + (query or ""), private=True)

    @tree.command(name="help", description="How to use briefbot")
    async def help_(interaction: discord.Interaction) -> None:
        await client.respond(interaction, "help", private=True)

    digest = app_commands.Group(name="digest", description="This channel's daily digests")

    @digest.command(name="subscribe", description="Post a digest here every day at a local time")
    @app_commands.describe(
        time="Local time, HH:MM (24-hour), e.g. 08:30",
        timezone="Time zone, e.g. Europe/Paris (default UTC)",
        topic="Only articles about this (default: everything)",
        bullets=f"Bullets per digest (1-{MAX_BULLETS})",
        quiet="Post nothing on days with nothing new",
    )
    async def digest_subscribe(
        interaction: discord.Interaction,
        time: str,
        timezone: str | None = None,
        topic: str | None = None,
        bullets: app_commands.Range[int, 1, MAX_BULLETS] | None = None,
        quiet: bool = False,
    ) -> None:
        # The time zone is passed as its own word; the topic, quoted, stays one topic.
        # Named parts: each option is taken exactly as given (a topic "Iran" stays a topic).
        text = "digest subscribe " + _words(
            time.strip(),
            f"tz:{timezone.strip()}" if timezone else None,
            f"topic:{topic.strip()}" if topic else None,
            f"bullets:{bullets}" if bullets else None,
            "quiet" if quiet else None,
        )
        await client.respond(interaction, text, private=False)

    @digest_subscribe.autocomplete("timezone")
    async def digest_timezone(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        folded = current.casefold()
        names = sorted(n for n in _zone_names() if folded in n.casefold())[:25]
        return [app_commands.Choice(name=n, value=n) for n in names]

    digest_subscribe.autocomplete("topic")(topics)

    @digest.command(name="list", description="This channel's digests, next runs and last results")
    async def digest_list(interaction: discord.Interaction) -> None:
        await client.respond(interaction, "digest list", private=True)

    @digest.command(name="unsubscribe", description="Stop one of this channel's digests")
    @app_commands.describe(digest="A digest id from /digest list, or all")
    async def digest_unsubscribe(interaction: discord.Interaction, digest: str) -> None:
        await client.respond(
            interaction, "digest unsubscribe " + _words(digest.strip()), private=False
        )

    @digest.command(name="now", description="Post this channel's digest right now")
    @app_commands.describe(digest="A digest id (default: the channel's first)")
    async def digest_now(interaction: discord.Interaction, digest: int | None = None) -> None:
        await client.respond(interaction, "digest now " + _words(digest), private=False)

    tree.add_command(digest)

    feeds = app_commands.Group(name="feeds", description="The feeds new articles come from")

    @feeds.command(name="add", description="Follow an RSS or Atom feed")
    @app_commands.describe(url="The feed's address", name="A display name (default: its title)")
    async def feeds_add(
        interaction: discord.Interaction, url: str, name: str | None = None
    ) -> None:
        text = "feeds add " + _words(url.strip(), name.strip() if name else None)
        await client.respond(interaction, text, private=False)

    @feeds.command(name="list", description="Every feed: last fetched, articles stored, errors")
    async def feeds_list(interaction: discord.Interaction) -> None:
        await client.respond(interaction, "feeds list", private=True)

    @feeds.command(name="remove", description="Stop following a feed (its articles stay)")
    @app_commands.describe(feed="A feed id from /feeds list")
    async def feeds_remove(interaction: discord.Interaction, feed: int) -> None:
        await client.respond(interaction, f"feeds remove {feed}", private=False)

    tree.add_command(feeds)

    @tree.error
    async def on_tree_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        log.error("Slash command failed: %s", error, exc_info=error)
        messages = error_messages("Sorry, something went wrong on our side. Please try again.")
        try:
            if interaction.response.is_done():
                await send(interaction, messages, ephemeral=True)
            else:
                await interaction.response.send_message(
                    messages[0].content,
                    ephemeral=True,
                    allowed_mentions=messages[0].allowed_mentions,
                )
        except Exception as exc:  # shutting down, or Discord unreachable: the log has it
            log.error("Could not report the failure to the user: %s", exc)
