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
from typing import Literal

import aiohttp
import discord
from discord import app_commands

from bot import buttons
from bot.app import Core
from bot.commands import BriefingReply, ErrorReply, Reply, answer, is_public
from bot.config import Settings
from bot.digests import Context, DigestMark, Landed, Scheduler
from bot.errors import UserError
from bot.models import Subscription
from bot.suggest import article_choices, topic_choices

from .embeds import (
    CUSTOM_ID,
    Message,
    error_messages,
    nobody,
    render,
    thread_head,
    thread_name,
)

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
        """Register the buttons and menus (persistent: they match any message's custom ids,
        so a press after a restart is answered) and the slash commands: instantly in one
        server, or globally (slower)."""
        self.add_dynamic_items(Press, Pick)
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

    async def refuse(self, interaction: discord.Interaction, text: str) -> None:
        """Answer only the asker with one line, at once (nothing to compose)."""
        if not self.first_time(interaction):
            return
        [message] = error_messages(text)
        with _suppress_http():
            await interaction.response.send_message(
                message.content, ephemeral=True, allowed_mentions=message.allowed_mentions
            )

    async def press(self, interaction: discord.Interaction, kind: str, argument: str) -> None:
        """A button: acked at once (a deferred update, nothing shown), then More and Sources
        post in the message's thread (made on first use; the channel itself where threads
        cannot be made), Unsubscribe posts a notice with Undo, Undo edits that notice.
        Refusals and errors go to the presser only."""
        if not self.first_time(interaction):
            return
        try:
            await interaction.response.defer()
        except discord.HTTPException as exc:
            log.error("Could not ack button %s: %s", interaction.id, _describe(exc))
            return
        context = context_of(interaction)
        parent = getattr(interaction.channel, "parent_id", None)
        if isinstance(interaction.channel, discord.Thread) and parent:
            # A button posted in a briefing's thread: its state was kept under the channel the
            # thread belongs to (the thread's messages are that channel's briefing).
            context = dataclasses.replace(context, channel=str(parent))
        reply = await asyncio.to_thread(_press, self.core, context, kind, argument)
        if kind in {"unsub", "undo"} and self.scheduler is not None:
            self.scheduler.poke()
        with _suppress_http():
            if isinstance(reply, ErrorReply):
                await send(interaction, render(reply), ephemeral=True)
            elif kind == "undo" and interaction.message is not None:
                [message] = render(reply)
                await interaction.edit_original_response(
                    content=message.content, view=None, allowed_mentions=message.allowed_mentions
                )
            elif kind in {"more", "src"}:
                await self._in_thread(interaction, reply)
            else:
                await send(interaction, render(reply), ephemeral=False)

    async def _in_thread(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Post `reply` in the thread of the pressed message (made if it has none)."""
        message = interaction.message
        thread_id: int | None = None
        if isinstance(interaction.channel, discord.Thread):
            thread_id = interaction.channel.id  # pressed inside the thread: answer there
        elif message is not None and interaction.guild_id:
            thread_id = await open_thread(self.http, message.channel.id, message.id, reply)
        if thread_id is None:
            await send(interaction, render(reply), ephemeral=False)
            return
        for part in render(reply):
            await send_to(self.http, thread_id, part)

    async def pick(self, interaction: discord.Interaction, topic: str, chosen: str) -> None:
        """A menu choice (bullets or window): a briefing in the channel."""
        await self.respond(interaction, _pick_command(topic, chosen), private=False)


THREAD_EXISTS = 160004  # "A thread has already been created for this message"


async def open_thread(
    http: discord.http.HTTPClient, channel_id: int, message_id: int, reply: object
) -> int | None:
    """The id of the thread under a message, made now if it has none (a thread started from a
    message has that message's id); None if threads cannot be made there (a DM, no
    permission), so the caller posts in the channel instead."""
    title = getattr(getattr(reply, "briefing", None), "title", None) or getattr(
        reply, "title", "briefbot"
    )
    try:
        await http.start_thread_with_message(
            channel_id, message_id, name=thread_name(str(title)), auto_archive_duration=1440
        )
    except discord.HTTPException as exc:
        if exc.code == THREAD_EXISTS:
            return message_id
        log.warning("Could not open a thread (%s); answering in the channel", _describe(exc))
        return None
    return message_id


async def send_to(http: discord.http.HTTPClient, channel_id: int, message: Message) -> str:
    """Send one rendered message to a channel or thread over REST; its id."""
    view = view_of(message)
    params = discord.http.handle_message_parameters(
        content=message.content or discord.utils.MISSING,
        embeds=message.embeds or discord.utils.MISSING,
        allowed_mentions=message.allowed_mentions,
        view=view if view is not None else discord.utils.MISSING,
    )
    with params:
        data = await http.send_message(channel_id, params=params)
    return str(data["id"])


def _pick_command(topic: str, chosen: str) -> str:
    words = ["brief"]
    if topic:
        words.append(shlex.quote(topic))
    if chosen.isdigit() or chosen in {"24h", "7d", "2w", "all"}:
        words.append(chosen)
    return " ".join(words)


def _press(core: Core, context: Context, kind: str, argument: str) -> Reply:
    """What a button does, as a core reply (a user mistake as an ErrorReply)."""
    from datetime import UTC, datetime

    try:
        if kind == "more":
            return buttons.more(core, context, argument)  # type: ignore[return-value]
        if kind == "src":
            return buttons.sources(core, context, argument)  # type: ignore[return-value]
        if kind == "unsub" and argument.isdigit():
            return buttons.unsubscribe(core, context, int(argument))  # type: ignore[return-value]
        if kind == "undo":
            sub, _, until = argument.partition(":")
            if sub.isdigit() and until.isdigit():
                moment = datetime.fromtimestamp(int(until), UTC)
                return buttons.undo(core, context, int(sub), moment)  # type: ignore[return-value]
    except UserError as exc:
        return ErrorReply(str(exc))
    except Exception:
        log.exception("A button press failed")
        return ErrorReply("Sorry, something went wrong on our side. Please try again.")
    return ErrorReply("I don't know that button.")


_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "danger": discord.ButtonStyle.danger,
}


class Press(
    discord.ui.DynamicItem[discord.ui.Button],
    template=CUSTOM_ID.pattern.strip("^$"),
):
    """A briefbot button (More, Sources, Unsubscribe, Undo), matched by its custom id
    (`bb:<kind>:<argument>`), so it is answered whenever it was posted: a dynamic item
    survives restarts with no view kept in memory."""

    def __init__(self, kind: str, argument: str, label: str = "", style: str = "secondary"):
        super().__init__(
            discord.ui.Button(
                label=label or kind,
                custom_id=f"bb:{kind}:{argument}",
                style=_STYLES.get(style, discord.ButtonStyle.secondary),
            )
        )
        self.kind = kind
        self.argument = argument

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> Press:
        return cls(match["kind"], match["arg"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        if isinstance(client, BriefBot):
            await client.press(interaction, self.kind, self.argument)


PICK_ID = re.compile(r"^bb:pick:(?P<kind>b|w):(?P<topic>.{0,88})$", re.DOTALL)
PICK_CHOICES = {"b": ("3", "5", "10"), "w": ("24h", "7d", "2w", "all")}


class Pick(discord.ui.DynamicItem[discord.ui.Select], template=PICK_ID.pattern.strip("^$")):
    """A menu of bullets (`b`) or windows (`w`) for a briefing with a click; the topic rides
    in the custom id (so a topic over 88 characters gets no menu)."""

    def __init__(self, kind: str, topic: str) -> None:
        label = "Brief me: bullets" if kind == "b" else "Brief me: window"
        super().__init__(
            discord.ui.Select(
                custom_id=f"bb:pick:{kind}:{topic}",
                placeholder=label,
                options=[discord.SelectOption(label=v, value=v) for v in PICK_CHOICES[kind]],
            )
        )
        self.kind = kind
        self.topic = topic

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select, match: re.Match[str]
    ) -> Pick:
        return cls(match["kind"], match["topic"])

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        chosen = (self.item.values or [""])[0]
        if isinstance(client, BriefBot):
            await client.pick(interaction, self.topic, chosen)


def view_of(message: Message) -> discord.ui.View | None:
    """The message's buttons and menus as a persistent view of dynamic items (None if it
    has none)."""
    if not message.buttons and message.menus is None:
        return None
    view = discord.ui.View(timeout=None)
    for button in message.buttons:
        match = CUSTOM_ID.match(button.custom_id)
        if match:
            view.add_item(Press(match["kind"], match["arg"], button.label, button.style))
    if message.menus is not None and len(message.menus) <= 88:
        view.add_item(Pick("b", message.menus))
        view.add_item(Pick("w", message.menus))
    return view


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
        # A server's roles may be pinged by id; its @everyone role has the server's id.
        everyone_role=str(interaction.guild_id) if interaction.guild_id else None,
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


class NotDiscord(Exception):
    """DISCORD_API_URL answered the REST login with something other than Discord's JSON (a
    captive portal, a proxy, a mistyped URL): `status` is the HTTP status (None if unknown),
    `content_type` the answer's."""

    def __init__(self, status: int | None, content_type: str) -> None:
        super().__init__(f"not Discord's answer (HTTP {status}, {content_type or 'no type'})")
        self.status = status
        self.content_type = content_type


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
            last: list[tuple[int, str]] = []  # the latest answer's (status, content type)

            async def answered(
                session: aiohttp.ClientSession,
                context: object,
                params: aiohttp.TraceRequestEndParams,
            ) -> None:
                last[:] = [(params.response.status, params.response.content_type)]

            trace = aiohttp.TraceConfig()
            trace.on_request_end.append(answered)
            http = discord.http.HTTPClient(asyncio.get_running_loop(), http_trace=trace)
            try:
                try:
                    me = await http.static_login(self.settings.discord_token)
                except (discord.LoginFailure, discord.HTTPException) as exc:
                    # A refusal (401: LoginFailure from the HTTPException) or another error
                    # status whose body is not Discord's JSON came from something else.
                    failed = exc if isinstance(exc, discord.HTTPException) else exc.__cause__
                    if (
                        isinstance(failed, discord.HTTPException)
                        and failed.response.content_type != "application/json"
                    ):
                        raise NotDiscord(failed.status, failed.response.content_type) from None
                    raise
                except ValueError:  # a body labelled JSON that is not
                    if not last:
                        raise
                    raise NotDiscord(*last[0]) from None
                if not isinstance(me, dict) or "id" not in me:
                    raise NotDiscord(*(last[0] if last else (None, "")))
            except BaseException:
                await http.close()  # not logged in: the next attempt logs in afresh
                raise
            self._http, self._me = http, str(me["id"])
        return self._http

    async def login(self) -> None:
        """Log in over REST now (a worker's start-up check), keeping the session for digests.

        Raises discord.py's `LoginFailure` for a refused token, `HTTPException` for another
        answer, `NotDiscord` for an answer that is not Discord's JSON, and aiohttp's or the
        OS's errors when Discord cannot be reached."""
        await self._http_client()

    def describe(self, exc: Exception) -> str:
        """A failed post for the ledger (`bot.digests.failure_detail`): "HTTP 403 Missing
        Access" for an answer of Discord's, else the exception's own text."""
        return _describe(exc) if isinstance(exc, discord.HTTPException) else str(exc)

    async def post(self, subscription: Subscription, reply: Reply, mark: DigestMark) -> str:
        """Post to the subscription's channel; return the (first) message id.

        Each message is sent with its nonce and marker.  If a later message fails, the ones
        posted stay and the rest is dropped: retrying would repeat what is in the channel.
        """
        http = await self._http_client()
        ids: list[str] = []
        threaded = isinstance(reply, BriefingReply) and reply.thread and reply.briefing.bullets
        messages = thread_head(reply) if threaded else render(reply)  # type: ignore[arg-type]
        for part, message in enumerate(_marked(messages, mark), 1):
            view = view_of(message)
            params = discord.http.handle_message_parameters(
                nonce=digest_nonce(mark, part),  # discord.py adds enforce_nonce=True
                content=message.content or discord.utils.MISSING,
                embeds=message.embeds or discord.utils.MISSING,
                allowed_mentions=message.allowed_mentions,
                view=view if view is not None else discord.utils.MISSING,
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
        if threaded and ids:
            # The line is posted (and counts as the digest); its stories follow in its thread.
            body = BriefingReply(reply.briefing)  # type: ignore[union-attr]
            try:
                thread = await open_thread(http, int(subscription.channel), int(ids[0]), body)
                for message in render(body):
                    await send_to(http, thread or int(subscription.channel), message)
            except discord.HTTPException as exc:
                log.error("Digest %s: thread post failed: %s", subscription.id, _describe(exc))
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
        view = view_of(message)
        if view is not None:
            kwargs["view"] = view
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


def role_refusal(interaction: discord.Interaction, role: discord.Role) -> str | None:
    """Why a digest may not ping `role` (None if it may): never @everyone (nor @here), and
    only a role that is mentionable or that the bot may ping anyway (Mention @everyone,
    @here and All Roles).  Answered as a `help`-like private line, as core text."""
    if role.is_default():
        return "A digest never pings @everyone or @here: name a role."
    allowed = interaction.app_permissions.mention_everyone
    if not (role.mentionable or allowed):
        return (
            "I may not ping that role: make it mentionable (Server Settings → "
            "Roles → Allow anyone to @mention this role), or give me Mention @everyone, "
            "@here and All Roles."
        )
    return None


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
        # The topic is quoted so that "2024 election" stays a topic, not a bullet count; and
        # `topic:why` is the word "why" (`why:` is the option that explains a bullet).
        words = topic.strip() if topic else None
        if words and words.lower() == "why":
            words = f'"{words}"'
        text = "brief " + _words(words, bullets, since)
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
    @app_commands.describe(command="Help on one command (default: all of them)")
    async def help_(
        interaction: discord.Interaction, command: Literal["digest"] | None = None
    ) -> None:
        await client.respond(interaction, f"help {command or ''}".strip(), private=True)

    digest = app_commands.Group(name="digest", description="This channel's daily digests")

    @digest.command(name="subscribe", description="Post a digest here every day at a local time")
    @app_commands.describe(
        time="Local time, HH:MM (24-hour), e.g. 08:30",
        timezone="Time zone, e.g. Europe/Paris (default UTC)",
        topic="Only articles about this (default: everything)",
        bullets=f"Bullets per digest (1-{MAX_BULLETS})",
        quiet="Post nothing on days with nothing new",
        threads="Post one short line; the stories and their sources go in its thread",
        mention="A role to ping with each digest (one the bot may mention)",
    )
    async def digest_subscribe(
        interaction: discord.Interaction,
        time: str,
        timezone: str | None = None,
        topic: str | None = None,
        bullets: app_commands.Range[int, 1, MAX_BULLETS] | None = None,
        quiet: bool = False,
        threads: bool = False,
        mention: discord.Role | None = None,
    ) -> None:
        if mention is not None and (refusal := role_refusal(interaction, mention)):
            await client.refuse(interaction, refusal)
            return
        # The time zone is passed as its own word; the topic, quoted, stays one topic.
        # Named parts: each option is taken exactly as given (a topic "Iran" stays a topic).
        text = "digest subscribe " + _words(
            time.strip(),
            f"tz:{timezone.strip()}" if timezone else None,
            f"topic:{topic.strip()}" if topic else None,
            f"bullets:{bullets}" if bullets else None,
            "quiet" if quiet else None,
            "threads" if threads else None,
            f"mention:{mention.id}" if mention is not None else None,
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
