"""Topic filters: one grammar for `brief`, digests and live feeds.

    ukraine "peace talks" -opinion -sport from:reuters -from:tabloid
    wheat OR maize harvest

Words and "quoted phrases" must all appear (AND); `OR` between two of them makes either do
(it binds tighter than the implicit AND, as in web search: `wheat OR maize harvest` is
(wheat or maize) and harvest); a leading minus excludes a word or phrase; `from:NAME` keeps
articles whose outlet's name contains NAME (case-insensitive; several `from:` are alternatives)
and `-from:NAME` drops them.  A word with inner punctuation (`covid-19`, `U.S.`) is the phrase
of its parts, as the full-text index splits it.  Words are what `[^\\W_]+` finds, so user input
can never be full-text query syntax.

The parser never fails: what it cannot read is read as words (an unclosed quote runs to the
end).  What a user types as a topic is read by `read_topic`, which refuses text with no word
in it (only quotes, brackets, `*`, `OR`, `-`) rather than reading it as "everything".
`Store.search` takes a `TopicFilter` (or a string it parses here); the SQLite FTS5 query
strings are built in one place, `fts_queries`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Straight and typographic quotes count (Slack and phones turn "…" into “…”).
_TOKEN = re.compile(r'(-?)(?:(from|source):)?(?:["“”„«»]([^"“”„«»]*)(?:["“”„«»]|$)|(\S+))', re.I)
# What `_TOKEN` leaves bare when `from:` has no name after it (`from:`, `-from:`).
_EMPTY_OUTLET = re.compile(r"(?:from|source):", re.I)


@dataclass(frozen=True)
class Term:
    """A word, or a phrase's words in order (lower-cased)."""

    words: tuple[str, ...]

    def __str__(self) -> str:
        return self.words[0] if len(self.words) == 1 else '"' + " ".join(self.words) + '"'


