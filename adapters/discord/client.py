"""The Discord adapter: a discord.py client whose slash commands hand text to the core.

Every command defers at once (Discord allows 3 seconds), composes off the event loop, then
sends follow-ups.  Briefings go to the channel; help, errors and article lists only to the
person who asked.  Interactions are answered at most once, even when a resumed gateway session
replays them.  discord.py's own rate-limit handling is kept as is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import shlex
from collections import OrderedDict
from collections.abc import Iterator

import discord
from discord import app_commands

from bot.app import Core
from bot.commands import ErrorReply, Reply, answer, is_public
from bot.config import Settings
from bot.digests import Context, Scheduler
from bot.models import Subscription
from bot.suggest import article_choices, topic_choices

from .embeds import Message, error_messages, render

log = logging.getLogger(__name__)

MAX_BULLETS = 20
_REMEMBERED = 2048  # interaction ids kept to drop replays


def intents() -> discord.Intents:
    """Only what slash commands need: guild and channel data, nothing privileged."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class BriefBot(discord.Client):
    """A discord.py client with briefbot's command tree."""

    def __init__(self, core: Core, settings: Settings, scheduler: Scheduler | None = None) -> None:
        super().__init__(intents=intents())
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
        user_mention=interaction.user.mention,
        can_manage=bool(permissions.manage_channels) if interaction.guild_id else True,
        manage_permission="Manage Channels permission",
    )


class DigestPoster:
    """Posts scheduled digests with the create-message route; needs no gateway connection."""

    def __init__(self, settings: Settings, client: discord.Client | None = None) -> None:
        self.settings = settings
        self.client = client  # the running bot, if any: its session and rate limits are reused
        self._http: discord.http.HTTPClient | None = None

    async def _http_client(self) -> discord.http.HTTPClient:
        if self.client is not None and self.client.is_ready():
            return self.client.http
        if self._http is None:
            self._http = discord.http.HTTPClient(asyncio.get_running_loop())
            await self._http.static_login(self.settings.discord_token)
        return self._http

    async def post(self, subscription: Subscription, reply: Reply) -> str:
        """Post to the subscription's channel; return the (first) message id."""
        http = await self._http_client()
        ids: list[str] = []
        for message in render(reply):
            params = discord.http.handle_message_parameters(
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
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
        kwargs: dict[str, object] = {"ephemeral": ephemeral}
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
    )
    async def brief(
        interaction: discord.Interaction,
        topic: str | None = None,
        bullets: app_commands.Range[int, 1, MAX_BULLETS] | None = None,
        since: str | None = None,
    ) -> None:
        if topic and topic.strip().lower() == "help":
            await client.respond(interaction, "help brief", private=True)
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
                await interaction.response.send_message(messages[0].content, ephemeral=True)
        except Exception as exc:  # shutting down, or Discord unreachable: the log has it
            log.error("Could not report the failure to the user: %s", exc)
