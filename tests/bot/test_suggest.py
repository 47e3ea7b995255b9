"""Autocomplete suggestions from a real store (the seeds)."""

from __future__ import annotations

from bot.app import Core
from bot.scopes import OPERATOR
from bot.suggest import article_choices, topic_choices


def test_topics_come_from_headlines_and_match_the_prefix(core: Core) -> None:
    assert topic_choices(core.store, "ukr", OPERATOR) == ["Ukraine"]
    assert "Ukraine" in topic_choices(core.store, "", OPERATOR)
    assert all(w.casefold().startswith("xi") for w in topic_choices(core.store, "xi", OPERATOR))
    assert topic_choices(core.store, "zzz", OPERATOR) == []


def test_articles_by_id_prefix_or_by_words(core: Core) -> None:
    assert article_choices(core.store, "1", OPERATOR)[0][1] == "1"
    assert article_choices(core.store, "1", OPERATOR)[0][0].startswith("1 · ")
    by_words = {value for _, value in article_choices(core.store, "Macron", OPERATOR)}
    assert by_words == {"1"}
    assert article_choices(core.store, "999", OPERATOR) == []
