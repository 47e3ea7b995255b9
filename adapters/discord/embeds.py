"""Discord rendering of core replies as embeds: pure functions, tested offline.

Discord rejects a message whose embeds break any of: title 256, description 4,096, 25 fields
of 1,024, footer 2,048, 6,000 characters across all embeds, 10 embeds, content 2,000.  A
briefing is packed bullet by bullet into embed descriptions and, when one message cannot hold
it, into as few further messages as possible — cut only between bullets, never in a word.

Nothing from an article, a feed or a user may ping anyone: every message carries
`allowed_mentions` (none, or only the asker of a notice, `NoticeReply.by`), and the client
sends with that default too.  So that such text also *looks* literal, markdown is escaped and
mention syntax (`@everyone`, `@here`, `<@…>`, `<@&…>`, `<#…>`) is broken with a zero-width
space, the way `discord.utils.escape_mentions` does it, but for any id length.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown

from bot.commands import (
    Actions,
    ArticlesReply,
    BriefingReply,
    ErrorReply,
    HelpReply,
    NoticeReply,
    Reply,
    SourcesReply,
    UndoReply,
)
from bot.hints import Spelling, name_hints, spell
from bot.models import Briefing, Bullet, Source
from bot.render import (
    COVERED,
    NO_EVIDENCE,
    WHY_NONE_LEFT,
    briefing_stamp,
    lang_mark,
    outlet_label,
    shared_sources,
    shorten,
    source_label,
    why_stamp,
)
from bot.textfragment import source_url
from bot.why import WhyReply

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
_ZWSP = "\u200b"
_MENTION_START = re.compile(r"@|<(?=[#/:])")
_ESCAPED_BACKTICK = re.compile(r"\\`")
_WEB_URL = re.compile(r"https?://", re.IGNORECASE)
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
THREAD_NAME_MAX = 100
# How Discord users type the commands (bot.hints): `/articles query:nato`.
SPELLING = Spelling(prefix="/", named=True)
# Button custom ids (at most 100 characters): `bb:<kind>:<argument>`; answered by
# `adapters.discord.client.Press`, a persistent dynamic item (works after a restart).
CUSTOM_ID = re.compile(r"^bb:(?P<kind>more|src|unsub|undo):(?P<arg>[A-Za-z0-9_:-]{1,80})$")


def hints(text: str) -> str:
    """Core text with its command hints spelled as Discord users type them."""
    return name_hints(text, SPELLING)


@dataclass(frozen=True)
class Button:
    """A button under a message: its label, custom id and style name (discord.ButtonStyle)."""

    label: str
    custom_id: str
    style: str = "secondary"


def buttons_for(actions: Actions | None) -> list[Button]:
    """More and Sources (and Unsubscribe on a digest) for a posted briefing."""
    if actions is None:
        return []
    found = [Button("More", f"bb:more:{actions.ref}"), Button("Sources", f"bb:src:{actions.ref}")]
    if actions.subscription is not None:
        found.append(Button("Unsubscribe", f"bb:unsub:{actions.subscription}", "danger"))
    return found


def nobody() -> discord.AllowedMentions:
    """Mentions nobody: no @everyone/@here, roles, users or reply pings."""
    return discord.AllowedMentions.none()


def only(user: str) -> discord.AllowedMentions:
    """Mentions at most `user` (a Discord user id), nobody else."""
    if not user.isdigit():
        return nobody()
    return discord.AllowedMentions(
        everyone=False, users=[discord.Object(id=int(user))], roles=False, replied_user=False
    )


@dataclass
class Message:
    """One Discord message: plain content and/or embeds, and whom it may notify."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    allowed_mentions: discord.AllowedMentions = field(default_factory=nobody)
    buttons: list[Button] = field(default_factory=list)
    # The bullets/window menus for a briefing with a click, for this topic ("" for none).
    menus: str | None = None


