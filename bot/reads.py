"""What commands read from the store, behind one small interface, and the helpers both of its
implementations share.

`StoreReads` is the part of `bot.store.Store` that `brief`, `brief why`, `articles`,
`summarize <id>` and digests use (`Core.reads`).  `Store` (SQLAlchemy, SQLite or PostgreSQL)
is one implementation; `bot.sqlite_reads.SqliteReads` (the stdlib `sqlite3` module) is the
other, which serves an up-to-date SQLite store, so a command line starts without importing
SQLAlchemy (~0.4 s of a cold `briefbot brief`) and a running bot's reads skip its
per-statement work.  Both run the same SQL and must return the same rows
(tests/bot/test_sqlite_reads.py).  This module imports neither SQLAlchemy nor numpy.
"""

from __future__ import annotations

import logging
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .models import Article, Source

if TYPE_CHECKING:
    from summarizers.analysis import Analysis

    from .filters import TopicFilter
    from .scopes import Scope

log = logging.getLogger(__name__)


class StoreReads(Protocol):
    """The reads of a briefing, `brief why`, `articles` and `summarize <id>` (and the one
    small write a briefing makes: the channel's last briefing, for `brief why`).  Every
    method is `bot.store.Store`'s of the same name; see there for what each returns."""

    def reading(self) -> AbstractContextManager[None]:
        """Run a block's reads on one connection and snapshot."""
        ...

    def search(
        self,
        query: str | TopicFilter | None = None,
        since: datetime | None = None,
        limit: int = 50,
        *,
        scope: Scope,
        stored_after: datetime | None = None,
        stored_until: datetime | None = None,
        with_text: bool = True,
    ) -> list[Article]:
        """The newest articles `scope` may read matching a topic, newest first."""
        ...

    def analyses(self, ids: Iterable[int]) -> dict[int, Analysis]:
        """The stored analysis of each article found."""
        ...

    def copies_of(self, ids: Iterable[int], *, scope: Scope) -> dict[int, tuple[Source, ...]]:
        """Other outlets' copies of each article that `scope` may see, as sources."""
        ...

    def get(self, article_id: int, *, scope: Scope) -> Article | None:
        """The article with this id if `scope` may read it."""
        ...

    def get_many(self, ids: Iterable[int], *, scope: Scope) -> dict[int, Article]:
        """id → article for the ids `scope` may read."""
        ...

    def count(self, scope: Scope = ...) -> int:
        """How many articles `scope` may read."""
        ...

    def channel_briefing(self, platform: str, workspace: str, channel: str) -> str | None:
        """The channel's last briefing (JSON text, bot.why), or None."""
        ...

    def save_channel_briefing(
        self, platform: str, workspace: str, channel: str, briefing: str, made_at: datetime
    ) -> None:
        """Keep `briefing` as the channel's last, replacing any."""
        ...

    def close(self) -> None:
        """Release the connections (see each implementation)."""
        ...


