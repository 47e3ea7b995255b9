"""Briefings of any size for the renderer tests: numbered words, numbered linked sources."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Briefing, Bullet, Source

WHEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def make_briefing(bullets: list[Bullet], title: str = "Briefing: ukraine") -> Briefing:
    """A briefing made at WHEN from nine articles."""
    return Briefing(
        title=title, generated_at=WHEN, topic="ukraine", bullets=tuple(bullets), article_count=9
    )


def make_bullet(i: int, words: int = 30, sources: int = 2) -> Bullet:
    """Bullet i: words `w{i}x{j}`, sources "Report i.k" at https://news.test/i/k."""
    return Bullet(
        text=" ".join(f"w{i}x{j}" for j in range(words)) + ".",
        sources=tuple(
            Source(100 * i + k, f"Report {i}.{k}", f"https://news.test/{i}/{k}")
            for k in range(sources)
        ),
    )
