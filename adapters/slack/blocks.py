"""Block Kit rendering of core replies: pure functions, tested offline.

Slack refuses a message with more than 50 blocks, a header over 150 characters or a section
over 3,000, and (measured) one whose blocks hold more than roughly 12,000 characters of text
(`msg_blocks_too_long`).  A briefing that does not fit is cut at a bullet boundary and says how
many bullets were left out, so a post is never rejected and never ends mid-word.

Nothing from an article, a feed or a user may ping anyone or turn into markup.  Slack parses
`<…>` (mentions `<!channel>`, `<@U…>`, `<#C…>`, `<!subteam^…>`, links `<url|label>`) and
`&` entities in every mrkdwn field *and* in the top-level `text` used for notifications, so
both are escaped the same way (`&amp; &lt; &gt;`, Slack's documented escaping), every mrkdwn
object is `verbatim` (no auto-linking of bare `@here`, `#channel` or URLs) and posts are sent
with `link_names=False`.  Slack has no escape for `*bold*`, `_italic_`, `~strike~` or code
spans, and zero-width characters only work as far as Slack's undocumented parser lets them;
so, as jsx-slack's `<Escape>` does, a marker that could open or close formatting (one not
between two letters or digits, where Slack never formats) becomes a look-alike character
(∗ ˍ ∼ ˋ), which Slack cannot read as markup whatever its parser does.  Headers are
`plain_text`, which Slack does not parse; `plain` still breaks every `<` there.  The one intended
mention, the asker in a notice (`NoticeReply.by`), is the only `<@…>` we write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.commands import ArticlesReply, BriefingReply, ErrorReply, HelpReply, NoticeReply, Reply
from bot.models import Briefing, Bullet, Source
from bot.render import (
    COVERED,
    ELLIPSIS,
    NO_EVIDENCE,
    WHY_NONE_LEFT,
    briefing_stamp,
    lang_mark,
    outlet_label,
    shorten,
    source_label,
    why_heading,
    why_stamp,
)
from bot.textfragment import source_url
from bot.why import WhyReply

Block = dict[str, Any]
Message = dict[str, Any]  # keyword arguments for chat.postMessage / response_url

MAX_BLOCKS = 50
HEADER_MAX = 150
SECTION_MAX = 3000
CONTEXT_MAX = 2000
# Well under the ~12,000 characters of block text at which Slack answers msg_blocks_too_long.
TEXT_BUDGET = 10_000
FALLBACK_MAX = 3000
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}…$")
# A formatting marker unless it sits between two letters or digits (`New_York`, `a*b`).
_MARKERS = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_NOTICE_MARKERS = re.compile(r"(?<![^\W_])[*_~]|[*_~](?![^\W_])")
_LOOKALIKE = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}
_QUOTE = re.compile(r"^&gt;", re.MULTILINE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_WEB_URL = re.compile(r"https?://", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal(text: str, markers: re.Pattern[str] = _MARKERS) -> str:
    """Article, feed or user text as mrkdwn that shows exactly as written: escaped, with
    formatting markers replaced by look-alikes and a leading `>` kept from quoting."""
    escaped = markers.sub(lambda m: _LOOKALIKE[m.group()], escape(text))
    return _QUOTE.sub("\u00ad&gt;", escaped)


def plain(text: str) -> str:
    """Text for a `plain_text` object (headers).  Slack reads no markup there; a zero-width
    space after every `<` keeps mentions and links inert even if Slack ever did."""
    return text.replace("<", "<\u200b")


def notice_literal(text: str) -> str:
    """Core text (notices, errors, notes) that may quote user or feed text: like `literal`,
    but its backtick code spans stay, since the core writes its command hints that way."""
    return literal(text, _NOTICE_MARKERS)


def _cut(escaped: str, limit: int) -> str:
    """Shorten already-escaped text to `limit`, never leaving half an entity."""
    if len(escaped) <= limit:
        return escaped
    # A hard cut (no space near the end) may have split "&amp;" and friends: drop the piece.
    return _PARTIAL_ENTITY.sub(ELLIPSIS, shorten(escaped, limit))


def _shorten_escaped(text: str, limit: int, clean: Callable[[str], str] = literal) -> str:
    """Clean (escape), then shorten so the *escaped* text fits, never splitting an entity."""
    return _cut(clean(" ".join(text.split())), limit)


def source_link(source: Source) -> str:
    """A source as a mrkdwn link `<url|Outlet: title>` (or that label alone without a URL)."""
    title = literal(shorten(source_label(source), 120)).replace("|", "¦")
    target = source_url(source)
    if not target or not _WEB_URL.match(target):
        # Only a web address is written as a link: `<!channel|…>`, `<@U…|…>` would mention,
        # and a front-matter `url:` or a feed file's `<link>` is stored as written.
        return f"_{title}_"
    url = target.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return f"<{url}|{title}>"


def _sources_line(sources: tuple[Source, ...], label: str = "") -> str:
    label = label or ("Source" if len(sources) == 1 else "Sources")
    parts: list[str] = []
    used = len(label) + 2
    for i, source in enumerate(sources):
        link = source_link(source)
        more = len(sources) - i - 1
        reserve = len(f" · and {more} more") if more else 0
        if used + len(link) + 3 + reserve > CONTEXT_MAX:
            parts.append(f"and {len(sources) - i} more")
            break
        parts.append(link)
        used += len(link) + 3
    return f"{label}: " + " · ".join(parts)


def _mrkdwn(text: str) -> Block:
    # verbatim: Slack must not turn bare URLs, #channel or @here in the text into links.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _bullet_blocks(bullet: Bullet) -> list[Block]:
    blocks: list[Block] = []
    if bullet.story:
        story = "*" + _shorten_escaped(bullet.story, SECTION_MAX - 2) + "*"
        blocks.append({"type": "section", "text": _mrkdwn(story)})
    mark = lang_mark(bullet)
    text = "• " + mark + _shorten_escaped(bullet.text, SECTION_MAX - 2 - len(mark))
    blocks.append({"type": "section", "text": _mrkdwn(text)})
    lines = []
    if bullet.sources:
        lines.append(_mrkdwn(_sources_line(bullet.sources)))
    if bullet.coverage:
        lines.append(_mrkdwn(_sources_line(bullet.coverage, COVERED)))
    if lines:
        blocks.append({"type": "context", "elements": lines})
    return blocks


def _block_chars(blocks: list[Block]) -> int:
    total = 0
    for block in blocks:
        if "text" in block:
            total += len(block["text"]["text"])
        for element in block.get("elements", ()):
            total += len(element.get("text", ""))
    return total


def _fallback(title: str, lines: list[str]) -> str:
    """Text for notifications and clients that cannot show blocks, escaped like the blocks
    (Slack parses mentions and links in it too)."""
    text = "\n".join(literal(t) for t in [title, *lines])
    return _cut(text, FALLBACK_MAX)


def briefing_message(briefing: Briefing) -> Message:
    """A briefing as header, stamp, and a section plus a sources line per bullet."""
    head = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": shorten(plain(briefing.title), HEADER_MAX),
                "emoji": True,
            },
        },
        {"type": "context", "elements": [_mrkdwn(escape(briefing_stamp(briefing)))]},
    ]
    notes = [
        {"type": "context", "elements": [_mrkdwn(_shorten_escaped(n, CONTEXT_MAX, notice_literal))]}
        for n in briefing.notes[:2]
    ]
    blocks = list(head)
    shown = 0
    for bullet in briefing.bullets:
        more = _bullet_blocks(bullet)
        left_after = len(briefing.bullets) - shown - 1
        # Keep room for the "left out" note whenever bullets would remain.
        note_room = (1 if left_after else 0) + len(notes)
        note_chars = (80 if left_after else 0) + _block_chars(notes)
        if (
            len(blocks) + len(more) + note_room > MAX_BLOCKS
            or _block_chars(blocks) + _block_chars(more) + note_chars > TEXT_BUDGET
        ):
            break
        blocks.extend(more)
        shown += 1
    left_out = len(briefing.bullets) - shown
    if left_out:
        noun = "bullet" if left_out == 1 else "bullets"
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn(f"_{left_out} more {noun} left out to fit one message; ask for fewer._")
                ],
            }
        )
    if not briefing.bullets:
        blocks.append({"type": "section", "text": _mrkdwn("Nothing to report.")})
    blocks.extend(notes)
    lines = [f"• {b.text}" for b in briefing.bullets[:shown]]
    return {"text": _fallback(briefing.title, lines), "blocks": blocks}


# Characters of one source's sentence, or one left-out report's reason, shown in `brief why`.
WHY_LINE_MAX = 1200


def why_message(reply: WhyReply) -> Message:
    """`brief why N`: the bullet, each source with the sentence that states it, and the
    story's reports left out with the reason; cut (saying how many) to fit one message."""
    bullet = reply.bullet
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": shorten(plain(f"Why bullet {reply.number} of {reply.of}"), HEADER_MAX),
                "emoji": True,
            },
        },
        {
            "type": "context",
            "elements": [
                _mrkdwn(_shorten_escaped(f"{reply.title} · {why_stamp(reply)}", CONTEXT_MAX))
            ],
        },
        {"type": "section", "text": _mrkdwn("• " + _shorten_escaped(bullet.text, SECTION_MAX - 2))},
    ]

    def lines(heading: str, items: list[str], empty: str, budget: int) -> None:
        """A heading, then one section per item while blocks and text fit `budget`."""
        blocks.append({"type": "section", "text": _mrkdwn(heading)})
        if not items:
            blocks.append({"type": "context", "elements": [_mrkdwn(escape(empty))]})
        for i, item in enumerate(items):
            if len(blocks) + 4 > MAX_BLOCKS or _block_chars(blocks) + len(item) > budget:
                note = f"_and {len(items) - i} more, left out to fit one message._"
                blocks.append({"type": "context", "elements": [_mrkdwn(note)]})
                return
            blocks.append({"type": "section", "text": _mrkdwn(item)})

    stated = [
        source_link(s)
        + "\n"
        + (
            "“" + _shorten_escaped(s.evidence, WHY_LINE_MAX) + "”"
            if s.evidence
            else f"_{NO_EVIDENCE}_"
        )
        for s in bullet.sources
    ]
    # Sources first: they may use 60% of the text budget, the reports left out the rest.
    lines(f"*Stated by ({len(bullet.sources)})*", stated, "No source recorded.", 6_000)
    left = [
        f"{source_link(x.source)}\n{_shorten_escaped(x.reason, WHY_LINE_MAX)}"
        for x in bullet.left_out
    ]
    lines(f"*Left out ({len(bullet.left_out)})*", left, WHY_NONE_LEFT, TEXT_BUDGET - 200)
    heading = why_heading(reply)
    return {"text": _fallback(heading, [f"• {bullet.text}"]), "blocks": blocks}


