"""What makes a fact a fact: the numbers, amounts and names a sentence states.

Two reports rarely word one fact alike ("voted 31–17" and "by 31 votes to 17"), but they give
the same numbers and name the same people and places.  `anchors` extracts those; `FactIndex`
compares sentences by them together with their TF-IDF word overlap, so a paraphrase is
recognised as a repeat and an article is credited only for a sentence that states the fact.
`dangles` tells a sentence that needs the one before it ("But he added…").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .text import STOP_WORDS, TITLES, stem, terms

# Numbers as written: "31", "1,200", "3.5", "31–17" (a score or vote: two numbers).
# Ordinals ("7th") and decades ("1980s") are not counts: a letter after the digits rules out.
_NUMBER = re.compile(
    r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![A-Za-z])|(?<![\w.,])\d+(?:\.\d+)?(?![A-Za-z\d])"
)
_SCALE = {
    "thousand": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "trillion": 1e12,
    "bn": 1e9,
    "m": 1e6,
    "k": 1e3,
}
_SCALED = re.compile(
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(thousand|millions?|billions?|trillion|bn|m|k)\b",
    re.IGNORECASE,
)
# A month's name, written out or abbreviated ("Oct", "Oct.", "October").
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
# A date says when, not what (like a month's name, it is no name either): its day and year
# are no quantities.  "October 10, 2024", "Oct. 10", "10 October 2024", "October 2024".
_DATE = re.compile(
    rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}(?:,?\s+\d{{4}}\b)?"
    rf"|\b{MONTH}\s+\d{{4}}\b"
)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if i >= 3  # "one" and "two" are as often pronouns and idioms as counts
}
_CAPITALISED = re.compile(r"(?<![\w'’])([A-Z][\w'’\-]*)")
_WORD = re.compile(r"[A-Za-z][\w'’\-]*")
# Openers that point back to an earlier sentence: pronouns, demonstratives and connectives.
# A bullet must not start with one (it reads as a fragment of a text the reader has not seen).
DANGLING_OPENERS = frozenset(
    """
    he she they it its this that these those him her his hers their theirs them there
    but and or also however still meanwhile instead yet so then thus therefore besides moreover
    furthermore nevertheless nonetheless meantime such both another further additionally
    likewise similarly otherwise consequently accordingly hence later earlier afterwards
    """.split()
)
# Capitalised words that name nobody: stop words, openers, titles ("Gov.", "Prime Minister"),
# and days and months (when, not who or where).
_NOT_NAMES = (
    STOP_WORDS
    | DANGLING_OPENERS
    | TITLES
    | frozenset(
        """
        i president former vice prime minister secretary senator governor judge justice chief
        leader speaker chairman chairwoman chair majority minority representative ambassador
        mayor general director spokesman spokeswoman spokesperson king queen prince princess
        monday tuesday wednesday thursday friday saturday sunday january february march april
        may june july august september october november december jan feb mar apr jun jul aug
        sep sept oct nov dec
        """.split()
    )
)


@dataclass(frozen=True)
class Anchors:
    """The checkable parts of a sentence: numbers (normalised) and names (stemmed, lower)."""

    numbers: frozenset[str]
    names: frozenset[str]
    # Each written quantity as the set of its values: "$5 billion" is one quantity, {5, 5e9}.
    quantities: frozenset[frozenset[str]] = frozenset()

    def shared_quantities(self, other: Anchors) -> int:
        """How many quantities both state: a quantity is shared when any of its values is the
        other's, and one amount ("$5 billion": 5 and 5e9) counts once, not once per value."""
        mine = sum(1 for q in self.quantities if q & other.numbers)
        theirs = sum(1 for q in other.quantities if q & self.numbers)
        return min(mine, theirs)

    def shares_amount(self, other: Anchors) -> bool:
        """Do both state one specific amount: a scaled or fractional figure ("6.6 million",
        "$5 billion", "3.7"), or a count of 1,000 or more that is not a year ("250,000")?
        Like a name, such a figure is rarely stated by a sentence about something else."""
        return any(q & other.numbers and _specific(q) for q in self.quantities)


def _specific(quantity: frozenset[str]) -> bool:
    if len(quantity) > 1:  # "6.6 million": 6.6 and 6.6e6
        return True
    value = float(next(iter(quantity)))
    return not value.is_integer() or (value >= 1000 and not 1900 <= value <= 2100)


def _normal(number: str) -> str:
    value = float(number.replace(",", ""))
    return f"{value:g}"


