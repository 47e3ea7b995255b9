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

from bot.commands import (
    Actions,
    ArticlesReply,
    BriefingReply,
    BriefRequest,
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
    ELLIPSIS,
    NO_EVIDENCE,
    WHY_NONE_LEFT,
    briefing_stamp,
    lang_mark,
    outlet_label,
    shared_sources,
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
# How Slack users type the commands (bot.hints): `/articles nato`.
SPELLING = Spelling(prefix="/")
# Button and menu action ids (adapters.slack.app answers them).
MORE, SOURCES, UNSUBSCRIBE, UNDO, BULLETS, WINDOW = (
    "bb_more",
    "bb_sources",
    "bb_unsub",
    "bb_undo",
    "bb_bullets",
    "bb_window",
)
PICK_BLOCK = "bb_pick:"  # + the topic, in the menus' block_id (at most 255 characters)
BULLET_CHOICES = (3, 5, 10)
WINDOW_CHOICES = ("24h", "7d", "2w", "all")


def hints(text: str) -> str:
    """Core text with its command hints spelled as Slack users type them."""
    return name_hints(text, SPELLING)


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


def briefing_message(briefing: Briefing, actions: Actions | None = None) -> Message:
    """A briefing as header, stamp, and a section plus a sources line per bullet (one line
    after the bullets when they share their sources, `shared_sources`), then its buttons."""
    shared = shared_sources(briefing)
    buttons = action_blocks(actions)
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
        {
            "type": "context",
            "elements": [_mrkdwn(_shorten_escaped(hints(n), CONTEXT_MAX, notice_literal))],
        }
        for n in briefing.notes[:2]
    ]
    blocks = list(head)
    shown = 0
    tail = _bullet_blocks(shared)[1:] if shared is not None else []
    for bullet in briefing.bullets:
        more = _bullet_blocks(bullet)
        if shared is not None:
            more = more[:-1]  # the shared sources line comes once, after the bullets
        left_after = len(briefing.bullets) - shown - 1
        # Keep room for the "left out" note whenever bullets would remain.
        note_room = (1 if left_after else 0) + len(notes) + len(buttons) + len(tail)
        note_chars = (80 if left_after else 0) + _block_chars(notes) + _block_chars(tail)
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
    blocks.extend(tail)
    blocks.extend(notes)
    blocks.extend(buttons)
    lines = [f"• {b.text}" for b in briefing.bullets[:shown]]
    return {"text": _fallback(briefing.title, lines), "blocks": blocks}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def action_blocks(actions: Actions | None) -> list[Block]:
    """More and Sources (and, on a digest, Unsubscribe) buttons; values are the briefing's
    ref or the subscription id (state lives in the database, `bot.buttons`)."""
    if actions is None:
        return []
    elements = [_button("More", MORE, actions.ref), _button("Sources", SOURCES, actions.ref)]
    if actions.subscription is not None:
        unsubscribe = _button("Unsubscribe", UNSUBSCRIBE, str(actions.subscription), "danger")
        unsubscribe["confirm"] = {
            "title": {"type": "plain_text", "text": "Stop this digest?"},
            "text": {"type": "plain_text", "text": "You can undo it for a minute."},
            "confirm": {"type": "plain_text", "text": "Unsubscribe"},
            "deny": {"type": "plain_text", "text": "Keep it"},
        }
        elements.append(unsubscribe)
    return [{"type": "actions", "block_id": "bb_actions", "elements": elements}]


def menu_blocks(request: BriefRequest | None) -> list[Block]:
    """Menus for a briefing with a click: how many bullets, and which window (the topic, if
    any, rides in the block_id; none if it does not fit)."""
    topic = (request.topic if request else None) or ""
    if len(PICK_BLOCK) + len(topic) > 255:
        return []

    def select(action_id: str, placeholder: str, values: tuple[object, ...]) -> Block:
        return {
            "type": "static_select",
            "action_id": action_id,
            "placeholder": {"type": "plain_text", "text": placeholder},
            "options": [
                {"text": {"type": "plain_text", "text": str(v)}, "value": str(v)} for v in values
            ],
        }

    return [
        {
            "type": "actions",
            "block_id": PICK_BLOCK + topic,
            "elements": [
                select(BULLETS, "Brief me: bullets", BULLET_CHOICES),
                select(WINDOW, "Brief me: window", WINDOW_CHOICES),
            ],
        }
    ]