def thread_name(title: str | None) -> str:
    """A thread's name (at most THREAD_NAME_MAX characters, one line) from a briefing's
    title: mention syntax broken like everywhere else ("briefbot" when there is none)."""
    name = no_mentions(" ".join((title or "").split()))
    return shorten(name, THREAD_NAME_MAX) or "briefbot"


def no_mentions(text: str) -> str:
    """Break mention syntax with a zero-width space so it shows as typed (`@​everyone`)."""
    return _MENTION_START.sub(lambda m: m.group() + _ZWSP, text)


def md(text: str) -> str:
    """Escape Discord markdown and mentions so article text shows literally."""
    return no_mentions(escape_markdown(" ".join(text.split()), as_needed=False))


def notice_md(text: str) -> str:
    """Core text that may quote user or feed text: escaped like `md`, line by line, except
    its backtick code spans (the core writes its command hints that way)."""
    lines = (escape_markdown(line, as_needed=False) for line in text.splitlines())
    return no_mentions(_ESCAPED_BACKTICK.sub("`", "\n".join(lines)))


def _cut_lines(escaped: str, limit: int) -> str:
    """Like `_cut`, but line breaks are kept (spaces inside each line collapsed)."""
    lines = [" ".join(line.split()) for line in escaped.splitlines()]
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit:
            room = limit - used - 1
            kept.append(_cut(line, room) if room > 20 else "…")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _cut(escaped: str, limit: int) -> str:
    """Shorten escaped text to `limit`, never leaving a lone backslash before the ellipsis."""
    cut = shorten(escaped, limit)
    # A backslash left before the ellipsis would escape it.
    return cut[:-1].rstrip("\\") + cut[-1] if cut.endswith("…") else cut


def md_shortened(text: str, limit: int) -> str:
    """Escape, then shorten, so the escaped text (what Discord counts) fits `limit`."""
    return _cut(md(text), limit)


def source_link(source: Source) -> str:
    """`[Outlet: title](url)`, or that label in italics when the source has no URL."""
    title = md(shorten(source_label(source), 100)).replace("[", "(").replace("]", ")")
    target = source_url(source)
    if not target or not _WEB_URL.match(target):
        return f"*{title}*"  # only a web address is a link (a stored `url:` may be "@everyone")
    url = target.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{title}]({url})"


def _links(sources: tuple[Source, ...], room: int) -> str:
    links: list[str] = []
    for i, source in enumerate(sources):
        link = source_link(source)
        if len(link) + 2 > room:
            links.append(f"and {len(sources) - i} more")
            break
        links.append(link)
        room -= len(link) + 2
    return ", ".join(links)


def bullet_text(bullet: Bullet) -> str:
    """A bullet line, with its sources as markdown links on the line below, the story's
    other reports ("Also covered by") under them, and its story line above when it has one."""
    text = f"• {lang_mark(bullet)}{md_shortened(bullet.text, _SAFE_BULLET - 1200)}"
    if bullet.story:
        text = f"**{md_shortened(bullet.story, 200)}**\n{text}"
    if bullet.sources:
        text += "\n  ↳ " + _links(bullet.sources, 560)
    if bullet.coverage:
        text += f"\n  {COVERED}: " + _links(bullet.coverage, 300)
    return text


def _embed(title: str | None, description: str) -> discord.Embed:
    return discord.Embed(
        title=md_shortened(title, TITLE_MAX) if title else None,
        description=description or None,
        colour=COLOR,
    )


def briefing_messages(briefing: Briefing, actions: Actions | None = None) -> list[Message]:
    """A briefing as the fewest messages that respect every limit; sources shared by every
    bullet (a one-article summary) shown once after them; buttons on the last message."""
    shared = shared_sources(briefing)
    if shared is not None:
        briefing = dataclasses.replace(
            briefing,
            bullets=(
                *(dataclasses.replace(b, sources=(), coverage=()) for b in briefing.bullets),
                dataclasses.replace(shared, text=""),
            ),
        )
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
        if not bullet.text:  # the shared sources line
            text = text.removeprefix("• ").lstrip("\n ").replace("↳", "Source:", 1)
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
        messages[-1].content = _cut_lines(notice_md(hints("\n".join(briefing.notes))), CONTENT_MAX)
    messages[-1].buttons = buttons_for(actions)
    return messages


