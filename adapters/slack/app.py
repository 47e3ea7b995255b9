"""The Slack adapter: a slack-bolt `AsyncApp` that hands commands to the core and posts replies.

Slack allows 3 seconds for an answer, so every handler acks first and then composes off the
event loop (`asyncio.to_thread`): twenty concurrent `/brief`s all get their ack at once.
Briefings go to the channel; errors, help and article lists go only to the person who asked.
Every Web API call and `response_url` post retries HTTP 429 after `Retry-After` and
connection errors with backoff (slack_sdk's retry handlers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import buttons
from bot.app import Core
from bot.commands import ArticlesReply, BriefingReply, ErrorReply, Reply, answer, is_public
from bot.config import Settings
from bot.digests import Context, DigestMark, Landed, Scheduler
from bot.errors import UserError
from bot.models import Subscription

from . import blocks
from .blocks import Message, error_message, render

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMANDS = {
    "/brief": "brief",
    "/summarize": "summarize",
    "/articles": "articles",
    "/digest": "digest",
    "/feeds": "feeds",
    "/briefbot": "",
}
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Posting errors that mean "the bot is not in this conversation": the response_url still works.
_NOT_HERE = {"not_in_channel", "channel_not_found", "is_archived"}


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retry 429s after Retry-After, and dropped connections with backoff."""
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
    ]