def sources_message(reply: SourcesReply) -> Message:
    """Every source of a briefing, bullet by bullet, each linked with the sentence that
    states the bullet, then the story's other reports ("Also covered by"); cut (saying how
    many) to fit one message."""
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": shorten(plain(f"Sources · {reply.title}"), HEADER_MAX),
            },
        }
    ]
    for number, bullet in enumerate(reply.bullets, 1):
        lines = [f"*{number}.* " + _shorten_escaped(bullet.text, 600)]
        for source in bullet.sources:
            said = " — “" + _shorten_escaped(source.evidence, 400) + "”" if source.evidence else ""
            lines.append(f"↳ {source_link(source)}{said}")
        if bullet.coverage:  # the story's other reports do not state this bullet: apart
            lines.append(_sources_line(bullet.coverage, COVERED))
        text = _cut("\n".join(lines), SECTION_MAX)
        if len(blocks) + 2 > MAX_BLOCKS or _block_chars(blocks) + len(text) > TEXT_BUDGET:
            left = len(reply.bullets) - number + 1
            note = f"_and {left} more, left out to fit one message._"
            blocks.append({"type": "context", "elements": [_mrkdwn(note)]})
            break
        blocks.append({"type": "section", "text": _mrkdwn(text)})
    return {"text": _fallback(f"Sources · {reply.title}", []), "blocks": blocks}


def undo_message(reply: UndoReply) -> Message:
    """The unsubscribe notice with an Undo button (value `id:deadline`, Unix seconds)."""
    message = notice_message(reply.text, reply.by)
    value = f"{reply.subscription}:{int(reply.until.timestamp())}"
    button = _button("Undo", UNDO, value)
    message["blocks"].append(
        {
            "type": "actions",
            "block_id": "bb_undo",
            "elements": [button],
        }
    )
    return message


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
                        hints(
                            f"Newest {shown} of {reply.total}. `articles [query]` searches "
                            "them; `summarize <id|url>` summarizes one."
                        )
                    )
                ],
            }
        )
    else:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn(
                        hints(
                            "`summarize <id|url>` summarizes one; `brief [topic]` briefs on a "
                            "topic."
                        )
                    )
                ],
            }
        )
    lines = [f"{a.id} {a.title}" for a in reply.articles]
    return {"text": _fallback(title, lines), "blocks": blocks[:MAX_BLOCKS]}


def help_message(reply: HelpReply) -> Message:
    """Help as a header and one section per command (usage, then what it does, line breaks
    kept), every command spelled as typed in Slack; menus for a briefing with a click."""
    blocks: list[Block] = []
    if reply.title:
        blocks.append(
            {"type": "section", "text": _mrkdwn(_shorten_escaped(reply.title, SECTION_MAX))}
        )
    for usage, what in reply.entries:
        spelled = spell(usage, SPELLING) or usage
        body = _lines(hints(what), SECTION_MAX - len(spelled) - 8, notice_literal)
        blocks.append({"type": "section", "text": _mrkdwn(f"`{escape(spelled)}`\n{body}")})
    if reply.entries:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    _mrkdwn("Or mention me with the same words: `@briefbot brief ukraine 3`.")
                ],
            }
        )
    else:  # help text without entries: its lines, as they are
        body = _lines(reply.text, SECTION_MAX - 8, escape)
        blocks.append({"type": "section", "text": _mrkdwn(f"```{body}```")})
    if reply.menus:
        blocks.extend(menu_blocks(None))
    return {"text": _cut(escape(hints(reply.text)), FALLBACK_MAX), "blocks": blocks[:MAX_BLOCKS]}


