"""Real stand-ins for the outside world: article text, web pages, feeds and a web server.

Nothing here imitates briefbot's own code; these build the inputs briefbot reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape


@dataclass(frozen=True)
class Story:
    """A made-up news story: a headline and its paragraphs."""

    title: str
    paragraphs: tuple[str, ...]

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


HARBOUR = Story(
    "Northport harbour bridge reopens after storm repairs",
    (
        "The Northport harbour bridge reopened to traffic on Monday after eleven weeks of "
        "repairs to storm damage, city engineers said.",
        "Engineers replaced forty steel cables and rebuilt the eastern approach, which had been "
        "undermined when the February storm surge flooded the waterfront district.",
        "Mayor Elena Varga told reporters the repairs finished two weeks ahead of schedule and "
        "about three million crowns under the original budget.",
        "Ferry operators, who carried most commuters across the harbour while the bridge was "
        "closed, said passenger numbers had already fallen back to normal levels.",
        "The city council will debate on Thursday whether to fund a permanent sea wall along "
        "the waterfront, a project engineers estimate would take four years to build.",
        "Residents of the waterfront district have asked the council for compensation, saying "
        "the closure cost local shops a large share of their spring trade.",
        "A spokesman for the transport authority said bus routes that were diverted during the "
        "closure would return to their usual timetables from the start of next month.",
    ),
)

HARVEST = Story(
    "Plains farmers bring in record wheat harvest",
    (
        "Farmers across the southern plains brought in a record wheat harvest this autumn, the "
        "national grain board reported on Tuesday.",
        "The board estimated the crop at nineteen million tonnes, about twelve percent more than "
        "last year, helped by a mild spring and late summer rain.",
        "Grain prices at the Riverside exchange fell for a third straight week as buyers "
        "expected storage silos to fill before the end of the month.",
        "Cooperative leaders warned that rail freight capacity could become the main bottleneck, "
        "since many wagons are still carrying last season's maize to the coast.",
        "The agriculture minister promised emergency grants for temporary storage and said the "
        "government would review freight contracts with the rail company.",
        "Millers welcomed the large crop but cautioned that protein levels in some regions were "
        "lower than usual, which could affect bread flour quality.",
        "Economists said the bumper crop should ease food inflation over the winter, although "
        "the effect on supermarket prices may take several months to appear.",
    ),
)

CHESS = Story(
    "Teenage chess prodigy wins national championship",
    (
        "Fifteen-year-old Mira Okonkwo won the national chess championship on Sunday, becoming "
        "the youngest champion in the tournament's ninety-year history.",
        "Okonkwo beat the defending champion in a tense final game that lasted more than six "
        "hours and ended when her opponent resigned in a lost rook endgame.",
        "Her coach said she had prepared an unusual opening line for the final round after "
        "studying her opponent's games from the previous three seasons.",
        "The chess federation said the victory qualifies Okonkwo for the continental "
        "championship next spring, where she will play for the national team.",
        "Club organisers reported a surge in junior memberships during the tournament, as "
        "school pupils followed the games on live broadcasts.",
        "Okonkwo told reporters she would spend the next month resting and catching up with "
        "her school work before returning to training.",
        "The federation plans to stage an exhibition match in her home town next month, with "
        "proceeds going to chess programmes in local primary schools.",
    ),
)

VOLCANO = Story(
    "Scientists upgrade monitoring on restless Mount Kesra volcano",
    (
        "Scientists have installed twelve new seismic stations around Mount Kesra after a swarm "
        "of small earthquakes shook villages on the volcano's northern slopes.",
        "The geological survey said the swarm, which began three weeks ago, was consistent with "
        "magma moving several kilometres beneath the summit crater.",
        "Officials raised the alert level to yellow but said there was no immediate sign of an "
        "eruption and no need for residents to leave their homes.",
        "Satellite measurements show the summit has risen by about four centimetres since the "
        "start of the year, a sign of pressure building underground.",
        "Local schools held evacuation drills on Friday and the regional government published "
        "updated maps of the safest routes away from the mountain.",
        "Tour operators said bookings for summit hikes had been cancelled until the survey "
        "lowers the alert level again.",
        "The survey said it would publish daily bulletins on the swarm and hold a public "
        "meeting in the largest village on Wednesday evening to answer questions.",
    ),
)

STORIES = (HARBOUR, HARVEST, CHESS, VOLCANO)


def make_article_text(title: str, paragraphs: Sequence[str], *, front_matter: str = "") -> str:
    """A plain-text article: the headline, a blank line, then one paragraph per block."""
    head = f"---\n{front_matter.strip()}\n---\n" if front_matter else ""
    return head + title + "\n\n" + "\n\n".join(paragraphs) + "\n"


def story_text(story: Story) -> str:
    """A plain-text article file for a story."""
    return make_article_text(story.title, story.paragraphs)


def make_article_html(title: str, paragraphs: Sequence[str], *, site: str = "Test Herald") -> str:
    """A web page with navigation furniture around one article."""
    body = "\n".join(f"      <p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>{escape(title)} | {escape(site)}</title>
    <meta property="og:site_name" content="{escape(site)}">
    <meta property="og:title" content="{escape(title)}">
  </head>
  <body>
    <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
    <article>
      <h1>{escape(title)}</h1>
{body}
    </article>
    <footer><p>Copyright {escape(site)}. All rights reserved.</p></footer>
  </body>
</html>
"""


