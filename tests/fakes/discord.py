"""A loopback fake of Discord: the REST API and the websocket gateway, served by aiohttp.

Why a fake server and not mocks: briefbot's Discord adapter is built on discord.py, and what
can go wrong lives in the conversation between discord.py and Discord — logging in, syncing
slash commands, the gateway handshake, acknowledging an interaction within its deadline,
follow-up webhooks, reconnecting and RESUMEing.  Patching discord.py's internals would test
nothing of that.  So this module speaks the wire protocol instead, on 127.0.0.1, and the REAL
client talks to it after two class attributes are pointed here:

    discord.http.Route.BASE = fake.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)

What it does, as Discord does it (checked against discord.py 2.7.1):

* REST under ``/api/v10``: ``GET /users/@me``, ``GET /oauth2/applications/@me`` (what
  ``Client.login`` fetches; ``/applications/@me`` too), bulk overwrite and
  listing of global and guild application commands, interaction callbacks (including the
  ``?with_response=1`` body discord.py asks for), follow-up webhooks (JSON or multipart with
  ``payload_json``), reading/editing/deleting ``@original`` and follow-up messages,
  ``POST /channels/{id}/messages`` (kept per channel; a ``nonce`` is echoed in the answer only,
  and with ``enforce_nonce`` a repeat of the same author's nonce within `NONCE_WINDOW` seconds
  returns the first message instead of creating one) and ``GET /channels/{id}/messages``
  (``limit`` 1-100, ``before``/``after``/``around``, newest first, without nonces).  Bot
  routes check ``Authorization: Bot <token>``; interaction and webhook routes are authorised
  by the interaction token, as on Discord.
  Errors are Discord-shaped JSON (``{"code": ..., "message": ...}``), and anything unknown is a
  recorded 404.  An interaction can be acknowledged once (a second callback is ``40060``),
  and follow-ups before the acknowledgement are ``10015 Unknown Webhook``.
* The gateway at ``/gateway``: HELLO, heartbeat ACKs, IDENTIFY -> READY + GUILD_CREATE, and
  RESUME -> the missed dispatches (``s`` above the client's) then RESUMED.  Frames are
  uncompressed TEXT frames, which discord.py reads as plain JSON even though it asks for
  ``compress=zlib-stream`` (it only inflates BINARY frames).  Dispatches sent while no client
  is connected are buffered and replayed on RESUME.  A client that closes with 1000/1001 ends
  its session, so a later RESUME gets INVALID_SESSION, as on Discord (discord.py's own
  ``Client.close()`` in fact closes with 4000).  No discord.py import: this is the server.

Every REST request is recorded as a `Call`; tests wait on `FakeDiscord.wait_for`, which is
woken by every recorded call and gateway event, never by the clock.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from .limits import Bucket, Limiter
from .loopback import serve_app

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.Gfake0.fake-bot-token-value-for-tests-only-123"
APPLICATION_ID = "100000000000000000"
BOT_USER_ID = APPLICATION_ID  # a bot user shares its application's id
GUILD_ID = "200000000000000000"
CHANNEL_ID = "300000000000000000"
USER_ID = "400000000000000000"

API_VERSION = 10
NONCE_WINDOW = 120.0  # seconds; Discord documents "the past few minutes"
HEARTBEAT_INTERVAL_MS = 41250
DISCORD_EPOCH_MS = 1420070400000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Permission bits (https://discord.com/developers/docs/topics/permissions).
MANAGE_CHANNELS = 1 << 4
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
APP_PERMISSIONS = EVERYONE_PERMISSIONS

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
_KEPT_MESSAGE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)  # suppress, eph., silent, v2

# Interaction types, and the callback types a bot answers them with.
APPLICATION_COMMAND_INTERACTION = 2
AUTOCOMPLETE_INTERACTION = 4
CALLBACK_CHANNEL_MESSAGE = 4  # reply now: payload {"type": 4, "data": {message}}
CALLBACK_DEFERRED_CHANNEL_MESSAGE = 5  # "Bot is thinking...": {"type": 5[, "data": {"flags"}]}
CALLBACK_AUTOCOMPLETE_RESULT = 8  # {"type": 8, "data": {"choices": [...]}}
COMPONENT_INTERACTION = 3  # a button press or a menu choice on a message
CALLBACK_DEFERRED_UPDATE = 6  # ack a component, nothing shown
CALLBACK_UPDATE_MESSAGE = 7  # edit the component's message now
_ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND_INTERACTION: {4, 5, 9, 12},  # message, deferred, modal, activity
    AUTOCOMPLETE_INTERACTION: {CALLBACK_AUTOCOMPLETE_RESULT},
    COMPONENT_INTERACTION: {4, 5, 6, 7, 9},
}
# Roles of the fake guild besides @everyone: one anybody may mention, one nobody may.
NEWS_ROLE_ID = "500000000000000001"
QUIET_ROLE_ID = "500000000000000002"
ROLE = 8
THREAD_EXISTS = 160004

# Application command option types.
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
NUMBER = 10

_JSON = "application/json"
_NAME = re.compile(r"^[-_'\w]{1,32}$")


@dataclass(frozen=True)
class Call:
    """One REST request the fake received."""

    method: str  # HTTP method
    path: str  # after /api/v10, e.g. "/interactions/123/tok/callback"
    query: dict[str, str]
    payload: Any  # parsed JSON body (multipart: its "payload_json" part), or None
    status: int  # what the fake answered
    files: tuple[str, ...] = ()  # names of files uploaded with a multipart body
    at: float = field(default_factory=time.monotonic)  # when it arrived (monotonic seconds)
    via: str = ""  # the NAME of an `api_url_via` base URL the request came through


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    code: int
    message: str
    times: int
    retry_after: float


@dataclass
class _Interaction:
    id: str
    token: str
    type: int
    channel_id: str
    guild_id: str | None
    created: float
    acknowledged: bool = False
    original: dict[str, Any] | None = None
    followups: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    query: dict[str, str]
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session_id: str | None = None
    closed_by_fake: bool = False


class _Reply(Exception):
    """Raised by a handler to answer with an error (or any status) at once."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _error(status: int, code: int, message: str) -> _Reply:
    return _Reply(status, {"code": code, "message": message})


def _not_found() -> _Reply:
    return _error(404, 0, "404: Not Found")


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    payload: Any
    files: list[tuple[str, int]]
    match: re.Match[str]


_Handler = Callable[[_Request], Awaitable[tuple[int, Any]]]


# -- components and threads (issue 15) -------------------------------------------------------


