"""The data that flows through the core, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ArticleDraft:
    """A cleaned article on its way into the store (it has no id yet)."""

    title: str
    text: str
    source: str
    url: str | None = None
    published_at: datetime | None = None
    guid: str | None = None  # a feed entry's id, when it came from a feed
    # Things the ingest summary should tell (a skipped front-matter line, where the headline
    # came from); the article is stored all the same.
    notes: tuple[str, ...] = ()
    # The publication date as the source wrote it, kept even when unreadable or not believed.
    published_raw: str | None = None
    # Who published it ("Reuters"), or None when nothing says (a bare file).
    outlet: str | None = None
    # The language (ISO 639-1: "de"); None until ingest detects it, unless front matter
    # `lang:` or the feed's <language> gave it (see summarizers.languages).
    lang: str | None = None


@dataclass(frozen=True)
class Article:
    """A stored article; `id` is the short number users type."""

    id: int
    title: str
    text: str
    source: str
    url: str | None
    published_at: datetime | None
    ingested_at: datetime
    content_hash: str
    outlet: str | None = None  # who published it; None when unknown
    lang: str = "en"  # ISO 639-1 language code (summarizers.languages)


@dataclass(frozen=True)
class Source:
    """Where a bullet came from."""

    id: int
    title: str
    url: str | None
    # Who published it ("Reuters"), shown as "Reuters: headline"; None when unknown.
    outlet: str | None = None
    # The sentence of this article that states the bullet's fact (None: not recorded).
    evidence: str | None = None


@dataclass(frozen=True)
class LeftOut:
    """A report of a bullet's story that is not among its sources, and the composer's reason
    (e.g. "does not state this fact; its best sentence is over the 45-word cap")."""

    source: Source
    reason: str


@dataclass(frozen=True)
class Bullet:
    """One fact of a briefing, the articles that state it, and the story's other reports."""

    text: str
    sources: tuple[Source, ...]
    # Reports of the same story that do not state this fact; set on a story's first bullet.
    coverage: tuple[Source, ...] = ()
    # The story line (a headline) that opens this bullet's story when a briefing is grouped by
    # story; set on each story's first bullet only.
    story: str | None = None
    # Every report of the story that is not a source of this bullet, with why (`brief why N`).
    left_out: tuple[LeftOut, ...] = ()
    # The bullet's language (ISO 639-1), set only when a briefing's articles mix languages.
    lang: str | None = None


@dataclass(frozen=True)
class Briefing:
    """A titled list of sourced bullets."""

    title: str
    generated_at: datetime
    topic: str | None
    bullets: tuple[Bullet, ...]
    # How many articles were considered: lets renderers say "from 12 articles".
    article_count: int = 0
    # Short lines shown after the bullets, e.g. a digest's feed health.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestResult:
    """What happened to one item handed to ingest."""

    item: str
    # "stored", "copy" (another outlet's copy of a stored article, recorded as its source),
    # "duplicate" (already stored) or "failed"
    status: str
    article: Article | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()  # see ArticleDraft.notes


def copies_phrase(count: int) -> str:
    """'1 another outlet's copy' / '3 other outlets' copies'."""
    return f"{count} another outlet's copy" if count == 1 else f"{count} other outlets' copies"


@dataclass(frozen=True)
class IngestReport:
    """The outcome of an ingest run, for the summary line."""

    results: tuple[IngestResult, ...] = field(default_factory=tuple)

    def count(self, status: str) -> int:
        """Return how many items ended with `status`."""
        return sum(1 for r in self.results if r.status == status)

    def summary(self) -> str:
        """Return the one-line summary, e.g. '3 stored, 1 another outlet's copy, 2 already
        stored, 1 failed: why' (copies are named only when there are some).

        Notes on stored articles follow their count: '2 stored (1 note: a.txt: headline taken
        from its first sentence), 0 already stored'.
        """
        stored = f"{self.count('stored')} stored"
        notes = [(r.item, n) for r in self.results if r.status == "stored" for n in r.notes]
        if notes:
            listed = "; ".join(f"{item}: {note}" for item, note in notes[:3])
            more = f" (and {len(notes) - 3} more)" if len(notes) > 3 else ""
            stored += f" ({len(notes)} note{'s' if len(notes) > 1 else ''}: {listed}{more})"
        parts = [stored]
        copies = self.count("copy")
        if copies:
            parts.append(copies_phrase(copies))
        parts.append(f"{self.count('duplicate')} already stored")
        failed = [r for r in self.results if r.status == "failed"]
        if failed:
            # A reason that already names its item ("<url> cannot be fetched: …") says it once.
            reasons = "; ".join(
                r.reason if r.reason.startswith(f"{r.item} ") else f"{r.item}: {r.reason}"
                for r in failed[:3]
            )
            more = f" (and {len(failed) - 3} more)" if len(failed) > 3 else ""
            parts.append(f"{len(failed)} failed: {reasons}{more}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Subscription:
    """A channel's digest: when (a cadence of local times), about what, and from where on."""

    id: int
    platform: str
    workspace: str
    channel: str
    hour: int
    minute: int
    timezone: str
    topic: str | None
    bullets: int
    quiet: bool
    created_by: str
    created_at: datetime
    window_start: datetime
    active: bool = True
    # bot.cadence.Cadence.text ("weekdays 08:30"); None in rows made before cadences: daily.
    cadence: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One subscription's digest for one local date, as recorded in the ledger."""

    id: int
    subscription_id: int
    local_date: str  # YYYY-MM-DD in the subscription's time zone
    scheduled_at: datetime
    status: str  # claimed | delivered | failed | missed
    claimed_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    message_id: str | None
    error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class Feed:
    """A feed the poller fetches, and how it has been going."""

    id: int
    url: str
    name: str
    platform: str  # where it was added ("cli" for the command line)
    workspace: str
    channel: str
    created_at: datetime
    interval_minutes: int
    etag: str | None
    last_modified: str | None
    last_fetched_at: datetime | None
    next_fetch_at: datetime | None
    last_error: str | None
    failures: int  # consecutive
    paused: bool
    articles_stored: int
    articles_copied: int = 0  # other outlets' copies it brought in (sources of stored ones)