# Characters of one source's sentence, or one left-out report's reason, in `brief why`.
WHY_LINE_MAX = 700


def why_messages(reply: WhyReply) -> list[Message]:
    """`brief why N` as one embed: the bullet, each source with the sentence that states it
    (quoted), and the story's reports left out with the reason; cut between entries, saying
    how many, to fit the description."""
    bullet = reply.bullet
    lines = [f"• {md_shortened(bullet.text, 1000)}", "", f"**Stated by ({len(bullet.sources)})**"]

    def add(items: list[str], budget: int) -> None:
        for i, item in enumerate(items):
            if len("\n".join([*lines, item])) > budget:
                lines.append(f"*and {len(items) - i} more, left out to fit one message*")
                return
            lines.append(item)

    add(
        [
            f"↳ {source_link(s)}\n> “{md_shortened(s.evidence, WHY_LINE_MAX)}”"
            if s.evidence
            else f"↳ {source_link(s)}\n> {NO_EVIDENCE}"
            for s in bullet.sources
        ],
        DESCRIPTION_MAX * 6 // 10,
    )
    lines += ["", f"**Left out ({len(bullet.left_out)})**"]
    if not bullet.left_out:
        lines.append(WHY_NONE_LEFT)
    add(
        [
            f"• {source_link(x.source)} — {md_shortened(x.reason, WHY_LINE_MAX)}"
            for x in bullet.left_out
        ],
        DESCRIPTION_MAX - 100,
    )
    embed = _embed(f"Why bullet {reply.number} of {reply.of}", "\n".join(lines))
    # Footers show no markdown, but the title may quote a topic: mentions stay broken.
    footer = no_mentions(f"{reply.title} · {why_stamp(reply)} · {FOOTER}")
    embed.set_footer(text=shorten(footer, FOOTER_MAX))
    return [Message(embeds=[embed])]


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
        outlet = outlet_label(article)
        by = f"{md(shorten(outlet, 40))}, " if outlet else ""
        line = f"`{article.id}` {link} — {by}{when}"
        if len("\n".join([*lines, line])) > DESCRIPTION_MAX - 200:
            break
        lines.append(line)
    embed = _embed(heading, "\n".join(lines))
    shown = len(lines)
    if not reply.query and reply.total > shown:
        embed.set_footer(
            text=f"Newest {shown} of {reply.total} · "
            + (spell("articles [query]", SPELLING) or "")
            + " searches them"
        )
    else:
        embed.set_footer(text=(spell("summarize <id|url>", SPELLING) or "") + " summarizes one")
    return [Message(embeds=[embed])]


def help_messages(reply: HelpReply) -> list[Message]:
    """Help as an embed: one field per command (usage spelled as typed in Discord, what it
    does with its line breaks)."""
    if not reply.entries:
        body = _cut_lines(notice_md(hints(reply.text)), DESCRIPTION_MAX - 200)
        return [Message(embeds=[_embed("briefbot help", body)])]
    embed = _embed("briefbot help", md_shortened(reply.title, DESCRIPTION_MAX))
    for usage, what in reply.entries[:25]:
        spelled = spell(usage, SPELLING) or usage
        embed.add_field(
            name=shorten(spelled, FIELD_NAME_MAX),
            value=_cut_lines(notice_md(hints(what)), FIELD_VALUE_MAX),
            inline=False,
        )
    return [Message(embeds=[embed], menus="" if reply.menus else None)]