def _lines(text: str, limit: int, clean: Callable[[str], str] = literal) -> str:
    """Clean each line (spaces inside a line collapsed, line breaks kept), then cut the
    whole to `limit` escaped characters."""
    cleaned = "\n".join(clean(" ".join(line.split())) for line in text.splitlines())
    return _cut_keeping_lines(cleaned, limit)


def _cut_keeping_lines(escaped: str, limit: int) -> str:
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 0
    for line in escaped.splitlines():
        if used + len(line) + 1 > limit - 1:
            room = limit - used - 1
            if room > 20:
                kept.append(_cut(line, room))
            else:
                kept.append(ELLIPSIS)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def mention(user: str) -> str:
    """A live mention of a Slack user id (`U…`/`W…`); anything else as literal text."""
    return f"<@{user}>" if _USER_ID.match(user) else literal(user)


def notice_message(text: str, by: str = "") -> Message:
    """A short notice (who subscribed the channel, a digest list): plain mrkdwn lines.

    `by`, a Slack user id, is shown as a live mention in front of the text (the doer);
    the text itself is escaped, so nothing in it can mention anyone.
    """
    who = f"{mention(by)} " if by else ""
    text = hints(text)
    lines = _lines(text, MAX_BLOCKS * SECTION_MAX, notice_literal).splitlines() or [""]
    # Line breaks kept: as many sections as the lines need, each under Slack's limit.
    sections: list[str] = []
    for line in lines:
        line = _cut(line, SECTION_MAX - len(who) - 1)
        if sections and len(sections[-1]) + len(line) + 1 <= SECTION_MAX - len(who):
            sections[-1] += "\n" + line
        else:
            sections.append(line)
    sections[0] = who + sections[0]
    return {
        "text": _cut(who + notice_literal(text), FALLBACK_MAX),
        "blocks": [{"type": "section", "text": _mrkdwn(t)} for t in sections[: MAX_BLOCKS - 1]],
    }


def error_message(message: str, retry: BriefRequest | None = None) -> Message:
    """A user error: one short section (line breaks kept, hints spelled for Slack), and for
    an empty briefing the menus to try other bullets or another window."""
    message = hints(message)
    body = _lines(message, SECTION_MAX - 12, notice_literal)
    blocks: list[Block] = [{"type": "section", "text": _mrkdwn(f":warning: {body}")}]
    if retry is not None:
        blocks.extend(menu_blocks(retry))
    return {"text": _cut(notice_literal(message), FALLBACK_MAX), "blocks": blocks}


def render(reply: Reply) -> Message:
    """Render any core reply as a Slack message."""
    if isinstance(reply, BriefingReply):
        return briefing_message(reply.briefing, reply.actions)
    if isinstance(reply, ArticlesReply):
        return articles_message(reply)
    if isinstance(reply, WhyReply):
        return why_message(reply)
    if isinstance(reply, HelpReply):
        return help_message(reply)
    if isinstance(reply, NoticeReply):
        return notice_message(reply.text, reply.by)
    if isinstance(reply, ErrorReply):
        return error_message(reply.message, reply.retry)
    if isinstance(reply, SourcesReply):
        return sources_message(reply)
    if isinstance(reply, UndoReply):
        return undo_message(reply)
    raise TypeError(f"cannot render {type(reply).__name__}")


def thread_head(reply: BriefingReply) -> Message:
    """A threaded digest's top-level line: its title, how many stories, and its buttons
    (the stories and their sources follow in the thread)."""
    briefing = reply.briefing
    count = len(briefing.bullets)
    noun = "story" if count == 1 else "stories"
    line = f"*{_shorten_escaped(briefing.title, 300)}* · {count} {noun}, in the thread"
    return {
        "text": _fallback(briefing.title, []),
        "blocks": [{"type": "section", "text": _mrkdwn(line)}, *action_blocks(reply.actions)],
    }
