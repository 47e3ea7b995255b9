"""What the buttons under a briefing or digest do, and the state they need, in the database.

A press may come a day and a restart after the post, so nothing lives in memory: each posted
briefing gets a short random `ref` (12 URL-safe characters, which fits Slack's 2,000-character
button values and Discord's 100-character custom ids), and its state is kept as JSON in the
`channel_briefings` table under the channel key `CHANNEL#ref` (the table keeps one row per
key; the press's own platform, workspace and channel are part of the key, so a ref from
another workspace or channel finds nothing).  Digest options that are not columns of a
subscription (`threads`, Discord's `mention:`) are kept the same way under `CHANNEL#~subN`.

- More: the next bullets of the same briefing: same topic, window and summarizer, the
  articles it could see (stored until it was made), composed as of the moment it was made,
  less the bullets already shown.
- Sources: every source of the briefing's bullets with the sentence that states it.
- Unsubscribe: `digest unsubscribe N` with the same manager rule, then an Undo valid for
  `UNDO_FOR` (the core's clock decides).
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .app import Core
from .digests import Context, DigestRequest, handle_digest
from .errors import UserError
from .ledger import Ledger
from .models import Briefing
from .store import channel_briefings, subscriptions, to_iso
from .why import _briefing_dict, _from_saved

log = logging.getLogger(__name__)

UNDO_FOR = timedelta(minutes=1)
# How long a posted briefing's buttons keep working; older states are dropped as new ones are
# kept (a press then says, in one line, to ask for a new briefing).
KEEP_FOR = timedelta(days=90)
MAX_MORE = 40  # bullets a briefing and its More pages may reach in all
_REF = re.compile(r"^[A-Za-z0-9_-]{6,32}$")


@dataclass(frozen=True)
class BriefState:
    """How a posted briefing was made, so More can continue it."""

    topic: str | None
    since: datetime | None  # articles published after this (absolute)
    stored_after: datetime | None  # digests: the window's start
    stored_until: datetime  # what the briefing could see: stored until it was made
    summarizer: str | None
    page: int  # bullets per page


@dataclass(frozen=True)
class _Fixed:
    """A clock stopped at one moment: More composes as of when the briefing was made."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def _key(channel: str, ref: str) -> str:
    return f"{channel}#{ref}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def keep(
    core: Core,
    context: Context,
    briefing: Briefing,
    state: BriefState,
    shown: tuple[str, ...] = (),
) -> str | None:
    """Save a briefing about to be posted with its `state`; return its ref (None, logged, if
    the write failed: the briefing is then posted without buttons)."""
    ref = secrets.token_urlsafe(9)
    document = {
        "briefing": _briefing_dict(briefing),
        "state": {
            "topic": state.topic,
            "since": _iso(state.since),
            "stored_after": _iso(state.stored_after),
            "stored_until": _iso(state.stored_until),
            "summarizer": state.summarizer,
            "page": state.page,
        },
        "shown": [*shown, *(b.text for b in briefing.bullets)],
    }
    try:
        core.store.save_channel_briefing(
            context.platform,
            context.workspace,
            _key(context.channel, ref),
            json.dumps(document),
            briefing.generated_at,
        )
        _forget_old(core, context)
    except Exception:
        log.exception("Could not keep the state of a briefing's buttons")
        return None
    return ref


def _forget_old(core: Core, context: Context) -> None:
    """Drop this workspace's button states older than KEEP_FOR (never digest options)."""
    table = channel_briefings
    cutoff = to_iso(core.clock.now() - KEEP_FOR)
    with core.store.transaction() as conn:
        conn.execute(
            table.delete().where(
                (table.c.platform == context.platform)
                & (table.c.workspace == context.workspace)
                & table.c.channel.like("%#%")
                & ~table.c.channel.like("%#~sub%")
                & (table.c.made_at < cutoff)
            )
        )


def _load(core: Core, context: Context, ref: str) -> dict[str, Any]:
    gone = UserError(
        "I no longer have that briefing. Ask for a new one with `brief`, e.g. `brief ukraine`."
    )
    if not _REF.match(ref):
        raise gone
    saved = core.store.channel_briefing(
        context.platform, context.workspace, _key(context.channel, ref)
    )
    if saved is None:
        raise gone
    try:
        document = json.loads(saved)
        if not isinstance(document, dict) or _from_saved(json.dumps(document["briefing"])) is None:
            raise gone
    except (ValueError, KeyError, TypeError):
        raise gone from None
    return document