def sources_messages(reply: SourcesReply) -> list[Message]:
    """Every source of a briefing, one field per bullet (each source linked, with the
    sentence stating it, then the story's other reports as "Also covered by"), cut to
    Discord's limits."""
    embed = _embed(f"Sources · {reply.title}", "")
    total = len(embed.title or "")
    for number, bullet in enumerate(reply.bullets[:25], 1):
        lines = []
        for source in bullet.sources:
            said = f" — “{md_shortened(source.evidence, 300)}”" if source.evidence else ""
            lines.append(f"↳ {source_link(source)}{said}")
        if bullet.coverage:  # the story's other reports do not state this bullet: apart
            lines.append(f"{COVERED}: " + _links(bullet.coverage, 300))
        value = _cut_lines("\n".join(lines) or "(no source recorded)", FIELD_VALUE_MAX)
        # Field names show markdown and mention syntax like any text: escaped as bullets are.
        name = _cut(f"{number}. {md(bullet.text)}", FIELD_NAME_MAX)
        if total + len(name) + len(value) > MESSAGE_CHARS - 100:
            break
        total += len(name) + len(value)
        embed.add_field(name=name, value=value, inline=False)
    return [Message(embeds=[embed])]


def undo_messages(reply: UndoReply) -> list[Message]:
    """The unsubscribe notice with an Undo button (custom id `bb:undo:ID:DEADLINE`)."""
    message = notice_messages(reply.text, reply.by)[0]
    until = int(reply.until.timestamp())
    message.buttons = [Button("Undo", f"bb:undo:{reply.subscription}:{until}", "primary")]
    return [message]


def notice_messages(text: str, by: str = "") -> list[Message]:
    """A notice; `by`, a user id, is mentioned in front of it and is all it may notify."""
    text = hints(text)
    if by.isdigit():
        return [
            Message(
                content=_cut_lines(f"<@{by}> {notice_md(text)}", CONTENT_MAX),
                allowed_mentions=only(by),
            )
        ]
    return [Message(content=_cut_lines(notice_md(f"{by} {text}" if by else text), CONTENT_MAX))]


def error_messages(message: str) -> list[Message]:
    """A user error: one short plain line."""
    return [Message(content=_cut_lines(f"⚠️ {notice_md(hints(message))}", CONTENT_MAX))]


def render(reply: Reply) -> list[Message]:
    """Render any core reply as Discord messages."""
    if isinstance(reply, BriefingReply):
        messages = briefing_messages(reply.briefing, reply.actions)
        if reply.mention and reply.mention.isdigit():
            # The one role a digest may ping (`mention:@role`): named, and allowed alone.
            first = messages[0]
            first.content = f"<@&{reply.mention}>" + (f"\n{first.content}" if first.content else "")
            first.allowed_mentions = discord.AllowedMentions(
                everyone=False,
                users=False,
                roles=[discord.Object(id=int(reply.mention))],
                replied_user=False,
            )
        return messages
    if isinstance(reply, SourcesReply):
        return sources_messages(reply)
    if isinstance(reply, UndoReply):
        return undo_messages(reply)
    if isinstance(reply, ArticlesReply):
        return articles_messages(reply)
    if isinstance(reply, WhyReply):
        return why_messages(reply)
    if isinstance(reply, HelpReply):
        return help_messages(reply)
    if isinstance(reply, NoticeReply):
        return notice_messages(reply.text, reply.by)
    if isinstance(reply, ErrorReply):
        messages = error_messages(reply.message)
        if reply.retry is not None:
            messages[0].menus = reply.retry.topic or ""
        return messages
    raise TypeError(f"cannot render {type(reply).__name__}")


def thread_head(reply: BriefingReply) -> list[Message]:
    """A threaded digest's top-level line: its title, how many stories (they follow in the
    thread), its buttons, and the role it pings if any."""
    count = len(reply.briefing.bullets)
    noun = "story" if count == 1 else "stories"
    embed = _embed(reply.briefing.title, f"{count} {noun}, with their sources, in the thread.")
    messages = render(dataclasses.replace(reply, thread=False))
    head = Message(
        content=messages[0].content if reply.mention else None,
        embeds=[embed],
        allowed_mentions=messages[0].allowed_mentions if reply.mention else nobody(),
        buttons=buttons_for(reply.actions),
    )
    if head.content:
        head.content = head.content.split("\n", 1)[0]  # the mention alone, no notes
    return [head]