class _QuietTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN from the environment is unused when a client is given;
    we give the client that very token (with our base URL and retries), so say nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that retries 429s and dropped connections."""
    return AsyncWebClient(
        token=settings.slack_bot_token or None,  # None in OAuth mode: each workspace's token
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("slack_sdk.web"),
    )


def build_app(
    core: Core,
    settings: Settings,
    *,
    socket_mode: bool = False,
    scheduler: Scheduler | None = None,
) -> AsyncApp:
    """Create the Bolt app with our handlers, pointed at `settings.slack_api_url`."""
    bolt_log = logging.getLogger("slack_bolt.AsyncApp")
    if not any(isinstance(f, _QuietTokenNotice) for f in bolt_log.filters):
        bolt_log.addFilter(_QuietTokenNotice())
    from . import home, oauth

    client = web_client(settings)
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        # Socket Mode requests arrive over our own authenticated connection: nothing to sign.
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        # OAuth mode (any workspace): installations in our database, not one token.
        **oauth.app_options(core, settings),
    )
    register_commands(app, core, scheduler)
    # Before the catch-all `message` listener of register_events: DMs to the bot are commands.
    home.register(app, core, scheduler)
    oauth.register(app, core, scheduler)
    register_events(app, core, scheduler)
    register_actions(app, core, scheduler)
    return app


def register_commands(app: AsyncApp, core: Core, scheduler: Scheduler | None) -> None:
    """The slash commands (each answered with the token of the workspace it came from)."""
    for command, verb in COMMANDS.items():
        app.command(command)(_command_handler(core, verb, scheduler))


def register_events(app: AsyncApp, core: Core, scheduler: Scheduler | None) -> None:
    """Mentions (answered in their thread), other messages (ignored), and errors (logged)."""

    @app.event("app_mention")
    async def on_mention(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        # `client` carries the token of the workspace the event came from (Bolt's authorize).
        poster = Poster(client)
        if event.get("bot_id"):
            return
        text = slack_text(_MENTION.sub(" ", event.get("text", ""))).strip()
        # The workspace is the envelope's team (where the app is installed), as for commands.
        team = body.get("team_id") or event.get("team", "")
        context = _context(team, event["channel"], event.get("user", ""))
        reply = await compose(core, text or "help", context, scheduler)
        await poster.deliver(
            reply,
            Where(
                event["channel"],
                event.get("user", ""),
                thread_ts=event.get("thread_ts") or event.get("ts"),
            ),
        )

    @app.event("message")
    async def ignore_messages() -> None:
        """Messages in channels are not commands; acknowledge and drop them."""

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack handler failed: %s (%s)", type(error).__name__, error)


_ACTION = re.compile(r"^bb_")


def register_actions(app: AsyncApp, core: Core, scheduler: Scheduler | None) -> None:
    """Buttons and menus (`block_actions`): acked at once, then answered off the loop.

    More and Sources post in the briefing's thread; Unsubscribe (same rule as `digest
    unsubscribe`) posts a notice with Undo; Undo updates that notice (`chat.update`); the
    menus post a briefing in the channel.  All state is in the value or the database
    (`bot.buttons`), so a press after a restart works.
    """

    @app.action(_ACTION)
    async def on_action(
        ack: Callable[[], Awaitable[None]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        poster = Poster(client)  # the token of the workspace the press came from
        action = (body.get("actions") or [{}])[0]
        channel = str((body.get("channel") or {}).get("id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        team = str(
            (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""
        )
        message = body.get("message") or {}
        context = _context(team, channel, user)
        thread = str(message.get("thread_ts") or message.get("ts") or "") or None
        where = Where(channel, user, response_url=body.get("response_url"), thread_ts=thread)
        action_id = str(action.get("action_id") or "")
        reply = await asyncio.to_thread(_press, core, context, action, action_id)
        if action_id in {blocks.BULLETS, blocks.WINDOW}:
            where = Where(channel, user, response_url=body.get("response_url"))
        if action_id == blocks.UNSUBSCRIBE and scheduler is not None:
            scheduler.poke()
        if action_id == blocks.UNDO and not isinstance(reply, ErrorReply) and message.get("ts"):
            if scheduler is not None:
                scheduler.poke()
            try:
                await poster.client.chat_update(
                    channel=channel, ts=str(message["ts"]), **render(reply)
                )
                return
            except SlackApiError as exc:
                log.warning("Could not update the undone notice: %s", describe_failure(exc))
        await poster.deliver(reply, where)


def _press(core: Core, context: Context, action: dict[str, Any], action_id: str) -> Reply:
    """What a press does, as a core reply (user mistakes as an ErrorReply)."""
    value = str(action.get("value") or "")
    try:
        if action_id == blocks.MORE:
            return buttons.more(core, context, value)  # type: ignore[return-value]
        if action_id == blocks.SOURCES:
            return buttons.sources(core, context, value)  # type: ignore[return-value]
        if action_id == blocks.UNSUBSCRIBE and value.isdigit():
            return buttons.unsubscribe(core, context, int(value))  # type: ignore[return-value]
        if action_id == blocks.UNDO:
            sub, _, until = value.partition(":")
            if sub.isdigit() and until.isdigit():
                moment = datetime.fromtimestamp(int(until), UTC)
                return buttons.undo(core, context, int(sub), moment)  # type: ignore[return-value]
        if action_id in {blocks.BULLETS, blocks.WINDOW}:
            chosen = str((action.get("selected_option") or {}).get("value") or "")
            topic = str(action.get("block_id") or "").removeprefix(blocks.PICK_BLOCK)
            return answer(core, pick_command(topic, chosen), context)
    except UserError as exc:
        return ErrorReply(str(exc))
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        log.exception("Button press failed (error %s)", error_id)
        return ErrorReply(
            f"Sorry, something went wrong on our side (error {error_id}). Please try again."
        )
    return ErrorReply("I don't know that button.")


def pick_command(topic: str, chosen: str) -> str:
    """The `brief` command a menu choice means: `5` bullets or a window such as `7d`."""
    import shlex

    words = ["brief"]
    if topic:
        words.append(shlex.quote(topic))
    if chosen.isdigit() or chosen in blocks.WINDOW_CHOICES:
        words.append(chosen)
    return " ".join(words)


def slack_text(text: str) -> str:
    """Undo Slack's escaping of `&`, `<` and `>` in the text it sends (`&amp;`, `&lt;`,
    `&gt;`; api.slack.com/reference/surfaces/formatting#escaping), so a link such as
    `<https://example.com/?a=1&amp;b=2|label>` reaches the core as the URL that was typed.

    Link wrapping itself (`<url|label>`) is unwrapped by the core (`bot.words`).
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _context(team: str, channel: str, user: str) -> Context:
    # On Slack any channel member may manage its digests; replies name who did it.
    return Context(platform="slack", workspace=team, channel=channel, user=user, can_manage=True)