def _flat(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Options with subcommand (group) nesting flattened."""
    out: list[dict[str, Any]] = []
    for option in options:
        out.append(option)
        out.extend(_flat(option.get("options") or []))
    return out


def _component(message: dict[str, Any], custom_id: str) -> dict[str, Any] | None:
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            if component.get("custom_id") == custom_id:
                return component
    return None


class _ComponentsMixin:
    """Methods FakeDiscord gains for components and threads (kept apart for reading)."""

    @staticmethod
    def role(role_id: str) -> dict[str, Any]:
        """A role of the fake guild: NEWS_ROLE_ID may be mentioned by anyone, others not."""
        return {
            "id": role_id,
            "name": "news" if role_id == NEWS_ROLE_ID else f"role-{role_id[-4:]}",
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 1,
            "permissions": "0",
            "managed": False,
            "mentionable": role_id == NEWS_ROLE_ID,
            "flags": 0,
        }

    def followup_messages(self: Any, interaction_id: str) -> list[dict[str, Any]]:
        """The messages an interaction's follow-ups created, oldest first."""
        interaction = self._interactions[interaction_id]
        return sorted(interaction.followups.values(), key=lambda m: int(m["id"]))

    def message_bodies(self: Any) -> list[dict[str, Any]]:
        """Every message body the bot sent or edited, as it sent it: follow-ups, callbacks
        with data, channel and thread posts, edits (POST and PATCH), oldest first."""
        found = []
        for call in self.calls:
            if call.method not in {"POST", "PATCH"} or not isinstance(call.payload, dict):
                continue
            payload = call.payload
            body = payload.get("data", payload) if "type" in payload else payload
            if isinstance(body, dict) and ("content" in body or "embeds" in body):
                found.append(body)
        return found

    def posted(self: Any) -> list[dict[str, Any]]:
        """Every message the bot has posted anywhere (channels, threads, follow-ups), oldest
        first."""
        found = [m for ms in self.channel_messages.values() for m in ms]
        for interaction in self._interactions.values():
            if interaction.original is not None and interaction.type != COMPONENT_INTERACTION:
                found.append(interaction.original)
            found.extend(interaction.followups.values())
        unique = {m["id"]: m for m in found}
        return sorted(unique.values(), key=lambda m: int(m["id"]))

    async def inject_component(
        self: Any,
        message: dict[str, Any],
        custom_id: str,
        *,
        values: list[str] | None = None,
        guild_id: str | None = GUILD_ID,
        user_id: str = USER_ID,
    ) -> str:
        """Dispatch a component interaction (type 3): `user_id` pressed the button (or chose
        `values` in the menu) `custom_id` on `message` (as the fake stored it); return the
        interaction id.  What the member may do is `member_permissions`, as for commands."""
        component = _component(message, custom_id)
        if component is None:
            raise LookupError(f"no component {custom_id!r} on message {message['id']}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        shown = copy.deepcopy(message) | {"author": self.bot_user()}
        channel_id = str(message.get("channel_id") or CHANNEL_ID)
        return await self._interaction(
            COMPONENT_INTERACTION,
            data,
            guild_id,
            channel_id,
            user_id,
            extra={"message": shown},
            original=message,
        )

    async def _start_thread(self: Any, req: Any) -> tuple[int, Any]:
        """POST /channels/{id}/messages/{id}/threads: a public thread whose id is the
        message's; a second one is refused with 160004, as on Discord."""
        channel_id, message_id = req.match["channel"], req.match["mid"]
        self._known_channel(channel_id)
        if message_id in self.threads:
            raise _error(400, THREAD_EXISTS, "A thread has already been created for this message")
        payload = req.payload if isinstance(req.payload, dict) else {}
        thread = self.channel(message_id) | {
            "type": 11,
            "parent_id": channel_id,
            "name": str(payload.get("name") or "thread"),
            "owner_id": BOT_USER_ID,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(payload.get("auto_archive_duration") or 1440),
                "archive_timestamp": _now_iso(),
                "locked": False,
            },
            "message_count": 0,
            "member_count": 1,
        }
        self.threads[message_id] = thread
        return 201, copy.deepcopy(thread)


class FakeDiscord(_ComponentsMixin):
    """The fake Discord: one bot, one guild with one text channel, one human user.

    `callback_deadline`, if set, is how many seconds an interaction may wait for its callback
    before the fake answers ``10062 Unknown interaction`` (Discord allows 3 seconds).
    """

    def __init__(
        self,
        *,
        token: str = TOKEN,
        callback_deadline: float | None = None,
        limits: Limiter | None = None,
        any_channel: bool = False,
    ) -> None:
        self.token: str = token
        self.callback_deadline = callback_deadline
        # Discord's rate limits, enforced when set (`discord_limits()`): a request over one
        # answers 429 as Discord does and is counted in `limits.limited`.
        self.limits = limits
        # Accept messages in any channel id (a load run's thousands of channels), not only
        # the fake guild's CHANNEL_ID and the threads and interaction channels it knows.
        self.any_channel = any_channel
        # Seconds since the epoch, for snowflakes and the nonce window (a test may pass its
        # fake clock's, so message times follow it).
        self.now: Callable[[], float] = time.time
        # channel id -> messages created there with POST /channels/{id}/messages, oldest first
        self.channel_messages: dict[str, list[dict[str, Any]]] = {}
        self._nonces: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}
        # What the invoking member may do in the channel (add MANAGE_CHANNELS for admins).
        self.member_permissions: int = EVERYONE_PERMISSIONS
        self.calls: list[Call] = []
        self.port: int = 0
        self.identifies: int = 0
        self.resumes: int = 0
        self.invalid_sessions: int = 0  # RESUMEs refused with INVALID_SESSION
        self.connections: int = 0  # gateway websockets accepted
        self.heartbeats: int = 0
        self.identify_payloads: list[dict[str, Any]] = []  # the "d" of each IDENTIFY
        self.dispatches: list[dict[str, Any]] = []  # every dispatch frame, in sequence order
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        # application commands: scope (guild id, or None for global) -> stored commands
        self._commands: dict[str | None, list[dict[str, Any]]] = {}
        self._command_ids: dict[tuple[str | None, str, int], str] = {}
        self._last_sync: list[dict[str, Any]] = []
        self._interactions: dict[str, _Interaction] = {}
        self._by_token: dict[str, _Interaction] = {}
        # gateway session
        self._session_lock = asyncio.Lock()
        self._session_id: str | None = None
        self._seq = 0
        self._buffer: list[dict[str, Any]] = []
        self._current: _Connection | None = None  # the connection dispatches go to
        self._open: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._routes: list[tuple[str, re.Pattern[str], _Handler, bool]] = []
        # threads started from a message: thread id (= the message's id) -> the thread
        self.threads: dict[str, dict[str, Any]] = {}
        # Sharded clients: shard id -> its identified connection, and the shard count they
        # identified with (`_identify_shard`).
        self.shard_connections: dict[int, _Connection] = {}
        self.shard_count: int | None = None
        self._add_routes()

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v{API_VERSION}"

    def api_url_via(self, name: str) -> str:
        """`api_url` for one client of several, so its requests are told apart (`Call.via`)."""
        return f"http://127.0.0.1:{self.port}/via/{name}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v{version}/{path:.*}", self._rest)
        # The same API under /via/NAME/ (`api_url_via`): each process of a test given its own
        # base URL, the fake records which one made each request (`Call.via`).
        app.router.add_route("*", "/via/{via}/api/v{version}/{path:.*}", self._rest)
        self._runner, self.port = await serve_app(app)
        return self

    async def stop(self) -> None:
        """Close any gateway connection (1001 Going Away) and stop listening."""
        for conn in list(self._open):
            await self._close(conn, 1001, "fake discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- programming failures ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        code: int = 0,
        message: str = "",
        times: int = 1,
        retry_after: float = 0.0,
    ) -> None:
        """Answer the next `times` REST calls matching `method` and `path_regex` (re.search on
        the path after /api/v10) with `status` and ``{"code": code, "message": message}``.

        A 429 is a real rate limit: it carries ``retry_after`` and a ``Via`` header, so
        discord.py sleeps `retry_after` seconds and retries.  Note discord.py also retries
        500/502/504/524 by itself (up to 5 tries, sleeping 1, 3, 5... seconds).
        """
        self._failures.append(
            _Failure(
                method.upper(),
                re.compile(path_regex),
                status,
                code,
                message or f"{status}: fake failure",
                times,
                retry_after,
            )
        )

    # -- reading back -----------------------------------------------------------------------

    def of(self, method: str, path_regex: str) -> list[Call]:
        """Successful (2xx) calls of `method` whose path matches `path_regex` (re.search)."""
        pattern = re.compile(path_regex)
        return [
            c
            for c in self.calls
            if c.method == method.upper() and 200 <= c.status < 300 and pattern.search(c.path)
        ]

    def responses(self, interaction_id: str) -> list[Call]:
        """Successful calls answering one interaction: its callback, then webhook calls made
        with its token (follow-ups, edits of @original), in order."""
        interaction = self._interactions[interaction_id]
        callback = f"/interactions/{interaction.id}/{interaction.token}/"
        webhook = f"/webhooks/{APPLICATION_ID}/{interaction.token}"
        return [
            c
            for c in self.calls
            if 200 <= c.status < 300 and (c.path.startswith(callback) or c.path.startswith(webhook))
        ]

    def interaction_token(self, interaction_id: str) -> str:
        return self._interactions[interaction_id].token

    def original_message(self, interaction_id: str) -> dict[str, Any] | None:
        """The interaction's original response message as it stands now (after edits)."""
        return self._interactions[interaction_id].original

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The latest bulk-overwritten application commands (guild or global), as sent."""
        return copy.deepcopy(self._last_sync)

    def synced_commands(self, guild_id: str | None = GUILD_ID) -> list[dict[str, Any]]:
        """The commands stored for a guild (or global, with None), with their assigned ids."""
        return copy.deepcopy(self._commands.get(guild_id, []))

    @property
    def connected(self) -> bool:
        """Whether a client is identified or resumed and receiving dispatches."""
        return self._current is not None

    async def wait_for(self, predicate: Callable[[FakeDiscord], Any], timeout: float = 10) -> Any:
        """Wait until `predicate(self)` is truthy and return its value.  It is re-checked
        whenever a REST call or a gateway event is recorded, and only then: a predicate on
        state the fake does not change (say, the bot's own lists) is not re-checked when that
        changes.  On timeout, raises TimeoutError listing the last calls."""

        async def check() -> Any:
            async with self._changed:
                while not (result := predicate(self)):
                    await self._changed.wait()
                return result

        try:
            return await asyncio.wait_for(check(), timeout)
        except TimeoutError:
            recent = "\n  ".join(f"{c.method} {c.path} -> {c.status}" for c in self.calls[-10:])
            raise TimeoutError(
                f"fake Discord: condition not met within {timeout}s; last calls:\n  {recent}"
            ) from None

    async def wait_ready(self, timeout: float = 10) -> None:
        """Wait until a client has IDENTIFIED and been sent READY and GUILD_CREATE (or has
        RESUMED), so dispatches reach it."""
        await self.wait_for(lambda f: f.connected, timeout)

    # -- injecting events -------------------------------------------------------------------

    async def inject_command(
        self,
        name: str,
        options: dict[str, str | int | float | bool] | None = None,
        *,
        guild_id: str | None = GUILD_ID,
        channel_id: str = CHANNEL_ID,
        user_id: str = USER_ID,
    ) -> str:
        """Dispatch INTERACTION_CREATE for a synced chat-input command, as if `user_id` ran
        it in `channel_id`; return the interaction id.

        `name` may name a subcommand: "brief today" or "group sub".  Option values are typed
        from the synced command's option types (STRING, INTEGER, NUMBER, BOOLEAN), and
        checked as Discord's client would (required options, choices, lengths, ranges).
        With ``guild_id=None`` the command is run in a DM with the bot (global commands only).
        """
        command, path, schema = self._find_command(name, guild_id)
        values = dict(options or {})
        built = self._build_options(schema, values, name, focused=None)
        return await self._inject(
            APPLICATION_COMMAND_INTERACTION, command, path, built, guild_id, channel_id, user_id
        )

    async def inject_autocomplete(
        self,
        name: str,
        focused: str,
        value: str,
        options: dict[str, str | int | float | bool] | None = None,
        *,
        guild_id: str | None = GUILD_ID,
        channel_id: str = CHANNEL_ID,
        user_id: str = USER_ID,
    ) -> str:
        """Dispatch an autocomplete interaction (type 4): the user is typing `value` into the
        option `focused` (which must have ``autocomplete: true``).  The bot's choices are in
        the callback's ``payload["data"]["choices"]``.  Returns the interaction id."""
        command, path, schema = self._find_command(name, guild_id)
        values: dict[str, Any] = dict(options or {})
        values[focused] = value
        built = self._build_options(schema, values, name, focused=focused)
        return await self._inject(
            AUTOCOMPLETE_INTERACTION, command, path, built, guild_id, channel_id, user_id
        )

    async def dispatch(self, event: str, data: dict[str, Any]) -> int:
        """Send any dispatch event (op 0) to the client; return its sequence number.  Without a
        connected client it is buffered for the next RESUME."""
        async with self._session_lock:
            to = self._current
            guild = data.get("guild_id")
            if self.shard_connections and self.shard_count:
                # Sharded: an event about a guild goes to that guild's shard only (DMs: 0).
                to = self.shard_connections.get(shard_of(guild, self.shard_count) if guild else 0)
            seq = await self._emit(event, data, to)
        await self._notify()
        return seq

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the current gateway websocket abnormally (default 4000 "Unknown error"), as a
        flaky network or a Discord restart would; discord.py reconnects and RESUMEs.  Events
        dispatched before it has resumed are buffered and replayed on RESUME."""
        async with self._session_lock:
            conn = self._current
            if conn is None:
                raise RuntimeError("no gateway connection to drop")
            self._current = None
        await self._close(conn, code, "fake discord dropped the connection")
        await self._notify()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT, as Discord does before moving a session; the client closes and
        RESUMEs."""
        conn = self._current
        if conn is None:
            raise RuntimeError("no gateway connection")
        await self._write(conn, {"op": 7, "d": None})

    # -- objects ----------------------------------------------------------------------------

    def _snowflake(self) -> str:
        ms = int(self.now() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    @staticmethod
    def bot_user() -> dict[str, Any]:
        return {
            "id": BOT_USER_ID,
            "username": "briefbot",
            "discriminator": "4242",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "system": False,
            "mfa_enabled": False,
            "verified": True,
            "email": None,
            "flags": 0,
            "public_flags": 0,
            "locale": "en-US",
            "premium_type": 0,
            "banner": None,
            "accent_color": None,
        }

    @staticmethod
    def user(user_id: str = USER_ID) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": f"reader{user_id[-4:]}",
            "discriminator": "0",
            "global_name": "Test Reader",
            "avatar": None,
            "public_flags": 0,
            "bot": False,
        }

    @staticmethod
    def _member(user: dict[str, Any], permissions: int | None = None) -> dict[str, Any]:
        member: dict[str, Any] = {
            "user": user,
            "nick": None,
            "avatar": None,
            "banner": None,
            "roles": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if permissions is not None:
            member["permissions"] = str(permissions)
        return member

    @staticmethod
    def channel(channel_id: str = CHANNEL_ID, guild_id: str = GUILD_ID) -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": guild_id,
            "name": "news" if channel_id == CHANNEL_ID else f"channel-{channel_id[-4:]}",
            "position": 0,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "permission_overwrites": [],
            "flags": 0,
        }

    def guild(self) -> dict[str, Any]:
        """The GUILD_CREATE payload of the one guild."""
        return {
            "id": GUILD_ID,
            "name": "Briefbot Test Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": USER_ID,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": CHANNEL_ID,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "application_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "widget_enabled": False,
            "features": [],
            "roles": [
                {
                    "id": GUILD_ID,  # @everyone shares the guild's id
                    "name": "@everyone",
                    "color": 0,
                    "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                    "hoist": False,
                    "icon": None,
                    "unicode_emoji": None,
                    "position": 0,
                    "permissions": str(EVERYONE_PERMISSIONS),
                    "managed": False,
                    "mentionable": False,
                    "flags": 0,
                },
                *(self.role(r) for r in (NEWS_ROLE_ID, QUIET_ROLE_ID)),
            ],
            "emojis": [],
            "stickers": [],
            "soundboard_sounds": [],
            "channels": [self.channel()],
            "threads": [],
            "members": [self._member(self.bot_user())],
            "member_count": 2,
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "large": False,
            "unavailable": False,
            "lazy": True,
            "incidents_data": None,
        }

    def _message(
        self,
        channel_id: str,
        payload: dict[str, Any],
        *,
        type_: int = 0,
        flags: int = 0,
        webhook: bool = False,
        files: list[tuple[str, int]] | None = None,
    ) -> dict[str, Any]:
        message_id = self._snowflake()
        attachments = [
            {
                "id": self._snowflake(),
                "filename": name,
                "size": size,
                "url": f"http://127.0.0.1:{self.port}/attachments/{channel_id}/{message_id}/{name}",
                "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{message_id}/{name}",
            }
            for name, size in files or []
        ]
        message: dict[str, Any] = {
            "id": message_id,
            "channel_id": channel_id,
            "type": type_,
            "content": payload.get("content") or "",
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "attachments": attachments,
            "author": self.bot_user(),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(payload.get("tts", False)),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": flags | (int(payload.get("flags") or 0) & _KEPT_MESSAGE_FLAGS),
        }
        if webhook:
            message["webhook_id"] = APPLICATION_ID
            message["application_id"] = APPLICATION_ID
        return message

    @staticmethod
    def _edit(message: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
        for key in ("content", "embeds", "components"):
            if key in payload:
                message[key] = payload[key] if payload[key] is not None else message[key]
        if "attachments" in payload and payload["attachments"] is not None:
            keep = {str(a.get("id")) for a in payload["attachments"]}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
        message["flags"] = int(message.get("flags", 0)) & ~LOADING
        message["edited_timestamp"] = _now_iso()
        return message

    # -- application commands ---------------------------------------------------------------

    def _find_command(
        self, name: str, guild_id: str | None
    ) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
        parts = name.split()
        if not parts:
            raise ValueError("empty command name")
        scopes: list[str | None] = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self._commands.get(scope, []):
                if command["name"] == parts[0] and command.get("type", 1) == 1:
                    schema = command.get("options") or []
                    for part in parts[1:]:
                        sub = next(
                            (
                                o
                                for o in schema
                                if o["name"] == part
                                and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                            ),
                            None,
                        )
                        if sub is None:
                            raise LookupError(f"/{name}: no subcommand {part!r}")
                        schema = sub.get("options") or []
                    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in schema):
                        raise ValueError(f"/{name} has subcommands; name one of them")
                    return command, parts[1:], schema
        synced = {s: [c["name"] for c in cs] for s, cs in self._commands.items()}
        raise LookupError(f"/{parts[0]} was not synced for guild {guild_id}; synced: {synced}")

    @staticmethod
    def _typed(option: dict[str, Any], value: Any, label: str) -> Any:
        kind = option["type"]
        if kind == STRING:
            text = str(value)
            low, high = option.get("min_length", 0), option.get("max_length", 6000)
            if not low <= len(text) <= high:
                raise ValueError(f"{label}: length {len(text)} outside {low}..{high}")
            return text
        if kind in (INTEGER, NUMBER):
            if isinstance(value, bool):
                raise ValueError(f"{label}: a number is needed, not {value!r}")
            number: int | float = int(value) if kind == INTEGER else float(value)
            if kind == INTEGER and number != float(value):
                raise ValueError(f"{label}: {value!r} is not an integer")
            if "min_value" in option and number < option["min_value"]:
                raise ValueError(f"{label}: {number} below {option['min_value']}")
            if "max_value" in option and number > option["max_value"]:
                raise ValueError(f"{label}: {number} above {option['max_value']}")
            return number
        if kind == BOOLEAN:
            if isinstance(value, str):
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if kind == ROLE:
            return str(value)  # a role id; its object goes in data.resolved.roles
        raise NotImplementedError(f"{label}: option type {kind} is not supported by the fake")

    def _build_options(
        self,
        schema: list[dict[str, Any]],
        values: dict[str, Any],
        name: str,
        *,
        focused: str | None,
    ) -> list[dict[str, Any]]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise ValueError(f"/{name}: unknown options {sorted(unknown)}; has {sorted(by_name)}")
        built: list[dict[str, Any]] = []
        for option in schema:
            label = f"/{name} {option['name']}"
            if option["name"] not in values:
                if option.get("required") and focused is None:
                    raise ValueError(f"{label} is required")
                continue
            raw = values[option["name"]]
            if option["name"] == focused:
                if not option.get("autocomplete"):
                    raise ValueError(f"{label} does not have autocomplete")
                entry = {"name": option["name"], "type": option["type"], "value": str(raw)}
                built.append(entry | {"focused": True})
                continue
            value = self._typed(option, raw, label)
            choices = option.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise ValueError(f"{label}: {value!r} is not one of the choices")
            built.append({"name": option["name"], "type": option["type"], "value": value})
        return built

    async def _inject(
        self,
        interaction_type: int,
        command: dict[str, Any],
        path: list[str],
        options: list[dict[str, Any]],
        guild_id: str | None,
        channel_id: str,
        user_id: str,
    ) -> str:
        # Nest the options under the subcommand group / subcommand, innermost last.
        nested = options
        schema = command.get("options") or []
        chain = []
        for part in path:
            option = next(o for o in schema if o["name"] == part)
            chain.append(option)
            schema = option.get("options") or []
        for option in reversed(chain):
            nested = [{"name": option["name"], "type": option["type"], "options": nested}]
        data: dict[str, Any] = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": nested,
        }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        roles = [o["value"] for o in _flat(nested) if o.get("type") == ROLE]
        if roles:
            data["resolved"] = {"roles": {r: self.role(r) for r in roles}}
        return await self._interaction(interaction_type, data, guild_id, channel_id, user_id)

    async def _interaction(
        self,
        interaction_type: int,
        data: dict[str, Any],
        guild_id: str | None,
        channel_id: str,
        user_id: str,
        extra: dict[str, Any] | None = None,
        original: dict[str, Any] | None = None,
    ) -> str:
        interaction_id = self._snowflake()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        user = self.user(user_id)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": APPLICATION_ID,
            "type": interaction_type,
            "data": data,
            "token": token,
            "version": 1,
            "app_permissions": str(APP_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": channel_id,
        }
        if guild_id is not None:
            # A thread (started from a message) is sent as the thread channel, as Discord does.
            thread = getattr(self, "threads", {}).get(channel_id)
            channel = copy.deepcopy(thread) if thread else self.channel(channel_id, guild_id)
            channel["permissions"] = str(self.member_permissions)
            payload |= {
                "guild_id": guild_id,
                "guild": {"id": guild_id, "locale": "en-US", "features": []},
                "guild_locale": "en-US",
                "channel": channel,
                "member": self._member(user, self.member_permissions),
                "authorizing_integration_owners": {"0": guild_id},
                "context": 0,
            }
        else:
            payload |= {
                "channel": {"id": channel_id, "type": 1, "recipients": [user], "flags": 0},
                "user": user,
                "authorizing_integration_owners": {"0": user_id},
                "context": 1,
            }
        payload |= extra or {}
        interaction = _Interaction(
            interaction_id, token, interaction_type, channel_id, guild_id, time.monotonic()
        )
        interaction.original = original  # a component's message: what @original edits
        self._interactions[interaction_id] = interaction
        self._by_token[token] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    # -- REST -------------------------------------------------------------------------------

    def _add_routes(self) -> None:
        app = r"(?P<app>\d+)"
        hook = rf"/webhooks/{app}/(?P<token>[^/]+)"
        routes: list[tuple[str, str, _Handler, bool]] = [
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/applications/@me", self._get_application, True),
            ("GET", r"/oauth2/applications/@me", self._get_application, True),
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, True),
            ("GET", rf"/applications/{app}/commands", self._get_commands, True),
            ("PUT", rf"/applications/{app}/commands", self._put_commands, True),
            (
                "GET",
                rf"/applications/{app}/guilds/(?P<guild>\d+)/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                rf"/applications/{app}/guilds/(?P<guild>\d+)/commands",
                self._put_commands,
                True,
            ),
            ("GET", rf"/applications/{app}/commands/(?P<cmd>\d+)", self._get_command, True),
            (
                "GET",
                rf"/applications/{app}/guilds/(?P<guild>\d+)/commands/(?P<cmd>\d+)",
                self._get_command,
                True,
            ),
            (
                "POST",
                r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback",
                self._callback,
                False,
            ),
            ("POST", hook, self._execute_webhook, False),
            ("GET", rf"{hook}/messages/(?P<mid>@original|\d+)", self._get_webhook_message, False),
            (
                "PATCH",
                rf"{hook}/messages/(?P<mid>@original|\d+)",
                self._edit_webhook_message,
                False,
            ),
            (
                "DELETE",
                rf"{hook}/messages/(?P<mid>@original|\d+)",
                self._delete_webhook_message,
                False,
            ),
            ("GET", r"/channels/(?P<channel>\d+)", self._get_channel, True),
            ("POST", r"/channels/(?P<channel>\d+)/messages", self._create_message, True),
            ("GET", r"/channels/(?P<channel>\d+)/messages", self._get_messages, True),
            (
                "POST",
                r"/channels/(?P<channel>\d+)/messages/(?P<mid>\d+)/threads",
                self._start_thread,
                True,
            ),
        ]
        self._routes = [(m, re.compile(f"^{p}$"), h, auth) for m, p, h, auth in routes]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method == method and failure.path.search(path):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                return failure
        return None

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, int]]]:
        files: list[tuple[str, int]] = []
        if not request.can_read_body:
            return None, files
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(data)
                elif part.filename is not None:
                    files.append((part.filename, len(data)))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        method = request.method
        path = "/" + request.match_info["path"]
        query = dict(request.query)
        payload, files = await self._read_body(request)
        file_names = tuple(name for name, _ in files)
        headers: dict[str, str] = {}
        try:
            if request.match_info["version"] != str(API_VERSION):
                raise _not_found()
            self._check_limits(request, method, path, headers)
            failure = self._take_failure(method, path)
            if failure is not None:
                body: dict[str, Any] = {"code": failure.code, "message": failure.message}
                if failure.status == 429:
                    body |= {"retry_after": failure.retry_after, "global": False}
                    headers |= {"Via": "1.1 google", "Retry-After": str(failure.retry_after)}
                raise _Reply(failure.status, body, headers)
            for route_method, pattern, handler, auth in self._routes:
                match = pattern.match(path)
                if match is None or route_method != method:
                    continue
                if auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise _error(401, 0, "401: Unauthorized")
                status, body = await handler(_Request(method, path, query, payload, files, match))
                break
            else:
                raise _not_found()
        except _Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        via = request.match_info.get("via", "")
        await self._record(Call(method, path, query, payload, status, file_names, via=via))
        if status == 204 or body is None:
            return web.Response(status=status, headers=headers)
        # Exactly "application/json", no charset: discord.py compares the header with ==.
        data = json.dumps(body).encode()
        return web.Response(body=data, status=status, headers=headers, content_type=_JSON)

    def _check_limits(
        self, request: web.Request, method: str, path: str, headers: dict[str, str]
    ) -> None:
        """Raise Discord's 429 if this request is over the global or its route's limit; add
        the route bucket's X-RateLimit headers to `headers` (as Discord does on every answer),
        so discord.py can pace itself before it is refused."""
        if self.limits is None:
            return
        who = request.headers.get("Authorization", "")
        if wait := self.limits.check("global", who):
            raise _Reply(
                429,
                {"message": "You are being rate limited.", "retry_after": wait, "global": True},
                {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, int(wait + 0.999))),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                },
            )
        route = _MESSAGES.match(path)
        if method != "POST" or route is None or "channel_messages" not in self.limits.buckets:
            return
        key = f"{who} {route['channel']}"
        wait = self.limits.check("channel_messages", key)
        bucket = self.limits.buckets["channel_messages"]
        left, full_in = bucket.remaining(key)
        headers |= {
            "X-RateLimit-Limit": str(bucket.burst),
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset-After": f"{full_in:.3f}",
            "X-RateLimit-Reset": f"{time.time() + full_in:.3f}",
            "X-RateLimit-Bucket": "fake-channel-messages",
        }
        if wait:
            raise _Reply(
                429,
                {"message": "You are being rate limited.", "retry_after": wait, "global": False},
                headers
                | {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, int(wait + 0.999))),
                    "X-RateLimit-Scope": "user",
                },
            )

    async def _get_me(self, req: _Request) -> tuple[int, Any]:
        return 200, self.bot_user()

    async def _get_application(self, req: _Request) -> tuple[int, Any]:
        return 200, {
            "id": APPLICATION_ID,
            "name": "briefbot",
            "icon": None,
            "description": "Short, sourced news briefings.",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self.user(USER_ID),
            "team": None,
            "bot": self.bot_user(),
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }

    async def _get_gateway(self, req: _Request) -> tuple[int, Any]:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, req: _Request) -> tuple[int, Any]:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    def _scope(self, req: _Request) -> str | None:
        if req.match["app"] != APPLICATION_ID:
            raise _error(403, 50001, "Missing Access")
        guild = req.match.groupdict().get("guild")
        if guild is not None and guild != GUILD_ID:
            raise _error(403, 50001, "Missing Access")
        return guild

    async def _get_commands(self, req: _Request) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._commands.get(self._scope(req), []))

    async def _get_command(self, req: _Request) -> tuple[int, Any]:
        for command in self._commands.get(self._scope(req), []):
            if command["id"] == req.match["cmd"]:
                return 200, copy.deepcopy(command)
        raise _error(404, 10063, "Unknown application command")

    async def _put_commands(self, req: _Request) -> tuple[int, Any]:
        scope = self._scope(req)
        sent = req.payload
        if not isinstance(sent, list) or not all(isinstance(c, dict) for c in sent):
            raise _error(400, 50035, "Invalid Form Body")
        errors = _validate_commands(sent)
        if errors:
            raise _Reply(400, {"code": 50035, "message": "Invalid Form Body", "errors": errors})
        stored = []
        for command in sent:
            kind = int(command.get("type", 1))
            key = (scope, command["name"], kind)
            command_id = self._command_ids.setdefault(key, self._snowflake())
            echo: dict[str, Any] = {
                "id": command_id,
                "application_id": APPLICATION_ID,
                "version": self._snowflake(),
                "type": kind,
                "name": command["name"],
                "name_localizations": command.get("name_localizations"),
                "description": command.get("description", ""),
                "description_localizations": command.get("description_localizations"),
                "default_member_permissions": command.get("default_member_permissions"),
                "nsfw": bool(command.get("nsfw", False)),
            }
            if command.get("options"):
                echo["options"] = copy.deepcopy(command["options"])
            if scope is not None:
                echo["guild_id"] = scope
            else:
                echo["contexts"] = command.get("contexts")
                echo["integration_types"] = command.get("integration_types") or [0]
                echo["dm_permission"] = command.get("dm_permission", True)
            stored.append(echo)
        self._commands[scope] = stored
        self._last_sync = copy.deepcopy(sent)
        return 200, copy.deepcopy(stored)

    def _interaction_for_hook(self, req: _Request) -> _Interaction:
        interaction = self._by_token.get(req.match["token"])
        if req.match["app"] != APPLICATION_ID or interaction is None:
            raise _error(404, 10015, "Unknown Webhook")
        if not interaction.acknowledged:
            raise _error(404, 10015, "Unknown Webhook")
        return interaction

    async def _callback(self, req: _Request) -> tuple[int, Any]:
        interaction = self._interactions.get(req.match["iid"])
        if interaction is None or interaction.token != req.match["token"]:
            raise _error(404, 10062, "Unknown interaction")
        if interaction.acknowledged:
            raise _error(400, 40060, "Interaction has already been acknowledged.")
        if (
            self.callback_deadline is not None
            and time.monotonic() - interaction.created > self.callback_deadline
        ):
            raise _error(404, 10062, "Unknown interaction")
        payload = req.payload if isinstance(req.payload, dict) else {}
        kind = payload.get("type")
        if kind not in _ALLOWED_CALLBACKS[interaction.type]:
            raise _error(400, 50035, "Invalid Form Body")
        data = payload.get("data") or {}
        interaction.acknowledged = True
        message: dict[str, Any] | None = None
        if kind in (CALLBACK_CHANNEL_MESSAGE, CALLBACK_DEFERRED_CHANNEL_MESSAGE):
            loading = LOADING if kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE else 0
            message = self._message(
                interaction.channel_id, data, type_=20, flags=loading, webhook=True, files=req.files
            )
            if kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE:
                message["content"], message["embeds"] = "", []
            interaction.original = message
        if kind == CALLBACK_UPDATE_MESSAGE and interaction.original is not None:
            self._edit(interaction.original, data)
        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return 204, None
        answer: dict[str, Any] = {"id": interaction.id, "type": interaction.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            answer |= {
                "response_message_id": message["id"],
                "response_message_loading": kind == CALLBACK_DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(message["flags"] & EPHEMERAL),
            }
            resource["message"] = copy.deepcopy(message)
        return 200, {"interaction": answer, "resource": resource}

    async def _execute_webhook(self, req: _Request) -> tuple[int, Any]:
        interaction = self._interaction_for_hook(req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        if not _has_body(payload, req.files):
            raise _error(400, 50006, "Cannot send an empty message")
        message = self._message(interaction.channel_id, payload, webhook=True, files=req.files)
        interaction.followups[message["id"]] = message
        if req.query.get("wait", "").lower() not in ("1", "true"):
            return 204, None
        return 200, copy.deepcopy(message)

    def _hook_message(self, req: _Request) -> tuple[_Interaction, dict[str, Any]]:
        interaction = self._interaction_for_hook(req)
        mid = req.match["mid"]
        message = interaction.original if mid == "@original" else interaction.followups.get(mid)
        if message is None and interaction.original and interaction.original["id"] == mid:
            message = interaction.original
        if message is None:
            raise _error(404, 10008, "Unknown Message")
        return interaction, message

    async def _get_webhook_message(self, req: _Request) -> tuple[int, Any]:
        return 200, copy.deepcopy(self._hook_message(req)[1])

    async def _edit_webhook_message(self, req: _Request) -> tuple[int, Any]:
        _, message = self._hook_message(req)
        payload = req.payload if isinstance(req.payload, dict) else {}
        return 200, copy.deepcopy(self._edit(message, payload))

    async def _delete_webhook_message(self, req: _Request) -> tuple[int, Any]:
        interaction, message = self._hook_message(req)
        if interaction.original is message:
            interaction.original = None
        interaction.followups.pop(message["id"], None)
        return 204, None

    def _known_channel(self, channel_id: str) -> None:
        if self.any_channel:
            return
        known = {CHANNEL_ID} | {i.channel_id for i in self._interactions.values()}
        known |= set(self.threads)
        if channel_id not in known:
            raise _error(404, 10003, "Unknown Channel")

    async def _get_channel(self, req: _Request) -> tuple[int, Any]:
        self._known_channel(req.match["channel"])
        return 200, self.channel(req.match["channel"])

    async def _create_message(self, req: _Request) -> tuple[int, Any]:
        channel_id = req.match["channel"]
        self._known_channel(channel_id)
        payload = req.payload if isinstance(req.payload, dict) else {}
        if not _has_body(payload, req.files):
            raise _error(400, 50006, "Cannot send an empty message")
        nonce = payload.get("nonce")
        key = (channel_id, BOT_USER_ID, str(nonce))
        if nonce is not None and payload.get("enforce_nonce"):
            seen = self._nonces.get(key)
            if seen is not None and self.now() - seen[0] <= NONCE_WINDOW:
                return 200, copy.deepcopy(seen[1] | {"nonce": nonce})
        message = self._message(channel_id, payload, files=req.files)
        message["guild_id"] = GUILD_ID
        self.channel_messages.setdefault(channel_id, []).append(message)
        if nonce is not None:
            self._nonces[key] = (self.now(), message)
        return 200, copy.deepcopy(message | ({"nonce": nonce} if nonce is not None else {}))

    async def _get_messages(self, req: _Request) -> tuple[int, Any]:
        channel_id = req.match["channel"]
        self._known_channel(channel_id)
        try:
            limit = int(req.query.get("limit", 50))
        except ValueError:
            limit = 0
        if not 1 <= limit <= 100:
            raise _error(400, 50035, "Invalid Form Body")
        stored = sorted(self.channel_messages.get(channel_id, []), key=lambda m: int(m["id"]))
        if "after" in req.query:
            chosen = [m for m in stored if int(m["id"]) > int(req.query["after"])][:limit]
        elif "before" in req.query:
            chosen = [m for m in stored if int(m["id"]) < int(req.query["before"])][-limit:]
        elif "around" in req.query:
            middle = int(req.query["around"])
            older = [m for m in stored if int(m["id"]) <= middle][-(limit // 2 + limit % 2) :]
            newer = [m for m in stored if int(m["id"]) > middle][: limit // 2]
            chosen = older + newer
        else:
            chosen = stored[-limit:]
        return 200, copy.deepcopy(list(reversed(chosen)))

    # -- gateway ----------------------------------------------------------------------------

    async def _write(self, conn: _Connection, frame: dict[str, Any]) -> bool:
        """Send one frame; False if the socket is gone (the frame then waits for RESUME)."""
        async with conn.write_lock:
            if conn.ws.closed:
                return False
            try:
                await conn.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                return False
            return True

    async def _emit(self, event: str, data: dict[str, Any], to: _Connection | None) -> int:
        """Number, buffer and send one dispatch.  Caller holds the session lock."""
        self._seq += 1
        frame = {"op": 0, "t": event, "s": self._seq, "d": data}
        self._buffer.append(frame)
        self.dispatches.append(frame)
        if to is not None:
            await self._write(to, frame)
        return self._seq

    def _in_background(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close(self, conn: _Connection, code: int, reason: str) -> None:
        conn.closed_by_fake = True
        await conn.ws.close(code=code, message=reason.encode())

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0, compress=False)
        await ws.prepare(request)
        conn = _Connection(ws, dict(request.query))
        self._open.add(conn)
        self.connections += 1
        await self._notify()
        try:
            hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake-gateway"]}
            await self._write(conn, {"op": 10, "d": hello})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await self._close(conn, 4002, "Decode error.")
                        break
                    await self._on_frame(conn, frame)
                elif msg.type is WSMsgType.BINARY:
                    await self._close(conn, 4002, "Decode error.")
                    break
        finally:
            self._open.discard(conn)
            async with self._session_lock:
                if self._current is conn:
                    self._current = None
                for shard_id, shard_conn in list(self.shard_connections.items()):
                    if shard_conn is conn:
                        del self.shard_connections[shard_id]
                # A deliberate close (1000/1001) by the client ends the session, as on Discord.
                by_client = not conn.closed_by_fake and ws.close_code in (1000, 1001)
                if by_client and self._current is None and conn.session_id == self._session_id:
                    self._session_id = None
            await self._notify()
        return ws

    async def _on_frame(self, conn: _Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == 1:
            self.heartbeats += 1
            await self._write(conn, {"op": 11})
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            await self._resume(conn, data or {})
        elif op in (3, 4):  # presence / voice state updates: accepted, nothing to answer
            if conn.session_id is None:
                await self._close(conn, 4003, "Not authenticated.")
        elif op == 8:
            await self._request_members(conn, data or {})
        else:
            await self._close(conn, 4001, "Unknown opcode.")

    async def _identify(self, conn: _Connection, data: dict[str, Any]) -> None:
        if conn.session_id is not None:
            await self._close(conn, 4005, "Already authenticated.")
            return
        if data.get("token") != self.token:
            await self._close(conn, 4004, "Authentication failed.")
            return
        self.identify_payloads.append(data)
        shard = data.get("shard")
        if isinstance(shard, list) and len(shard) == 2 and shard[1] > 1:
            await self._identify_shard(conn, data, int(shard[0]), int(shard[1]))
            return
        async with self._session_lock:
            if self._current is not None and self._current is not conn:
                self._in_background(self._close(self._current, 4000, "New session."))
                self._current = None
            self._session_id = conn.session_id = secrets.token_hex(16)
            self._seq = 0
            self._buffer = []
            ready: dict[str, Any] = {
                "v": API_VERSION,
                "user": self.bot_user(),
                "user_settings": {},
                "guilds": [{"id": GUILD_ID, "unavailable": True}],
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "session_id": self._session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": APPLICATION_ID, "flags": 0},
                "geo_ordered_rtc_regions": [],
                "auth": {},
                "_trace": ["fake-gateway"],
            }
            if "shard" in data:
                ready["shard"] = data["shard"]
            await self._emit("READY", ready, conn)
            await self._emit("GUILD_CREATE", self.guild(), conn)
            self._current = conn
            self.identifies += 1
        await self._notify()

    async def _identify_shard(
        self, conn: _Connection, data: dict[str, Any], shard_id: int, shard_count: int
    ) -> None:
        """IDENTIFY of one shard of several: a session of its own beside the other shards'
        (a second IDENTIFY of the same shard ends the first), READY naming the shard, and
        GUILD_CREATE only if the fake guild is this shard's.  Dispatches about a guild go
        to its shard (`shard_of`).  (RESUME of a shard is not modelled.)"""
        async with self._session_lock:
            old = self.shard_connections.get(shard_id)
            if old is not None and old is not conn:
                self._in_background(self._close(old, 4000, "New session."))
            conn.session_id = secrets.token_hex(16)
            self.shard_count = shard_count
            mine = shard_of(GUILD_ID, shard_count) == shard_id
            ready: dict[str, Any] = {
                "v": API_VERSION,
                "user": self.bot_user(),
                "guilds": [{"id": GUILD_ID, "unavailable": True}] if mine else [],
                "private_channels": [],
                "session_id": conn.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": APPLICATION_ID, "flags": 0},
                "shard": [shard_id, shard_count],
                "_trace": ["fake-gateway"],
            }
            await self._emit("READY", ready, conn)
            if mine:
                await self._emit("GUILD_CREATE", self.guild(), conn)
            self.shard_connections[shard_id] = conn
            self.identifies += 1
        await self._notify()

    async def _resume(self, conn: _Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await self._close(conn, 4004, "Authentication failed.")
            return
        async with self._session_lock:
            if self._session_id is None or data.get("session_id") != self._session_id:
                self.invalid_sessions += 1
                await self._write(conn, {"op": 9, "d": False})
            else:
                if self._current is not None and self._current is not conn:
                    self._in_background(self._close(self._current, 4000, "Resumed elsewhere."))
                conn.session_id = self._session_id
                seen = int(data.get("seq") or 0)
                for frame in self._buffer:
                    if frame["s"] > seen:
                        await self._write(conn, frame)
                await self._emit("RESUMED", {"_trace": ["fake-gateway"]}, conn)
                self._current = conn
                self.resumes += 1
        await self._notify()

    async def _request_members(self, conn: _Connection, data: dict[str, Any]) -> None:
        chunk: dict[str, Any] = {
            "guild_id": data.get("guild_id", GUILD_ID),
            "members": [self._member(self.bot_user())],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if "nonce" in data:
            chunk["nonce"] = data["nonce"]
        async with self._session_lock:
            await self._emit("GUILD_MEMBERS_CHUNK", chunk, conn)
        await self._notify()


def shard_of(guild_id: str, shard_count: int) -> int:
    """The shard a guild's events go to: (guild_id >> 22) % shard_count, Discord's rule
    (https://discord.com/developers/docs/events/gateway#sharding)."""
    return (int(guild_id) >> 22) % shard_count


_MESSAGES = re.compile(r"^/channels/(?P<channel>\d+)/messages$")


def discord_limits() -> Limiter:
    """Discord's limits per bot token: 50 requests a second in all, and 5 messages per 5
    seconds per channel (POST /channels/{id}/messages; the figure Discord's headers show)."""
    return Limiter({"global": Bucket(50.0, 50), "channel_messages": Bucket(1.0, 5)})


def _has_body(payload: dict[str, Any], files: list[tuple[str, int]]) -> bool:
    keys = ("content", "embeds", "components", "sticker_ids", "poll")
    return bool(files) or any(payload.get(key) for key in keys)


def _validate_commands(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's checks on a bulk overwrite, as an ``errors`` tree ({} if none)."""
    errors: dict[str, Any] = {}

    def put(path: list[str], code: str, message: str) -> None:
        node = errors
        for key in path:
            node = node.setdefault(key, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def check_name(path: list[str], name: Any, lower: bool) -> None:
        if not isinstance(name, str) or not _NAME.match(name) or (lower and name != name.lower()):
            put([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")

    def check_description(path: list[str], text: Any) -> None:
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            put(
                [*path, "description"],
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            )

    def check_options(path: list[str], options: list[dict[str, Any]]) -> None:
        if len(options) > 25:
            put(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
        seen: set[str] = set()
        optional_seen = False
        for index, option in enumerate(options):
            here = [*path, str(index)]
            check_name(here, option.get("name"), True)
            check_description(here, option.get("description"))
            if option.get("name") in seen:
                put(here, "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Duplicate name")
            seen.add(option.get("name", ""))
            if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
                check_options([*here, "options"], option.get("options") or [])
                continue
            if option.get("required"):
                if optional_seen:
                    put(
                        here,
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
            else:
                optional_seen = True
            if len(option.get("choices") or []) > 25:
                put([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")

    names: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        path = [str(index)]
        kind = int(command.get("type", 1))
        check_name(path, command.get("name"), kind == 1)
        if kind == 1:
            check_description(path, command.get("description"))
            check_options([*path, "options"], command.get("options") or [])
        key = (str(command.get("name")), kind)
        if key in names:
            put(path, "APPLICATION_COMMANDS_DUPLICATE_NAME", f"Duplicate name {key[0]!r}")
        names.add(key)
    return errors


__all__ = [
    "APPLICATION_ID",
    "APP_PERMISSIONS",
    "BOT_USER_ID",
    "CALLBACK_AUTOCOMPLETE_RESULT",
    "CALLBACK_CHANNEL_MESSAGE",
    "CALLBACK_DEFERRED_CHANNEL_MESSAGE",
    "CHANNEL_ID",
    "EPHEMERAL",
    "GUILD_ID",
    "LOADING",
    "TOKEN",
    "USER_ID",
    "Call",
    "FakeDiscord",
]