def articles_message(reply: ArticlesReply) -> Message:
    """The article list: one line per article, id first, linked title."""
    if not reply.articles:
        text = "No articles stored yet. An operator can add some with `briefbot ingest PATH|URL`."
        return {"text": text, "blocks": [{"type": "section", "text": _mrkdwn(text)}]}
    title = f"Articles matching “{reply.query}”" if reply.query else "Newest articles"
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": shorten(plain(title), HEADER_MAX),
                "emoji": True,
            },
        }
    ]
    chunk: list[str] = []
    size = 0
    for article in reply.articles:
        when = (article.published_at or article.ingested_at).strftime("%Y-%m-%d")
        source = Source(article.id, article.title, article.url)
        outlet = outlet_label(article)
        by = f"{literal(shorten(outlet, 40))}, " if outlet else ""
        line = f"`{article.id}` {source_link(source)} — {by}{when}"
        if size + len(line) + 1 > SECTION_MAX:
            blocks.append({"type": "section", "text": _mrkdwn("\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
    if chunk:
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(chunk))})
    shown = len(reply.articles)
    if not reply.query and reply.total > shown:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn(
                        f"Newest {shown} of {reply.total}. `/articles QUERY` searches them; "
                        "`/summarize ID` summarizes one."
                    )
                ],
            }
        )
    else:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn("`/summarize ID` summarizes one; `/brief TOPIC` briefs on a topic.")
                ],
            }
        )
    lines = [f"{a.id} {a.title}" for a in reply.articles]
    return {"text": _fallback(title, lines), "blocks": blocks[:MAX_BLOCKS]}