def more(core: Core, context: Context, ref: str) -> object:
    """The next bullets of the briefing `ref` names, as a BriefingReply with its own
    buttons; UserError when nothing more is in its window."""
    from .briefing import compose_briefing
    from .commands import Actions, BriefingReply

    document = _load(core, context, ref)
    raw = document["state"]
    state = BriefState(
        topic=raw.get("topic"),
        since=_time(raw.get("since")),
        stored_after=_time(raw.get("stored_after")),
        stored_until=_time(raw.get("stored_until")) or core.clock.now(),
        summarizer=raw.get("summarizer"),
        page=max(1, min(int(raw.get("page") or 5), 20)),
    )
    shown = tuple(str(t) for t in document.get("shown") or ())
    title = str(document["briefing"].get("title") or "Briefing")
    if len(shown) >= MAX_MORE:
        raise UserError(f"That is all this briefing goes to ({MAX_MORE} bullets).")
    made = compose_briefing(
        core.reads,  # as `brief` reads: the same kept analyses and derived figures
        core.summarizer(state.summarizer),
        _Fixed(state.stored_until),
        scope=context.scope,
        topic=state.topic,
        bullets=min(len(shown) + state.page, MAX_MORE),
        since=state.since,
        title=title,
        stored_after=state.stored_after,
        stored_until=state.stored_until,
    )
    seen = set(shown)
    fresh = tuple(b for b in made.bullets if b.text not in seen)[: state.page]
    if not fresh:
        raise UserError(
            "Nothing more in this briefing's window. Try a wider one, e.g. `brief all`."
        )
    base = title.removeprefix("More: ")
    briefing = Briefing(
        title=f"More: {base}",
        generated_at=core.clock.now(),
        topic=state.topic,
        bullets=fresh,
        article_count=made.article_count,
    )
    new_ref = keep(core, context, briefing, state, shown)
    return BriefingReply(briefing, Actions(new_ref) if new_ref else None)


def sources(core: Core, context: Context, ref: str) -> object:
    """Every source of the briefing `ref` names (SourcesReply)."""
    from .commands import SourcesReply

    document = _load(core, context, ref)
    saved = _from_saved(json.dumps(document["briefing"]))
    assert saved is not None  # _load checked
    title, _, bullets = saved
    return SourcesReply(title, bullets)


def unsubscribe(core: Core, context: Context, subscription: int) -> object:
    """`digest unsubscribe N` from a button (the same rule: managers only, this channel's
    digests only), answered with an Undo valid for UNDO_FOR."""
    from .commands import NoticeReply, UndoReply

    done = handle_digest(core, DigestRequest("unsubscribe", target=str(subscription)), context)
    if not isinstance(done, NoticeReply):  # pragma: no cover - handle_digest's contract
        return done
    return UndoReply(done.text, context.user, subscription, core.clock.now() + UNDO_FOR)


def undo(core: Core, context: Context, subscription: int, until: datetime) -> object:
    """Restore a digest unsubscribed by a button, if `until` has not passed (the core's
    clock) and the presser may manage this channel's digests."""
    from .commands import NoticeReply

    if not context.can_manage:
        raise UserError(f"Changing this channel's digests needs the {context.manage_permission}.")
    if core.clock.now() > until:
        raise UserError(
            f"Undo lasts {int(UNDO_FOR.total_seconds())} seconds and that one has passed: "
            "subscribe again with `digest subscribe HH:MM`."
        )
    found = Ledger(core.store).get(subscription)
    if found is None or (found.platform, found.workspace, found.channel) != (
        context.platform,
        context.workspace,
        context.channel,
    ):
        raise UserError(f"This channel has no digest #{subscription}.")
    if not found.active:
        with core.store.transaction() as conn:
            conn.execute(
                subscriptions.update().where(subscriptions.c.id == subscription).values(active=1)
            )
    return NoticeReply(f"restored digest #{subscription} in this channel.", by=context.user)


# -- digest options kept beside a subscription ------------------------------------------------


@dataclass(frozen=True)
class DigestOptions:
    """A digest's chat options: `threads` (a short line, the stories in its thread) and
    `mention` (a Discord role id to ping with it)."""

    threads: bool = False
    mention: str | None = None


def save_options(core: Core, context: Context, subscription: int, options: DigestOptions) -> None:
    """Keep `options` for `subscription` (in this context's channel)."""
    core.store.save_channel_briefing(
        context.platform,
        context.workspace,
        _key(context.channel, f"~sub{subscription}"),
        json.dumps({"threads": options.threads, "mention": options.mention}),
        core.clock.now(),
    )


def options_of(
    core: Core, platform: str, workspace: str, channel: str, subscription: int
) -> DigestOptions:
    """The options kept for `subscription` (none kept: the defaults)."""
    saved = core.store.channel_briefing(platform, workspace, _key(channel, f"~sub{subscription}"))
    if saved is None:
        return DigestOptions()
    try:
        raw = json.loads(saved)
        mention = raw.get("mention")
        return DigestOptions(bool(raw.get("threads")), str(mention) if mention else None)
    except (ValueError, AttributeError):
        return DigestOptions()


def for_digest(core: Core, subscription: Any, reply: object, now: datetime) -> object:
    """A digest reply about to be posted, with its buttons (More, Sources, Unsubscribe) and
    its chat options (`threads`, `mention`) attached."""
    import dataclasses

    from .commands import Actions, BriefingReply

    if not isinstance(reply, BriefingReply):
        return reply
    context = Context(
        platform=subscription.platform,
        workspace=subscription.workspace,
        channel=subscription.channel,
    )
    state = BriefState(
        topic=subscription.topic,
        since=None,
        stored_after=subscription.window_start,
        stored_until=now,
        summarizer=None,
        page=subscription.bullets,
    )
    ref = keep(core, context, reply.briefing, state)
    options = options_of(
        core, subscription.platform, subscription.workspace, subscription.channel, subscription.id
    )
    return dataclasses.replace(
        reply,
        actions=Actions(ref, subscription.id) if ref else None,
        thread=options.threads,
        mention=options.mention,
    )