def _command_handler(
    core: Core, verb: str, scheduler: Scheduler | None
) -> Callable[..., Awaitable[None]]:
    async def handle(
        ack: Callable[[], Awaitable[None]], command: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        poster = Poster(client)  # the token of the workspace the command came from
        text = f"{verb} {slack_text(command.get('text', ''))}".strip()
        context = _context(
            command.get("team_id", ""), command.get("channel_id", ""), command.get("user_id", "")
        )
        reply = await compose(core, text, context, scheduler)
        await poster.deliver(
            reply,
            Where(
                command.get("channel_id", ""),
                command.get("user_id", ""),
                response_url=command.get("response_url"),
            ),
        )

    return handle


async def compose(
    core: Core, text: str, context: Context, scheduler: Scheduler | None = None
) -> Reply:
    """Parse and answer a command on a worker thread, so the event loop keeps acking."""
    reply = await asyncio.to_thread(answer, core, text, context)
    verb = (text.split(None, 1) or [""])[0].lower().lstrip("/")  # any space, as the core reads
    if scheduler is not None and verb in {"digest", "digests", "feed", "feeds"}:
        scheduler.poke()  # subscriptions or feeds may have changed: recompute wake-ups
    return reply


# Digests carry Slack message metadata naming their ledger row, so a retry can find them.
DIGEST_EVENT = "briefbot_digest"
HISTORY_PAGE = 200  # messages per conversations.history page
HISTORY_PAGES = 10  # read back at most this many pages (2,000 messages) per check
# Web API errors that mean the token itself is refused (https://api.slack.com/methods/auth.test):
# not the channel's fault, so a read-back that meets one fails the attempt (retried later).
TOKEN_REFUSED = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# conversations.history errors that pass (the read is retried with the digest), as opposed to
# refusals such as missing_scope or not_in_channel (the channel cannot be read: degrade).
_PASSING = {
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
}


def digest_metadata(mark: DigestMark) -> dict[str, Any]:
    """The `metadata` a digest is posted with: {"event_type", "event_payload"} as Slack
    defines message metadata (docs.slack.dev/messaging/message-metadata)."""
    return {
        "event_type": DIGEST_EVENT,
        "event_payload": {
            "delivery": mark.delivery_id,
            "subscription": mark.subscription_id,
            "local_date": mark.local_date,
        },
    }


def _same_mark(found: Any, wanted: dict[str, Any]) -> bool:
    """Metadata read back names the same delivery (values compared as text, whatever JSON
    type they come back as)."""
    if not isinstance(found, dict) or found.get("event_type") != wanted["event_type"]:
        return False
    payload = found.get("event_payload")
    if not isinstance(payload, dict):
        return False
    return all(str(payload.get(k)) == str(v) for k, v in wanted["event_payload"].items())


# Slack's chat.postMessage allows about one message per second per channel (short bursts
# tolerated, none promised: docs.slack.dev/apis/web-api/rate-limits, "Posting messages").
POST_INTERVAL = 1.0


class ChannelPacer:
    """Spaces one process's posts to each channel: a post starts `interval` seconds after
    the previous one to that channel was answered, so two digests due in one channel (or a
    threaded digest's line and its thread) are not refused with a 429 first.  Several
    processes posting to one channel still may be: those 429s are waited out with
    Retry-After by the client's retry handler."""

    def __init__(self, interval: float = POST_INTERVAL) -> None:
        self.interval = interval
        self._free_at: dict[str, float] = {}  # channel -> loop time its next post may start
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def slot(self, channel: str) -> AsyncIterator[None]:
        """Hold `channel` for one post: wait for the interval, post, then start it again."""
        loop = asyncio.get_running_loop()
        if len(self._free_at) > 10_000:  # forget channels whose moment has passed
            now = loop.time()
            self._free_at = {c: t for c, t in self._free_at.items() if t > now}
            self._locks = {c: lock for c, lock in self._locks.items() if lock.locked()}
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            wait = self._free_at.get(channel, 0.0) - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._free_at[channel] = loop.time() + self.interval


class DigestPoster:
    """Posts scheduled digests with chat.postMessage (no Socket Mode or HTTP server needed),
    each carrying `digest_metadata`, and finds an earlier attempt's post by reading it back."""

    def __init__(self, settings: Settings) -> None:
        # Posting retries 429s (Slack took nothing) but not dropped connections: Slack may
        # have taken the post, and a blind re-send could show it twice.  The next attempt
        # reads the channel back first instead.  Reading back retries both.
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)],
            logger=logging.getLogger("slack_sdk.web"),
        )
        self.reader = web_client(settings)
        self._warned: set[tuple[str, str]] = set()  # (channel, error) already warned about
        self.pacer = ChannelPacer()

    async def post(self, subscription: Subscription, reply: Reply, mark: DigestMark) -> str:
        """Post to the subscription's channel with the mark as metadata; return the ts.

        A digest with `threads` posts a short line (title, count, buttons) with the mark,
        then the stories with their sources in that line's thread."""
        if isinstance(reply, BriefingReply) and reply.thread and reply.briefing.bullets:
            top = {**blocks.thread_head(reply), "metadata": digest_metadata(mark)}
            async with self.pacer.slot(subscription.channel):
                ts = await post_message(self.client, subscription.channel, top)
            body = render(BriefingReply(reply.briefing))
            try:
                async with self.pacer.slot(subscription.channel):
                    await post_message(self.client, subscription.channel, body, thread_ts=ts)
            except SlackApiError as exc:  # the line is posted: never repeated for its thread
                log.error(
                    "Digest %s: thread post failed: %s", subscription.id, describe_failure(exc)
                )
            return ts
        message = {**render(reply), "metadata": digest_metadata(mark)}
        async with self.pacer.slot(subscription.channel):
            return await post_message(self.client, subscription.channel, message)

    def describe(self, exc: Exception) -> str:
        """A failed post for the ledger (`bot.digests.failure_detail`): Slack's error code
        (`invalid_auth`, `channel_not_found`), not slack_sdk's message with the URL."""
        return describe_failure(exc)

    async def landed(self, subscription: Subscription, mark: DigestMark) -> Landed | None:
        """The channel's message carrying this mark's metadata, posted after `mark.since`.

        Reads conversations.history (needs channels:history / groups:history) newest first,
        at most HISTORY_PAGES pages.  A refusal (missing_scope, not_in_channel, …) logs one
        warning per channel and error and returns None, so the digest is posted again; a
        passing failure (rate limit after retries, 5xx, network) or a refused token
        (`TOKEN_REFUSED`: no scope would help) raises.
        """
        wanted = digest_metadata(mark)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            try:
                response = await self.reader.conversations_history(
                    channel=subscription.channel,
                    oldest=f"{mark.since.timestamp():.6f}",
                    include_all_metadata=True,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "")
                if exc.response.status_code != 200 or error in _PASSING | TOKEN_REFUSED:
                    raise
                self._warn_unreadable(subscription, error)
                return None
            for message in response.get("messages") or []:
                if _same_mark(message.get("metadata"), wanted) and message.get("ts"):
                    ts = str(message["ts"])
                    return Landed(ts, datetime.fromtimestamp(float(ts), UTC))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not response.get("has_more") or not cursor:
                return None
        return None

    def _warn_unreadable(self, subscription: Subscription, error: str) -> None:
        if (subscription.channel, error) in self._warned:
            return
        self._warned.add((subscription.channel, error))
        log.warning(
            "Cannot read the history of Slack channel %s (%s), so a retried digest (#%s) is "
            "posted without checking whether an earlier attempt landed: it may appear twice. "
            "Add the channels:history and groups:history scopes (README § Add to Slack).",
            subscription.channel,
            error,
            subscription.id,
        )


