"""Text that tries to ping people or inject markup, and a check that nothing in a payload does.

Every mention form Slack or Discord reads (`<!channel>`, `<!here>`, `<!everyone>`, `<@U…>`,
`<#C…>`, `<!subteam^…>`, `<url|label>`, `@everyone`, `@here`, `<@&role>`, `<@id>`, `<#id>`)
and the mrkdwn/markdown markers (`*bold*`, `_it_`, `~strike~`, code spans), in titles, source
names, article text, feed names and topics.  The handed cases come from ../shared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED_CASES = Path(__file__).resolve().parents[2] / ".." / "shared" / "cases" / "realworld"

SLACK_FORMS = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0VICTIM>",
    "<#C0SECRET>",
    "<!subteam^S0TEAM|@oncall>",
    "<https://evil.example/x|click here>",
)
DISCORD_FORMS = ("@everyone", "@here", "<@&555555555555555555>", "<@666666666666666666>", "<#777>")
FORMS = " ".join(SLACK_FORMS + DISCORD_FORMS)
MARKUP = "*loud* _slanted_ ~struck~ `code`"

# What a Slack mrkdwn field must never hold unescaped (the asker's mention is checked apart).
_SLACK_LIVE = re.compile(r"<[!@#]")


def shared_case(name: str) -> Path:
    """The folder of a handed real-world case; skip the test when ../shared is absent."""
    folder = SHARED_CASES / name
    if not folder.is_dir():
        pytest.skip(f"shared case {name} not found at {folder} (../shared is not checked out)")
    return folder


# Each a story of its own (so More has something left), all about the harbour: (name, lead).
HARBOUR_STORIES = (
    ("wall", "The harbour wall will be rebuilt before the winter storms, the board said."),
    ("ferry", "The harbour ferry timetable changes on Monday, with earlier morning crossings."),
    ("market", "The harbour fish market moves to the old warehouse on the quay next spring."),
)


def hostile_harbour_stories(folder: Path, *, title: str, source: str, said: str) -> list[str]:
    """Write HARBOUR_STORIES as Markdown articles in `folder`; their paths.  Each is titled
    "Harbour <name> `title`", its source named `source`, and its text carries FORMS and MARKUP
    and ends "Members called the <name> plan MARKUP and `said`"."""
    paths = []
    for name, lead in HARBOUR_STORIES:
        path = folder / f"{name}.md"
        path.write_text(
            "---\n"
            f"title: Harbour {name} {title}\n"
            f"source: {source}\n"
            f"url: https://example.com/{name}\n"
            "published: 2024-04-30\n"
            "---\n"
            f"{lead} {FORMS} were all written in its minutes.\n"
            f"Members called the {name} plan {MARKUP} and {said}\n",
            encoding="utf-8",
        )
        paths.append(str(path))
    return paths


def hostile_article(folder: Path, name: str = "hostile.md") -> Path:
    """Write an article whose title, source and text carry every mention form and marker."""
    sentences = [
        f"The harbour board met on Monday and {FORMS} were all written in its minutes.",
        f"Members said the plan is {MARKUP} and that the vote will be held next week.",
        "Officials expect the new harbour wall to be finished before the winter storms arrive.",
    ]
    path = folder / name
    path.write_text(
        "---\n"
        f"title: Harbour board {FORMS} {MARKUP}\n"
        f"source: Gazette <!channel> @everyone <@U0VICTIM>\n"
        "url: https://example.com/harbour-board\n"
        "published: 2024-04-30\n"
        "---\n" + "\n".join(sentences) + "\n",
        encoding="utf-8",
    )
    return path


def hostile_feed(base_url: str) -> str:
    """An RSS feed whose title carries every mention form; its entry links to `base_url`."""
    from xml.sax.saxutils import escape

    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(f'Quayside {FORMS} {MARKUP}')}</title><link>{base_url}</link>"
        "<description>invented</description><item><title>Quayside ferry timetable changes"
        f"</title><link>{base_url}ferry</link><description>The ferry timetable changes on "
        "Monday, the operator said after a meeting with the harbour board and the council. "
        "Morning crossings move half an hour earlier and the last evening crossing is dropped "
        "for the winter months.</description></item></channel></rss>"
    )


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value (payloads, blocks, embeds)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def slack_live_mentions(payload: dict[str, Any], asker: str | None = None) -> list[str]:
    """Every unescaped `<!…`, `<@…` or `<#…` in a Slack payload's texts, except one leading
    mention of `asker` (the intended "who did it")."""
    found = []
    for text in strings({k: v for k, v in payload.items() if k in {"text", "blocks"}}):
        if asker and text.startswith(f"<@{asker}> "):
            text = text[len(f"<@{asker}> ") :]
        found.extend(m.group() + text[m.end() : m.end() + 12] for m in _SLACK_LIVE.finditer(text))
    return found


def discord_visible_mentions(payload: dict[str, Any], asker: str | None = None) -> list[str]:
    """Mention syntax that Discord would still show as a mention, except `<@asker>`."""
    live = re.compile(r"@(?:everyone|here)|<@[!&]?\d+>|<#\d+>")
    found = []
    for text in strings({k: v for k, v in payload.items() if k in {"content", "embeds"}}):
        for m in live.finditer(text):
            if asker and m.group() == f"<@{asker}>":
                continue
            found.append(m.group())
    return found