@lru_cache(maxsize=50_000)
def anchors(sentence: str) -> Anchors:
    """Extract a sentence's numbers and names.

    Numbers: every written number but a date's ("October 10, 2024": when, not what), commas
    dropped ("1,200" = "1200"), with amounts also scaled
    ("$1.4 billion" gives 1.4 and 1.4e9, so "1,400 million" matches), number words from three
    to twenty as digits.  Names: capitalised words other than the sentence's first (unless it
    is an acronym), titles and stop words, stemmed and lower-cased.
    """
    dates = [m.span() for m in _DATE.finditer(sentence)]
    quantities = {
        m.start(): {_normal(m.group())}
        for m in _NUMBER.finditer(sentence)
        if not any(start <= m.start() < end for start, end in dates)
    }
    for match in _SCALED.finditer(sentence):
        value, scale = match.groups()
        scaled = f"{float(value.replace(',', '')) * _SCALE[scale.lower()]:g}"
        quantities.setdefault(match.start(), {_normal(value)}).add(scaled)
    names = set()
    for i, match in enumerate(_CAPITALISED.finditer(sentence)):
        word = match.group(1)
        lower = word.lower().replace("’", "'")
        if lower.endswith("'s"):
            lower = lower[:-2]
        if lower in _NUMBER_WORDS:
            continue
        at_start = i == 0 and not sentence[: match.start()].strip(" \"'“‘(")
        # A sentence's first word is capitalised anyway: a name only if it is an acronym.
        if lower in _NOT_NAMES or (at_start and not (len(word) > 1 and word.isupper())):
            continue
        names.add(stem(lower))
    for match in _WORD.finditer(sentence.lower()):
        if match.group() in _NUMBER_WORDS:
            quantities[match.start()] = {_NUMBER_WORDS[match.group()]}
    numbers = frozenset(v for q in quantities.values() for v in q)
    return Anchors(numbers, frozenset(names), frozenset(frozenset(q) for q in quantities.values()))


def _words(sentence: str) -> set[str]:
    """A sentence's content words (stemmed) other than numbers, number words and scales."""
    return {
        t
        for t in terms(sentence)
        if t not in _SCALE and t not in _NUMBER_WORDS and not any(c.isdigit() for c in t)
    }


@lru_cache(maxsize=50_000)  # a briefing asks it of the same sentences again and again
def dangles(sentence: str) -> bool:
    """True when a sentence opens with a word that needs an earlier sentence: "He", "This",
    "But", "Also", … (see DANGLING_OPENERS)."""
    match = _WORD.search(sentence[:40])
    if match is None or sentence[: match.start()].strip(" \"'“‘(—–-"):
        return False
    return match.group().lower().replace("’", "'") in DANGLING_OPENERS


# Word-overlap cosine (unigram and bigram TF-IDF) at or above which two sentences state one
# fact whatever their anchors say, unless their numbers disagree.
SAME_WORDS = 0.35
# Below SAME_WORDS, shared anchors can still make a paraphrase one fact, given at least this
# much word overlap (so two sentences that merely name the same person stay apart).
SOME_WORDS = 0.12
# Without numbers, at least this share of each sentence's names must be shared.
NAMES_SHARED = 0.7
# Two shared quantities one of which is a specific amount ("$12 million" and "$12m", with
# "9-4" and "nine votes to four"), or three shared quantities, state one fact even in words
# that hardly overlap: this much word overlap is enough then (the least any two sentences
# need to state one fact; the composer reads no overlap below it).
ANCHORED_WORDS = 0.05
# ...and then the two must also share this many words that are not the numbers themselves
# (their TF-IDF overlap counts "12" and "million" too): the Riverton reports share "Riverton",
# "library" and "vote"; two budget votes that only share "voted 9-4" and "$12 million" are
# two facts.
ANCHORED_SHARED_WORDS = 2


def same_fact(a: str, b: str, overlap: float) -> bool:
    """Do sentences `a` and `b`, whose TF-IDF cosine is `overlap`, state the same fact?

    Same fact: high word overlap with no conflicting numbers; or some word overlap with two
    shared quantities ("31–17" and "31 votes to 17"; one amount such as "$5 billion" counts
    once, not once per value), or one shared quantity and either a shared name or a specific
    amount (`Anchors.shares_amount`), or (no numbers on either side: numbers one side lacks
    are facts it does not state) NAMES_SHARED of each sentence's names shared.  Below
    SOME_WORDS (down to ANCHORED_WORDS, 0.05), only three shared quantities, or two with a specific
    amount, make one fact ("$12 million … 9 to 4" and "$12m … nine votes to four"), and only
    with ANCHORED_SHARED_WORDS content words in common besides the numbers.  Below SAME_WORDS,
    sentences that both name someone or somewhere but no one in common are never one fact
    by their numbers alone.
    Different fact: both state numbers and share none ("31–17" vs "50–48").
    """
    if overlap < ANCHORED_WORDS:
        return False  # whatever the anchors say (the checks below all need some overlap)
    x, y = anchors(a), anchors(b)
    shared_numbers = x.shared_quantities(y)
    shared_names = len(x.names & y.names)
    # Both name someone or somewhere, and not the same: numbers alone do not make them one
    # fact ("the Springfield council voted 9-4 … $12 million", "the Shelbyville council …").
    strangers = bool(x.names and y.names and not shared_names)
    if overlap < SOME_WORDS:
        anchored = shared_numbers >= 3 or (shared_numbers >= 2 and x.shares_amount(y))
        return anchored and not strangers and len(_words(a) & _words(b)) >= ANCHORED_SHARED_WORDS
    if x.numbers and y.numbers and not shared_numbers and overlap < 0.6:
        return False
    if overlap >= SAME_WORDS:
        return True
    if shared_numbers >= 2 and not strangers:
        return True
    if (
        shared_numbers == 1
        and (shared_names >= 1 or (x.shares_amount(y) and not strangers))
        and overlap >= 0.2
    ):
        return True
    if not x.numbers and not y.numbers and shared_names >= 2 and overlap >= 0.2:
        # The same people and places and no one else: names a sentence adds are its subject.
        return shared_names >= NAMES_SHARED * max(len(x.names), len(y.names))
    return False