@dataclass(frozen=True)
class Where:
    """Where a reply goes: the channel and asker, and the command's own ways back."""

    channel: str
    user: str
    response_url: str | None = None
    thread_ts: str | None = None


async def post_message(
    client: AsyncWebClient, channel: str, message: Message, thread_ts: str | None = None
) -> str:
    """chat.postMessage without link previews (sources would unfurl into clutter); the ts.

    `link_names=False`: a `@channel` written in the (escaped) text stays text.
    """
    response = await client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        unfurl_links=False,
        unfurl_media=False,
        link_names=False,
        **message,
    )
    return str(response.get("ts") or "")


class Poster:
    """Posts rendered replies, with the fallbacks and user-facing failures Slack needs."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def deliver(self, reply: Reply, where: Where) -> None:
        """Post `reply` where it belongs; never raise (a failure is logged and explained)."""
        message = render(reply)
        try:
            if is_public(reply):
                await self._public(message, where)
            else:
                await self._private(message, where)
        except Exception as exc:  # the user hears one line; the log keeps the detail
            log.error("Could not post a reply in %s: %s", where.channel, describe_failure(exc))
            what = (
                "briefing"
                if isinstance(reply, BriefingReply)
                else ("article list" if isinstance(reply, ArticlesReply) else "reply")
            )
            await self._tell_failure(what, exc, where)

    async def _public(self, message: Message, where: Where) -> None:
        try:
            await post_message(self.client, where.channel, message, where.thread_ts)
        except SlackApiError as exc:
            if where.response_url and exc.response.get("error") in _NOT_HERE:
                # Not a member of this channel or DM: the command's response_url still is.
                await self._webhook(where.response_url, message, "in_channel")
                return
            raise

    async def _private(self, message: Message, where: Where) -> None:
        if where.response_url:
            await self._webhook(where.response_url, message, "ephemeral")
        else:
            await self.client.chat_postEphemeral(
                channel=where.channel,
                user=where.user,
                thread_ts=where.thread_ts,
                link_names=False,
                **message,
            )

    async def _webhook(self, url: str, message: Message, response_type: str) -> None:
        webhook = AsyncWebhookClient(url, retry_handlers=retry_handlers())
        response = await webhook.send(
            text=message["text"],
            blocks=message["blocks"],
            response_type=response_type,
            replace_original=False,
            unfurl_links=False,
            unfurl_media=False,
        )
        if response.status_code != 200:
            raise PostFailed(f"response_url answered HTTP {response.status_code}: {response.body}")

    async def _tell_failure(self, what: str, exc: Exception, where: Where) -> None:
        reason = describe_failure(exc)
        hint = (
            " Invite me with `/invite @briefbot` and try again."
            if reason in _NOT_HERE
            else " Please try again in a minute."
        )
        message = error_message(f"I couldn't post the {what} here ({reason}).{hint}")
        try:
            await self._private(message, where)
        except Exception as second:
            log.error(
                "Could not tell %s about the failure either: %s",
                where.user,
                describe_failure(second),
            )


class PostFailed(Exception):
    """A response_url post that Slack did not accept."""


def describe_failure(exc: Exception) -> str:
    """A failed Web API call as logs and the ledger show it: Slack's error code
    (`invalid_auth`, `channel_not_found`) or HTTP status, not slack_sdk's message with the
    URL and the whole answer."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
