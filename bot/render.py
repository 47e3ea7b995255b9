"""Render replies as plain text, Markdown or JSON: pure functions, no I/O."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from .commands import ArticlesReply, BriefingReply, ErrorReply, HelpReply, NoticeReply, Reply
from .hints import CLI, Spelling, name_hints
from .models import Article, Briefing, Bullet, Source
from .textfragment import source_url
from .why import WhyReply

BULLET = "•"
ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, marking the cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def briefing_to_dict(briefing: Briefing) -> dict[str, Any]:
    """Return the briefing in its documented JSON shape."""
    return {
        "title": briefing.title,
        "generated_at": briefing.generated_at.isoformat(),
        "topic": briefing.topic,
        "bullets": [
            {
                "text": bullet.text,
                "sources": [_source_dict(s) for s in bullet.sources],
                "coverage": [_source_dict(s) for s in bullet.coverage],
                "story": bullet.story,
                **({"lang": bullet.lang} if bullet.lang else {}),
            }
            for bullet in briefing.bullets
        ],
    }


def _source_dict(source: Source) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "id": source.id,
        "title": source.title,
        "url": source.url,
        "outlet": source.outlet,
    }
    if source.evidence is not None:
        shape["evidence"] = source.evidence
    return shape


def briefing_stamp(briefing: Briefing) -> str:
    """When the briefing was made, and from how many articles."""
    when = briefing.generated_at.strftime("%d %b %Y %H:%M %Z").strip()
    if briefing.article_count > 1:
        return f"{when} · from {briefing.article_count} articles"
    return when


def source_label(source: Source) -> str:
    """`Outlet: headline` (plain text, for renderers to escape), or the headline alone when
    the outlet is unknown or the headline already starts with it."""
    outlet = " ".join((source.outlet or "").split())
    if not outlet or source.title.casefold().startswith(outlet.casefold()):
        return source.title
    return f"{outlet}: {source.title}"


def outlet_label(article: Article) -> str:
    """Who published an article, for lists: its outlet, else its link's host, else nothing
    (never a file's name)."""
    if article.outlet:
        return article.outlet
    if article.url:
        try:
            host = urlsplit(article.url).hostname or ""
        except ValueError:
            host = ""
        return host.removeprefix("www.")
    return ""


def _source_text(source: Source) -> str:
    label = f"[{source.id}] {source_label(source)}" if source.id else source_label(source)
    url = source_url(source)
    return f"{label} <{url}>" if url else label


COVERED = "Also covered by"


def _sources_lines(bullet: Bullet) -> list[str]:
    label = "Source" if len(bullet.sources) == 1 else "Sources"
    lines = [f"  {label}: " + "; ".join(_source_text(s) for s in bullet.sources)]
    if bullet.coverage:
        lines.append(f"  {COVERED}: " + "; ".join(_source_text(s) for s in bullet.coverage))
    return lines


def lang_mark(bullet: Bullet) -> str:
    """ "(de) " before a bullet of a briefing that mixes languages; "" otherwise."""
    return f"({bullet.lang}) " if bullet.lang else ""


def shared_sources(briefing: Briefing) -> Bullet | None:
    """When two or more bullets all have the same sources and coverage (a one-article
    summary), a bullet carrying just those, so renderers show them once, under the last
    bullet, instead of under every sentence; else None."""
    bullets = briefing.bullets
    if len(bullets) < 2:
        return None
    first = bullets[0]
    if not first.sources or any(
        b.sources != first.sources or b.coverage != first.coverage for b in bullets[1:]
    ):
        return None
    return Bullet("", first.sources, coverage=first.coverage)


def briefing_text(briefing: Briefing, spelling: Spelling = CLI) -> str:
    """Plain text: a title, then each bullet on its own line with its sources under it (once,
    after the bullets, when they all share them: see `shared_sources`)."""
    lines = [briefing.title, briefing_stamp(briefing), ""]
    shared = shared_sources(briefing)
    for bullet in briefing.bullets:
        if bullet.story:
            lines.extend(["", bullet.story] if lines[-1] else [bullet.story])
        lines.append(f"{BULLET} {lang_mark(bullet)}{bullet.text}")
        if shared is None:
            lines.extend(_sources_lines(bullet))
    if shared is not None:
        lines.extend(_sources_lines(shared))
    if briefing.notes:
        lines.extend(["", *(name_hints(n, spelling) for n in briefing.notes)])
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _source_markdown(source: Source) -> str:
    title = _md_escape(source_label(source))
    url = source_url(source)
    return f"[{title}]({_md_url(url)})" if url else f"*{title}*"


def _md_url(url: str) -> str:
    # A link destination ends at a space or an unbalanced parenthesis (CommonMark 6.3).
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def briefing_markdown(briefing: Briefing) -> str:
    """Markdown: a heading and a list whose items end with linked sources."""
    lines = [f"## {_md_escape(briefing.title)}", "", f"_{briefing_stamp(briefing)}_", ""]
    shared = shared_sources(briefing)
    for bullet in briefing.bullets:
        if bullet.story:
            heading = f"### {_md_escape(bullet.story)}"
            lines.extend(["", heading] if lines[-1] else [heading])
        if shared is not None:
            lines.append(f"- {_md_escape(bullet.text)}")
            continue
        sources = ", ".join(_source_markdown(s) for s in bullet.sources)
        line = f"- {lang_mark(bullet)}{_md_escape(bullet.text)} — {sources}"
        if bullet.coverage:
            covered = ", ".join(_source_markdown(s) for s in bullet.coverage)
            line += f" _({COVERED}: {covered})_"
        lines.append(line)
    if shared is not None:
        label = "Source" if len(shared.sources) == 1 else "Sources"
        lines.extend(["", f"{label}: " + ", ".join(_source_markdown(s) for s in shared.sources)])
        if shared.coverage:
            covered = ", ".join(_source_markdown(s) for s in shared.coverage)
            lines.append(f"_{COVERED}: {covered}_")
    if briefing.notes:
        lines.extend(["", *(f"_{_md_escape(n)}_" for n in briefing.notes)])
    return "\n".join(lines)


WHY_NONE_LEFT = "None: every report of this story grouped here states it."
NO_EVIDENCE = "(the sentence was not recorded)"


def why_heading(reply: WhyReply) -> str:
    """`Why bullet 2 of 5 · Briefing: top stories`."""
    return f"Why bullet {reply.number} of {reply.of} · {reply.title}"


def why_stamp(reply: WhyReply) -> str:
    """When the explained briefing was made."""
    return reply.made_at.strftime("%d %b %Y %H:%M %Z").strip()


def why_to_dict(reply: WhyReply) -> dict[str, Any]:
    """`brief why N` as JSON: the bullet, its sources (each with `evidence`, the sentence
    stating it) and `left_out`: the story's other reports, each a source with a `reason`."""
    bullet = reply.bullet
    return {
        "bullet": reply.number,
        "of": reply.of,
        "briefing": {"title": reply.title, "generated_at": reply.made_at.isoformat()},
        "text": bullet.text,
        "sources": [_source_dict(s) for s in bullet.sources],
        "left_out": [{**_source_dict(x.source), "reason": x.reason} for x in bullet.left_out],
    }


def why_text(reply: WhyReply) -> str:
    """Plain text: the bullet, each source with its sentence, then what was left out and why."""
    bullet = reply.bullet
    lines = [why_heading(reply), why_stamp(reply), "", f"{BULLET} {bullet.text}", ""]
    lines.append(f"Stated by ({len(bullet.sources)}):")
    for source in bullet.sources:
        lines.append(f"  {_source_text(source)}")
        lines.append(f"    “{source.evidence}”" if source.evidence else f"    {NO_EVIDENCE}")
    lines.append(f"Left out ({len(bullet.left_out)}):" if bullet.left_out else "Left out:")
    if not bullet.left_out:
        lines.append(f"  {WHY_NONE_LEFT}")
    for left in bullet.left_out:
        lines.append(f"  {_source_text(left.source)}")
        lines.append(f"    {left.reason}")
    return "\n".join(lines)


def why_markdown(reply: WhyReply) -> str:
    """Markdown: a heading, the bullet, linked sources with their sentences quoted, and the
    reports left out with reasons."""
    bullet = reply.bullet
    lines = [f"## {_md_escape(why_heading(reply))}", "", f"_{why_stamp(reply)}_", ""]
    lines += [f"> {_md_escape(bullet.text)}", "", f"**Stated by ({len(bullet.sources)})**", ""]
    for source in bullet.sources:
        said = f"“{_md_escape(source.evidence)}”" if source.evidence else NO_EVIDENCE
        lines.append(f"- {_source_markdown(source)}: {said}")
    lines += ["", f"**Left out ({len(bullet.left_out)})**", ""]
    if not bullet.left_out:
        lines.append(f"- {WHY_NONE_LEFT}")
    for left in bullet.left_out:
        lines.append(f"- {_source_markdown(left.source)}: {_md_escape(left.reason)}")
    return "\n".join(lines)


def article_line(article: Article) -> str:
    """One article as `id  date  lang  outlet  title` (lang: ISO 639-1, e.g. "de")."""
    when = (article.published_at or article.ingested_at).strftime("%Y-%m-%d")
    lang = f"{article.lang[:4]:<4}"
    return f"{article.id:>5}  {when}  {lang}  {outlet_label(article)[:24]:<24}  {article.title}"


def articles_text(reply: ArticlesReply) -> str:
    """The article list as aligned text lines."""
    if not reply.articles:
        return "No articles stored yet. Add some with `briefbot ingest PATH|URL`."
    shown = len(reply.articles)
    head = f"{'id':>5}  {'date':<10}  {'lang':<4}  {'outlet':<24}  title"
    lines = [head, *(article_line(a) for a in reply.articles)]
    if not reply.query and reply.total > shown:
        lines.append(f"(newest {shown} of {reply.total}; add a query to search them)")
    return "\n".join(lines)


def render(reply: Reply, fmt: str = "text", spelling: Spelling = CLI) -> str:
    """Render any reply as text, markdown or json; command hints are spelled with `spelling`
    (the command line's by default, see `bot.hints`)."""
    if isinstance(reply, BriefingReply):
        if fmt == "json":
            return json.dumps(briefing_to_dict(reply.briefing), ensure_ascii=False, indent=2)
        if fmt == "markdown":
            return briefing_markdown(reply.briefing)
        return briefing_text(reply.briefing, spelling)
    if isinstance(reply, ArticlesReply):
        if fmt == "json":
            return json.dumps(
                [
                    {
                        "id": a.id,
                        "title": a.title,
                        # Who published it (never a file's name, see `outlet_label`).
                        "source": outlet_label(a),
                        "outlet": a.outlet,
                        "url": a.url,
                        "published_at": a.published_at.isoformat() if a.published_at else None,
                        "ingested_at": a.ingested_at.isoformat(),
                        "lang": a.lang,
                    }
                    for a in reply.articles
                ],
                ensure_ascii=False,
                indent=2,
            )
        return articles_text(reply)
    if isinstance(reply, WhyReply):
        if fmt == "json":
            return json.dumps(why_to_dict(reply), ensure_ascii=False, indent=2)
        return why_markdown(reply) if fmt == "markdown" else why_text(reply)
    if isinstance(reply, HelpReply):
        return name_hints(reply.text, spelling)
    if isinstance(reply, NoticeReply):
        return name_hints(reply.plain(), spelling)
    if isinstance(reply, ErrorReply):
        return name_hints(reply.message, spelling)
    raise TypeError(f"cannot render {type(reply).__name__}")
