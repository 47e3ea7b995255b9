"""Discord rendering of core replies as embeds: pure functions, tested offline.

Discord rejects a message whose embeds break any of: title 256, description 4,096, 25 fields
of 1,024, footer 2,048, 6,000 characters across all embeds, 10 embeds, content 2,000.  A
briefing is packed bullet by bullet into embed descriptions and, when one message cannot hold
it, into as few further messages as possible — cut only between bullets, never in a word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown

from bot.commands import ArticlesReply, BriefingReply, ErrorReply, HelpReply, NoticeReply, Reply
from bot.models import Briefing, Bullet, Source
from bot.render import briefing_stamp, shorten

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
MESSAGE_CHARS = 6000
MAX_EMBEDS = 10
CONTENT_MAX = 2000
# Room kept in every message for the title, "(continued)" and the footer.
_RESERVE = TITLE_MAX + FOOTER_MAX // 8
COLOR = discord.Colour(0x1D3557)
FOOTER = "briefbot"
_SAFE_BULLET = DESCRIPTION_MAX - 200  # one bullet alone never fills an embed


@dataclass
class Message:
    """One Discord message: plain content and/or embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


def md(text: str) -> str:
    """Escape Discord markdown so article text shows literally."""
    return escape_markdown(" ".join(text.split()), as_needed=False)


def md_shortened(text: str, limit: int) -> str:
    """Escape, then shorten, so the escaped text (what Discord counts) fits `limit`."""
    cut = shorten(md(text), limit)
    # Never leave a lone backslash before the ellipsis (it would escape it).
    return cut[:-1].rstrip("\\") + cut[-1] if cut.endswith("…") else cut


def source_link(source: Source) -> str:
    """`[title](url)`, or the title in italics when the source has no URL."""
    title = md(shorten(source.title, 100)).replace("[", "(").replace("]", ")")
    if not source.url:
        return f"*{title}*"
    url = source.url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{title}]({url})"


def bullet_text(bullet: Bullet) -> str:
    """A bullet line, with its sources as markdown links on the line below."""
    text = f"• {md_shortened(bullet.text, _SAFE_BULLET - 600)}"
    if bullet.sources:
        links: list[str] = []
        room = 560
        for i, source in enumerate(bullet.sources):
            link = source_link(source)
            if len(link) + 2 > room:
                links.append(f"and {len(bullet.sources) - i} more")
                break
            links.append(link)
            room -= len(link) + 2
        text += "\n  ↳ " + ", ".join(links)
    return text


def _embed(title: str | None, description: str) -> discord.Embed:
    return discord.Embed(
        title=shorten(title, TITLE_MAX) if title else None,
        description=description or None,
        colour=COLOR,
    )


def briefing_messages(briefing: Briefing) -> list[Message]:
    """A briefing as the fewest messages that respect every limit."""
    footer = shorten(f"{briefing_stamp(briefing)} · {FOOTER}", FOOTER_MAX)
    messages: list[Message] = []
    embeds: list[discord.Embed] = []
    lines: list[str] = []
    used = 0  # characters of the current message, finished embeds included

    def title() -> str | None:
        # Only the first embed carries the title: the rest read as the same card, continued.
        return briefing.title if not messages and not embeds else None

    def close_embed() -> None:
        nonlocal lines, used
        if lines:
            embed = _embed(title(), "\n".join(lines))
            embeds.append(embed)
            used += len(embed)
            lines = []

    def close_message() -> None:
        nonlocal embeds, used
        close_embed()
        if embeds:
            messages.append(Message(embeds=embeds))
        embeds, used = [], 0

    for bullet in briefing.bullets:
        text = bullet_text(bullet)
        description = len("\n".join([*lines, text]))
        if lines and description > DESCRIPTION_MAX:
            close_embed()
        pending = len("\n".join([*lines, text]))
        full = not lines and len(embeds) == MAX_EMBEDS
        if full or used + pending + _RESERVE > MESSAGE_CHARS:
            close_message()
        lines.append(text)
    close_message()
    if not messages:
        messages.append(Message(embeds=[_embed(briefing.title, "Nothing to report.")]))
    last = messages[-1].embeds[-1]
    last.set_footer(text=footer)
    last.timestamp = briefing.generated_at
    if briefing.notes:
        # Notes (e.g. feed health) go in the last message's plain content: always visible,
        # and outside the 6,000-character embed budget.
        messages[-1].content = shorten("\n".join(briefing.notes), CONTENT_MAX)
    return messages


def articles_messages(reply: ArticlesReply) -> list[Message]:
    """The article list as one embed (the command caps it well under the limits)."""
    if not reply.articles:
        return [
            Message(
                content="No articles stored yet. An operator can add some with "
                "`briefbot ingest PATH|URL`."
            )
        ]
    heading = f"Articles matching “{reply.query}”" if reply.query else "Newest articles"
    lines: list[str] = []
    for article in reply.articles:
        when = (article.published_at or article.ingested_at).strftime("%Y-%m-%d")
        link = source_link(Source(article.id, article.title, article.url))
        line = f"`{article.id}` {link} — {md(shorten(article.source, 40))}, {when}"
        if len("\n".join([*lines, line])) > DESCRIPTION_MAX - 200:
            break
        lines.append(line)
    embed = _embed(heading, "\n".join(lines))
    shown = len(lines)
    if not reply.query and reply.total > shown:
        embed.set_footer(text=f"Newest {shown} of {reply.total} · /articles query:… searches them")
    else:
        embed.set_footer(text="/summarize article:ID summarizes one")
    return [Message(embeds=[embed])]


DISCORD_USAGE = (
    "`/brief [topic] [bullets] [since]` · `/summarize article:<id|url> [sentences]` · "
    "`/articles [query]` · `/help`"
)


def help_messages(text: str) -> list[Message]:
    """Help: the Discord spellings, then the core's help text in a code block."""
    body = shorten(text, DESCRIPTION_MAX - 200).replace("```", "'''")
    return [Message(embeds=[_embed("briefbot help", f"{DISCORD_USAGE}\n```{body}```")])]


def error_messages(message: str) -> list[Message]:
    """A user error: one short plain line."""
    return [Message(content=shorten(f"⚠️ {message}", CONTENT_MAX))]


def render(reply: Reply) -> list[Message]:
    """Render any core reply as Discord messages."""
    if isinstance(reply, BriefingReply):
        return briefing_messages(reply.briefing)
    if isinstance(reply, ArticlesReply):
        return articles_messages(reply)
    if isinstance(reply, HelpReply):
        return help_messages(reply.text)
    if isinstance(reply, NoticeReply):
        return [Message(content=shorten(reply.text, CONTENT_MAX))]
    if isinstance(reply, ErrorReply):
        return error_messages(reply.message)
    raise TypeError(f"cannot render {type(reply).__name__}")