def story_html(story: Story, *, site: str = "Test Herald") -> str:
    """A web page for a story."""
    return make_article_html(story.title, story.paragraphs, site=site)


@dataclass(frozen=True)
class FeedEntry:
    """One item of an RSS or Atom feed."""

    title: str
    link: str
    summary: str = ""
    content_html: str = ""
    published: datetime | None = None
    guid: str | None = None  # default: the link


def make_rss(title: str, link: str, entries: Sequence[FeedEntry]) -> str:
    """An RSS 2.0 document."""
    items = []
    for e in entries:
        parts = [f"<title>{escape(e.title)}</title>", f"<link>{escape(e.link)}</link>"]
        parts.append(f"<guid>{escape(e.guid or e.link)}</guid>")
        if e.summary:
            parts.append(f"<description>{escape(e.summary)}</description>")
        if e.content_html:
            parts.append(f"<content:encoded><![CDATA[{e.content_html}]]></content:encoded>")
        if e.published:
            parts.append(f"<pubDate>{format_datetime(e.published)}</pubDate>")
        items.append("    <item>" + "".join(parts) + "</item>")
    joined = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>{escape(title)}</title>
    <link>{escape(link)}</link>
    <description>Test feed</description>
{joined}
  </channel>
</rss>
"""


def make_atom(title: str, link: str, entries: Sequence[FeedEntry]) -> str:
    """An Atom 1.0 document; entries carry their full text as HTML content."""
    items = []
    for e in entries:
        when = (e.published or datetime(2024, 1, 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = [
            f"<title>{escape(e.title)}</title>",
            f'<link rel="alternate" href="{escape(e.link)}"/>',
            f"<id>{escape(e.guid or e.link)}</id>",
            f"<updated>{when}</updated>",
            f"<published>{when}</published>",
        ]
        if e.summary:
            parts.append(f"<summary>{escape(e.summary)}</summary>")
        if e.content_html:
            parts.append(f'<content type="html">{escape(e.content_html)}</content>')
        items.append("  <entry>" + "".join(parts) + "</entry>")
    joined = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(title)}</title>
  <link href="{escape(link)}"/>
  <id>{escape(link)}</id>
  <updated>2024-01-01T00:00:00Z</updated>
{joined}
</feed>
"""


def paragraphs_html(paragraphs: Sequence[str]) -> str:
    """Paragraphs as an HTML fragment, as feeds carry them."""
    return "".join(f"<p>{escape(p)}</p>" for p in paragraphs)


__all__ = [
    "CHESS",
    "HARBOUR",
    "HARVEST",
    "STORIES",
    "VOLCANO",
    "FeedEntry",
    "Story",
    "make_article_html",
    "make_article_text",
    "make_atom",
    "make_rss",
    "paragraphs_html",
    "story_html",
    "story_text",
]