def to_iso(moment: datetime) -> str:
    """Format a time as a sortable UTC ISO-8601 string: "2026-01-31T09:30:00+00:00", with six
    digits of microseconds before the offset when they are not all zero."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Microseconds when there are any: an article stored in the same second as a digest
    # window's end must still sort after it.  Without them (most publication dates, 7 bytes
    # less in the row and in each date index) text order is still time order, as "+" sorts
    # before "." and every digit: "…:00+00:00" < "…:00.000001+00:00" < "…:01+00:00".  Rows
    # written before (always six digits) compare the same way with these for any two
    # different times; only one time written both ways differs (the six zeros sort after).
    return moment.astimezone(UTC).isoformat(timespec="auto")


def from_iso(value: str | None) -> datetime | None:
    """Parse a time written by `to_iso`."""
    return datetime.fromisoformat(value) if value else None


# The columns of an article row, in order (`Store`'s `_ARTICLE_COLUMNS`); without text, the
# same less `text`.
ARTICLE_COLUMNS = (
    "id",
    "title",
    "text",
    "source",
    "url",
    "published_at",
    "ingested_at",
    "content_hash",
    "outlet",
    "guid",
    "lang",
)
ARTICLE_COLUMNS_NO_TEXT = tuple(c for c in ARTICLE_COLUMNS if c != "text")


def article_from_row(row: Sequence[Any], *, with_text: bool) -> Article:
    """An Article from a row that opens with `ARTICLE_COLUMNS` (`with_text`) or
    `ARTICLE_COLUMNS_NO_TEXT` (then `text=""`), read by position (reading each column by
    name costs more than a search's query)."""
    if with_text:
        id_, title, text, source, url, published, ingested, content_hash, outlet, _, lang = row[:11]
    else:
        id_, title, source, url, published, ingested, content_hash, outlet, _, lang = row[:10]
        text = ""
    return Article(
        id=id_,
        title=title,
        text=text,
        source=source,
        url=url,
        published_at=from_iso(published),
        ingested_at=from_iso(ingested) or datetime.now(UTC),
        content_hash=bytes(content_hash).hex(),
        outlet=outlet,
        lang=lang or "en",
    )


def copies_from_rows(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[Source, ...]]:
    """`copies_of`'s answer from rows of (article_id, outlet_key, title, url, outlet), in
    article and first-seen order: the first copy of each outlet."""
    found: dict[int, dict[str, Source]] = {}
    for article_id, outlet_key, title, url, outlet in rows:
        outlets = found.setdefault(article_id, {})
        if outlet_key not in outlets:
            outlets[outlet_key] = Source(article_id, title, url, outlet)
    return {i: tuple(by_outlet.values()) for i, by_outlet in found.items()}


# Decoded analyses a warm process keeps (`Store.analyses`): a briefing reads 40 articles (8
# per bullet when more bullets are asked), so this holds the articles of a dozen briefings.
# A kept analysis also keeps what briefings derived from it (`summarizers.derived`: term
# spaces, features): ~70 KB an article measured on a seed of 37 sentences, so ~35 MB a Store.
ANALYSIS_CACHE_SIZE = 512


class AnalysisCache:
    """The last `size` decoded analyses, each with the blob it was decoded from, least
    recently used dropped first.  Safe to share between threads."""

    def __init__(self, size: int = ANALYSIS_CACHE_SIZE) -> None:
        self.size = size
        self._kept: OrderedDict[int, tuple[bytes, Analysis]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, article_id: int, blob: bytes) -> Analysis | None:
        """The analysis kept for the article if it was decoded from `blob`, else None."""
        with self._lock:
            kept = self._kept.get(article_id)
            if kept is None or kept[0] != blob:
                return None
            self._kept.move_to_end(article_id)
            return kept[1]

    def put(self, article_id: int, blob: bytes, analysis: Analysis) -> None:
        """Keep `analysis`, decoded from `blob`, replacing what was kept for the article."""
        with self._lock:
            self._kept[article_id] = (blob, analysis)
            self._kept.move_to_end(article_id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Drop every kept analysis."""
        with self._lock:
            self._kept.clear()


def decode_analyses(
    cache: AnalysisCache,
    blobs: Sequence[tuple[int, bytes]],
    read_texts: Callable[
        [list[int]], Iterator[tuple[int, str, str, str]] | Iterable[tuple[int, str, str, str]]
    ],
) -> dict[int, Analysis]:
    """`analyses`' answer from the (id, blob) rows read: each kept analysis still decoded from
    its stored blob reused, the others decoded with their texts and titles (`read_texts(ids)`
    gives (id, text, title, lang) rows; the analysis keeps sentence positions, so its
    sentences are sliced from the text, and its terms are the text's and the title's,
    tokenised again) and kept.  A blob that cannot be decoded (damaged, or written by another
    version) is logged and the article analysed afresh from its text, so one bad row never
    fails a briefing; the store re-analyses it for good on its next upgrade."""
    found = {i: cache.get(i, blob) for i, blob in blobs}
    missing = [i for i, analysis in found.items() if analysis is None]
    if missing:
        from summarizers.analysis import Analysis, analyze

        texts = {i: (text, title, lang) for i, text, title, lang in read_texts(missing)}
        # One bytes object both decoded from and kept (a driver may hand a memoryview).
        blob_of = {i: bytes(blob) for i, blob in blobs}
        for i in missing:
            text, title, lang = texts[i]
            try:
                found[i] = Analysis.from_bytes(blob_of[i], text, title)
            except (ValueError, struct.error, UnicodeDecodeError) as exc:
                log.warning("article %d: stored analysis unreadable (%s); analysed again", i, exc)
                found[i] = analyze(text, title, None if lang in (None, "en") else lang)
            cache.put(i, blob_of[i], found[i])
    return found  # type: ignore[return-value]  # every None was filled
