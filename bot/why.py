"""`brief why N`: why a bullet of the channel's last briefing can be trusted.

After a briefing is posted (a `brief` or a digest), its bullets are kept in the database as
the channel's last briefing (`Store.save_channel_briefing`, keyed by platform, workspace and
channel, so another workspace never reads it and a restart loses nothing).  `brief why N`
then shows bullet N's sources with the sentence of each that states it (`Source.evidence`)
and the story's other reports, each with the composer's reason for leaving it out
(`Bullet.left_out`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import BadArgument, UserError
from .models import Briefing, Bullet, LeftOut, Source

if TYPE_CHECKING:
    from .reads import StoreReads

log = logging.getLogger(__name__)

# The JSON shape's version: a saved briefing of another shape is treated as none.
FORMAT = 1
# The largest bullet number read as typed; any larger one is read as MAX_NUMBER + 1, which no
# briefing has, so the reply gives the briefing's range (Discord's `why:` option stops here).
MAX_NUMBER = 999


@dataclass(frozen=True)
class WhyRequest:
    """Explain bullet `number` (1-based) of this channel's last briefing."""

    number: int


@dataclass(frozen=True)
class WhyReply:
    """Bullet `number` of `of` bullets of the briefing titled `title`, made at `made_at`:
    its sources (each with its evidence sentence) and the reports left out, with reasons.
    Shown only to the asker."""

    number: int
    of: int
    title: str
    made_at: datetime
    bullet: Bullet


# The commands in the core's words; each renderer spells them its platform's way (bot.hints).
_SPELLING = ("brief", "brief why {n}")


def parse_why(words: list[str]) -> WhyRequest:
    """`brief why N` once `why` is read: exactly one whole number from 1 (any script's digits;
    a number over MAX_NUMBER, however long, becomes MAX_NUMBER + 1).

    Raises BadArgument saying how to ask, and how to brief on the word "why" instead.
    """
    from .words import ascii_digits

    number = ascii_digits(words[0].strip()) if words else ""
    whole = number.isascii() and number.isdigit()
    if len(words) > 1 and whole:
        raise BadArgument(
            f"`brief why {number}` takes the bullet number alone: ask for a briefing and its "
            "reasons separately."
        )
    significant = number.lstrip("0") if whole else ""
    if len(words) != 1 or not significant:
        raise BadArgument(
            "Say which bullet: `brief why 2` explains bullet 2 of this channel's last "
            'briefing. To brief on the word "why", quote it: `brief "why"`.'
        )
    # A number past every briefing's bullets is answered with the briefing's range (by
    # `explain`); never read more digits than that takes (int() refuses over 4,300 digits).
    if len(significant) > len(str(MAX_NUMBER)):
        return WhyRequest(MAX_NUMBER + 1)
    return WhyRequest(min(int(significant), MAX_NUMBER + 1))


def remember(
    store: StoreReads, platform: str, workspace: str, channel: str, briefing: Briefing
) -> None:
    """Keep `briefing` as the channel's last, for `brief why`.  Never raises: a briefing is
    still posted if this write fails (the failure is logged)."""
    try:
        store.save_channel_briefing(
            platform,
            workspace,
            channel,
            json.dumps(_briefing_dict(briefing)),
            briefing.generated_at,
        )
    except Exception:
        log.exception("Could not keep the last briefing of %s channel %s", platform, channel)


def explain(
    store: StoreReads, platform: str, workspace: str, channel: str, request: WhyRequest
) -> WhyReply:
    """Bullet `request.number` of the channel's last briefing.

    Raises UserError in one line when the channel has had no briefing (naming the command
    the platform's way) or the number is not one of its bullets (giving the range).
    """
    brief, example = _SPELLING
    saved = store.channel_briefing(platform, workspace, channel)
    briefing = _from_saved(saved) if saved is not None else None
    if briefing is None:
        raise UserError(
            f"No briefing in this channel yet: run `{brief}` first, then "
            f"`{example.format(n=1)}` explains its first bullet."
        )
    title, made_at, bullets = briefing
    count = len(bullets)
    if not 1 <= request.number <= count:
        span = "1" if count == 1 else f"1 to {count}"
        raise UserError(
            f"The last briefing here has {count} bullet{'s' if count != 1 else ''}: "
            f"ask about bullet {span}, e.g. `{example.format(n=1)}`."
        )
    return WhyReply(request.number, count, title, made_at, bullets[request.number - 1])


# -- the saved shape -------------------------------------------------------------------------


def _source_dict(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "title": source.title,
        "url": source.url,
        "outlet": source.outlet,
        "evidence": source.evidence,
    }


def _briefing_dict(briefing: Briefing) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "title": briefing.title,
        "generated_at": briefing.generated_at.isoformat(),
        "bullets": [
            {
                "text": b.text,
                "story": b.story,
                "sources": [_source_dict(s) for s in b.sources],
                "coverage": [_source_dict(s) for s in b.coverage],
                "left_out": [
                    {"source": _source_dict(x.source), "reason": x.reason} for x in b.left_out
                ],
            }
            for b in briefing.bullets
        ],
    }


def _source(shape: dict[str, Any]) -> Source:
    return Source(
        int(shape["id"]),
        str(shape["title"]),
        shape.get("url"),
        shape.get("outlet"),
        evidence=shape.get("evidence"),
    )


def _from_saved(text: str) -> tuple[str, datetime, tuple[Bullet, ...]] | None:
    """(title, made at, bullets) of a saved briefing; None if it is not one we can read
    (another format, or damaged), which counts as no briefing."""
    try:
        shape = json.loads(text)
        if shape.get("format") != FORMAT:
            return None
        bullets = tuple(
            Bullet(
                text=str(b["text"]),
                sources=tuple(_source(s) for s in b["sources"]),
                coverage=tuple(_source(s) for s in b["coverage"]),
                story=b.get("story"),
                left_out=tuple(
                    LeftOut(_source(x["source"]), str(x["reason"])) for x in b["left_out"]
                ),
            )
            for b in shape["bullets"]
        )
        return str(shape["title"]), datetime.fromisoformat(shape["generated_at"]), bullets
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("A saved channel briefing could not be read; treated as none")
        return None