@dataclass(frozen=True)
class TopicFilter:
    """A parsed topic: every group must match (a group matches if any of its terms does), no
    excluded term may, the outlet must contain one of `outlets` (if any) and none of
    `excluded_outlets`; `feeds` (canonical feed URLs), if any, limits articles to those the
    feeds brought in (a channel's own feeds, bot.feeds)."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    outlets: tuple[str, ...] = ()
    excluded_outlets: tuple[str, ...] = ()
    text: str = ""  # as the user wrote it
    feeds: tuple[str, ...] = ()

    @property
    def words(self) -> bool:
        """Whether it says anything about the text (not only outlets or feeds)."""
        return bool(self.groups or self.excluded)

    def __bool__(self) -> bool:
        return bool(
            self.groups or self.excluded or self.outlets or self.excluded_outlets or self.feeds
        )

    def __str__(self) -> str:
        return self.text


def _term(text: str) -> Term | None:
    words = tuple(w.casefold() for w in _WORD.findall(text))
    return Term(words) if words else None


def _outlet(text: str) -> str | None:
    name = " ".join(text.split()).casefold()
    return name or None


def parse_filter(text: str | None) -> TopicFilter | None:
    """Read a topic (grammar in the module docstring); None when it says nothing."""
    if not text or not text.strip():
        return None
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    outlets: list[str] = []
    excluded_outlets: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(text):
        minus, prefix, quoted, bare = match.groups()
        value = quoted if quoted is not None else bare
        if prefix:
            name = _outlet(value)
            if name is not None:
                (excluded_outlets if minus else outlets).append(name)
            pending_or = False
            continue
        if bare is not None and _EMPTY_OUTLET.fullmatch(bare):
            continue  # `from:` naming nothing says nothing (read_topic refuses it)
        if bare is not None and not minus and bare == "OR":
            pending_or = bool(groups)
            continue
        term = _term(value)
        if term is None:
            continue
        if minus:
            excluded.append(term)
            pending_or = False
        elif pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    parsed = TopicFilter(
        groups=tuple(tuple(dict.fromkeys(g)) for g in groups),
        excluded=tuple(dict.fromkeys(excluded)),
        outlets=tuple(dict.fromkeys(outlets)),
        excluded_outlets=tuple(dict.fromkeys(excluded_outlets)),
        text=" ".join(text.split()),
    )
    return parsed or None


def read_topic(text: str | None) -> TopicFilter | None:
    """A topic the user typed, read for `brief`, `articles`, `digest subscribe` and
    `feeds add … live`: None when there is none (everything), else its filter.

    Raises BadArgument (one line, naming what was typed) when there is text but no word in
    it (`"" ( ) * OR -`, a lone `-`, emoji): read as nothing, it would silently become
    "everything" under a title quoting the syntax; when a `from:` names no outlet (`from:`,
    `-from:`, `from:""`), which would otherwise be searched as the word "from"; and when a
    word starts with two dashes (`--bullets`): an option typed where options are words, not
    the exclusion of "bullets".
    """
    if not text or not text.strip():
        return None
    from .errors import BadArgument

    for match in _TOKEN.finditer(text):
        minus, prefix, quoted, bare = match.groups()
        if (prefix and _outlet(quoted if quoted is not None else bare) is None) or (
            bare is not None and _EMPTY_OUTLET.fullmatch(bare)
        ):
            raise BadArgument(
                f"`{match.group(0).strip()}` names no outlet: write the name right after the "
                f"colon, e.g. `{minus}from:reuters`."
            )
        if minus and bare is not None and bare.startswith("-") and _WORD.search(bare):
            raise BadArgument(
                f"`{match.group(0)}` is not an option here: in chat, options are plain words "
                f"(see `help`); to leave out a word, use one minus: `-{bare.lstrip('-')}`."
            )
    parsed = parse_filter(text)
    if parsed is None:
        shown = " ".join(text.split())
        raise BadArgument(
            f"The topic {shown!r} has no word to search for (quotes, brackets, *, OR and a "
            "lone - are not words): give at least one word, or none for everything."
        )
    return parsed


def as_filter(topic: str | TopicFilter | None) -> TopicFilter | None:
    """A topic as a filter: strings are parsed, filters passed through, empty ones None."""
    if isinstance(topic, TopicFilter):
        return topic or None
    return parse_filter(topic)


def fts_queries(
    topic: TopicFilter, *, prefix: bool = False, langs: Iterable[str] = ()
) -> tuple[str | None, str | None]:
    """The SQLite FTS5 MATCH strings of a filter: (what must match, what must not).

    Every term is a quoted FTS5 string (a phrase when it has several words), so nothing a
    user types is FTS5 syntax; groups are ANDed, a group's terms ORed; exclusions are one OR
    list, applied as NOT IN by the store (FTS5's NOT needs a left side; a topic of only
    exclusions has none).  Either is None when empty.  `prefix`: what must match matches the
    words it begins (`"meri"*` finds "Meridian": autocomplete, as someone still typing means).
    `langs`: the store's languages; a one-word term also matches its Snowball stem in each as
    a prefix (`summarizers.languages.search_forms`).  Chinese and Japanese terms are left out
    (FTS5 keeps a run of those characters as one token): the store matches them as
    substrings (`cjk_terms`).
    """
    from summarizers.languages import is_cjk, search_forms

    langs = [lang for lang in langs if lang and lang != "en"]

    def forms(term: Term, star: str = "") -> list[str]:
        if len(term.words) == 1 and langs and not star:
            return [
                f'"{f[:-1]}"*' if f.endswith("*") else f'"{f}"'
                for f in search_forms(term.words[0], langs)
            ]
        return ['"' + " ".join(term.words) + '"' + star]

    def fts(term: Term) -> bool:
        return not any(is_cjk(w) for w in term.words)

    star = "*" if prefix else ""
    groups = [[f for t in group if fts(t) for f in forms(t, star)] for group in topic.groups]
    must = " AND ".join("(" + " OR ".join(g) + ")" for g in groups if g)
    must_not = " OR ".join(f for t in topic.excluded if fts(t) for f in forms(t))
    return must or None, must_not or None


def cjk_terms(topic: TopicFilter) -> tuple[list[list[Term]], list[Term]]:
    """The Chinese and Japanese terms of a filter, matched as substrings rather than through
    the full-text index: (per group, only the groups made of them alone; excluded terms)."""
    from summarizers.languages import is_cjk

    def cjk(term: Term) -> bool:
        return any(is_cjk(w) for w in term.words)

    groups = [list(g) for g in topic.groups if g and all(cjk(t) for t in g)]
    return groups, [t for t in topic.excluded if cjk(t)]


def describe(topic: TopicFilter) -> str:
    """The filter in words, normalised: `(wheat OR maize) harvest -opinion from:reuters`."""
    parts = [
        " OR ".join(str(t) for t in g) if len(g) == 1 else "(" + " OR ".join(map(str, g)) + ")"
        for g in topic.groups
    ]
    parts += [f"-{t}" for t in topic.excluded]
    parts += [f"from:{o}" if " " not in o else f'from:"{o}"' for o in topic.outlets]
    parts += [f"-from:{o}" if " " not in o else f'-from:"{o}"' for o in topic.excluded_outlets]
    return " ".join(parts)