SLACK_USAGE = (
    "In Slack: `/brief [topic] [N] [since]`, `/brief why N`, `/summarize <id|url> [N]`, "
    "`/articles [query]`, `/brief help`, or mention me: `@briefbot brief ukraine 3`."
)


def help_message(text: str) -> Message:
    """Help text in a code block (it is aligned), with the Slack spellings first."""
    body = _shorten_escaped(text, SECTION_MAX - 8, escape)
    return {
        "text": _cut(escape(text), FALLBACK_MAX),
        "blocks": [
            {"type": "section", "text": _mrkdwn(SLACK_USAGE)},
            {"type": "section", "text": _mrkdwn(f"```{body}```")},
        ],
    }


def mention(user: str) -> str:
    """A live mention of a Slack user id (`U…`/`W…`); anything else as literal text."""
    return f"<@{user}>" if _USER_ID.match(user) else literal(user)


def notice_message(text: str, by: str = "") -> Message:
    """A short notice (who subscribed the channel, a digest list): plain mrkdwn lines.

    `by`, a Slack user id, is shown as a live mention in front of the text (the doer);
    the text itself is escaped, so nothing in it can mention anyone.
    """
    who = f"{mention(by)} " if by else ""
    body = who + _shorten_escaped(text, SECTION_MAX - len(who), notice_literal)
    return {
        "text": _cut(who + notice_literal(text), FALLBACK_MAX),
        "blocks": [{"type": "section", "text": _mrkdwn(body)}],
    }


def error_message(message: str) -> Message:
    """A user error: one short section."""
    body = _shorten_escaped(message, SECTION_MAX - 12, notice_literal)
    return {
        "text": _cut(notice_literal(message), FALLBACK_MAX),
        "blocks": [{"type": "section", "text": _mrkdwn(f":warning: {body}")}],
    }


def render(reply: Reply) -> Message:
    """Render any core reply as a Slack message."""
    if isinstance(reply, BriefingReply):
        return briefing_message(reply.briefing)
    if isinstance(reply, ArticlesReply):
        return articles_message(reply)
    if isinstance(reply, WhyReply):
        return why_message(reply)
    if isinstance(reply, HelpReply):
        return help_message(reply.text)
    if isinstance(reply, NoticeReply):
        return notice_message(reply.text, reply.by)
    if isinstance(reply, ErrorReply):
        return error_message(reply.message)
    raise TypeError(f"cannot render {type(reply).__name__}")
