"""Slack's App Home tab, direct messages to the bot, and the "Summarize link" shortcut.

- `app_home_opened` (Home tab): `views.publish` a view with the workspace's digests in the
  channels the opener is in (`users.conversations`, at most CHANNEL_PAGES pages, plus the
  opener's DM with the bot), the workspace's feeds, a topic input and a **Brief me** button.
  Pressing it (or Enter in the input) answers `brief <what was typed>` through the one
  command parser, in the opener's DM with the bot (`conversations.open`).
- A DM to the bot (`message.im`, e.g. `brief ukraine`) is a command like any other; every
  answer goes back into the DM as a normal message (a DM has nobody else to hide it from).
- Message shortcut `summarize_link`: `summarize <first link in the message>` (the guarded
  fetcher, the core summarize path), answered only to the one who used it.

Views keep within Slack's limits (100 blocks, 3,000 characters a section, 150 a header,
api.slack.com/reference/surfaces/views, api.slack.com/reference/block-kit/blocks).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Core
from bot.commands import ErrorReply, SummarizeRequest, handle
from bot.digests import Context, Scheduler
from bot.digests import list_text as digest_lines
from bot.feeds import FeedRegistry
from bot.feeds import list_text as feed_lines
from bot.ledger import Ledger
from bot.models import Subscription

from .app import Poster, Where, compose, post_message, slack_text
from .blocks import HEADER_MAX, SECTION_MAX, Message, _shorten_escaped, notice_literal, plain

log = logging.getLogger(__name__)

BRIEF_ME_ACTION = "briefbot_home_brief_me"
TOPIC_BLOCK = "briefbot_home_topic"
TOPIC_ACTION = "briefbot_home_topic_input"
SHORTCUT = "summarize_link"  # callback_id in manifest.yml
MAX_VIEW_BLOCKS = 100
CHANNEL_PAGE = 200  # users.conversations page size (Slack's documented maximum is 1000)
CHANNEL_PAGES = 5  # read at most 1,000 of the opener's channels per Home tab opening
MAX_LISTED = 40  # sections of digests (one per channel) and of feeds shown at most
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# A Slack link as message text carries it: <https://…> or <https://…|label>.
_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.IGNORECASE)
_BARE_LINK = re.compile(r"https?://[^\s<>|]+", re.IGNORECASE)
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def register(app: AsyncApp, core: Core, scheduler: Scheduler | None = None) -> None:
    """Add the Home tab, Brief me, DM and shortcut listeners to `app` (before any catch-all
    `message` listener, since Bolt runs the first listener that matches)."""

    @app.event("app_home_opened")
    async def on_home_opened(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user, team = event["user"], context.team_id or ""
        channels, note = await member_channels(client, user)
        if event.get("channel"):
            channels.add(event["channel"])  # the opener's DM with the bot
        view = await asyncio.to_thread(home_view, core, team, channels, note, core.clock.now())
        try:
            await client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.error("Could not publish the Home tab for %s: %s", user, exc.response.get("error"))

    async def brief_me(
        ack: Callable[[], Awaitable[None]],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        user = (body.get("user") or {}).get("id", "")
        team = context.team_id or ""
        try:
            opened = await client.conversations_open(users=user)
        except SlackApiError as exc:
            log.error("Could not open a DM with %s: %s", user, exc.response.get("error"))
            return
        channel = str((opened.get("channel") or {}).get("id") or "")
        text = f"brief {typed_topic(body)}".strip()
        reply = await compose(core, text, _context(team, channel, user), scheduler)
        await DirectPoster(client).deliver(reply, Where(channel, user))

    app.action(BRIEF_ME_ACTION)(brief_me)
    app.action(TOPIC_ACTION)(brief_me)  # Enter in the topic input (dispatch_action)

    async def is_dm(event: dict[str, Any]) -> bool:
        return event.get("channel_type") == "im"

    @app.event("message", matchers=[is_dm])
    async def on_direct_message(
        event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        # Edits, joins and bots' messages (our own answers included) are not commands.
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        text = slack_text(_MENTION.sub(" ", event.get("text", ""))).strip()
        channel, user = event.get("channel", ""), event["user"]
        reply = await compose(
            core, text or "help", _context(context.team_id or "", channel, user), scheduler
        )
        await DirectPoster(client).deliver(reply, Where(channel, user))

    @app.shortcut(SHORTCUT)
    async def on_summarize_link(
        ack: Callable[[], Awaitable[None]],
        shortcut: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        channel = (shortcut.get("channel") or {}).get("id", "")
        user = (shortcut.get("user") or {}).get("id", "")
        where = Where(channel, user, response_url=shortcut.get("response_url"))
        url = first_link(shortcut.get("message") or {})
        if url is None:
            reply: Any = ErrorReply("That message has no link to summarize.")
        else:
            # The request itself, not text to parse: a link may hold quotes or spaces.
            request = SummarizeRequest(target=url)
            reply = await asyncio.to_thread(
                handle, core, request, _context(context.team_id or "", channel, user)
            )
        await PrivatePoster(client).deliver(reply, where)


def _context(team: str, channel: str, user: str) -> Context:
    # As for slash commands (adapters.slack.app): any member may manage a channel's digests.
    return Context(platform="slack", workspace=team, channel=channel, user=user, can_manage=True)


class DirectPoster(Poster):
    """Answers in a DM: what would be shown only to the asker is a normal message there."""

    async def _private(self, message: Message, where: Where) -> None:
        await post_message(self.client, where.channel, message, where.thread_ts)


class PrivatePoster(Poster):
    """Answers only the asker, briefings too (the shortcut's ephemeral answer)."""

    async def _public(self, message: Message, where: Where) -> None:
        await self._private(message, where)


async def member_channels(client: AsyncWebClient, user: str) -> tuple[set[str], str]:
    """The public and private channels `user` is in, as far as the bot may see
    (`users.conversations`, needs channels:read and groups:read), and a note for the view
    when the list is incomplete or could not be read ("" otherwise)."""
    found: set[str] = set()
    cursor: str | None = None
    for _ in range(CHANNEL_PAGES):
        try:
            response = await client.users_conversations(
                user=user,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=CHANNEL_PAGE,
                cursor=cursor,
            )
        except SlackApiError as exc:
            error = exc.response.get("error") or exc.response.status_code
            log.warning("users.conversations failed for %s: %s", user, error)
            return found, f"I couldn't read which channels you are in ({error})."
        found.update(str(c["id"]) for c in response.get("channels") or [] if c.get("id"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return found, ""
    return found, f"Only digests in your first {len(found):,} channels are shown."


def typed_topic(body: dict[str, Any]) -> str:
    """What the Home tab's topic input held when Brief me was pressed (or Enter typed)."""
    for action in body.get("actions") or []:
        if action.get("action_id") == TOPIC_ACTION and action.get("value"):
            return " ".join(str(action["value"]).split())
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    typed = (values.get(TOPIC_BLOCK) or {}).get(TOPIC_ACTION) or {}
    return " ".join(str(typed.get("value") or "").split())


def first_link(message: dict[str, Any]) -> str | None:
    """The first web link of a Slack message: its text's first `<https://…>`, else the first
    link element of its rich-text blocks, else a bare URL in the text (Slack's escaping
    undone, see `slack_text`); None if it has none."""
    text = str(message.get("text") or "")
    if match := _LINK.search(text):
        return slack_text(match.group(1))
    for url in _block_links(message.get("blocks") or []):
        return url
    if match := _BARE_LINK.search(slack_text(text)):
        return match.group()
    return None


def _block_links(node: Any) -> list[str]:
    if isinstance(node, list):
        return [u for item in node for u in _block_links(item)]
    if not isinstance(node, dict):
        return []
    if node.get("type") == "link" and _BARE_LINK.match(str(node.get("url") or "")):
        return [str(node["url"])]
    return _block_links(node.get("elements") or [])


def home_view(
    core: Core, team: str, channels: set[str], note: str, now: datetime
) -> dict[str, Any]:
    """The Home tab: Brief me (topic input and button), the workspace's digests in
    `channels` grouped by channel, and its feeds.  At most MAX_VIEW_BLOCKS blocks."""
    ledger = Ledger(core.store)
    digests: dict[str, list[Subscription]] = {}
    for subscription in ledger.subscriptions("slack", team):
        if subscription.channel in channels:
            digests.setdefault(subscription.channel, []).append(subscription)
    feeds = FeedRegistry(core.store).all("slack", team)
    blocks: list[dict[str, Any]] = [
        _header("briefbot"),
        _section(
            "Short, sourced briefings of the news stored for this workspace. Type a topic "
            "(and, if you like, bullets and a window, e.g. `ukraine 3 7d`) and press Brief me: "
            "the briefing arrives in our direct messages. You can also DM me any command, "
            "e.g. `brief nato`."
        ),
        {
            "type": "input",
            "block_id": TOPIC_BLOCK,
            "optional": True,
            "dispatch_action": True,
            "label": {"type": "plain_text", "text": "Topic"},
            "element": {
                "type": "plain_text_input",
                "action_id": TOPIC_ACTION,
                "max_length": 200,
                "placeholder": {"type": "plain_text", "text": "e.g. ukraine 3 7d"},
                "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": BRIEF_ME_ACTION,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Brief me"},
                }
            ],
        },
        {"type": "divider"},
        _header("Daily digests in your channels"),
    ]
    if note:
        blocks.append(_context_block(note))
    if not digests:
        blocks.append(
            _section("None yet. Add one in a channel: `/digest subscribe 08:30 Europe/Paris`.")
        )
    shown = sorted(digests.items())[:MAX_LISTED]
    for channel, subscriptions in shown:
        where = f"<#{channel}>" if _CHANNEL_ID.match(channel) else notice_literal(channel)
        lines = digest_lines(ledger, subscriptions, now).splitlines()
        blocks.append(_section(f"*{where}*\n" + _fit(lines, SECTION_MAX - len(where) - 3)))
    if len(digests) > len(shown):
        more = len(digests) - len(shown)
        blocks.append(_context_block(f"…and {more} more channels: `/digest list` in each."))
    blocks += [{"type": "divider"}, _header("Feeds")]
    lines = feed_lines(feeds).splitlines()
    sections = _chunks(lines, SECTION_MAX)
    room = MAX_VIEW_BLOCKS - len(blocks) - 1
    for text in sections[:room]:
        blocks.append(_section(text))
    if len(sections) > room:
        blocks.append(_context_block("…and more: `/feeds list` shows them all."))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": plain(text)[:HEADER_MAX]}}


def _section(mrkdwn: str) -> dict[str, Any]:
    # Core text already made literal by the caller (or written here); verbatim: no auto-links.
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context_block(text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": notice_literal(text), "verbatim": True}],
    }


def _fit(lines: list[str], limit: int) -> str:
    """Core lines as literal mrkdwn, one per line, as many as fit in `limit` characters."""
    return _chunks(lines, limit)[0] if lines else ""


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Core lines as literal mrkdwn, packed into texts of at most `limit` characters (a
    line longer than that is cut)."""
    out: list[str] = []
    current = ""
    for line in lines:
        text = _shorten_escaped(line, limit, notice_literal)
        if current and len(current) + 1 + len(text) > limit:
            out.append(current)
            current = text
        else:
            current = f"{current}\n{text}" if current else text
    if current:
        out.append(current)
    return out
