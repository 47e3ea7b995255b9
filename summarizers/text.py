"""Offline sentence and word tokenization for English news text.

sumy's default tokenizer needs NLTK's punkt data, which would have to be downloaded at run time.
This module replaces it with rules that are fast (one regex pass per paragraph) and know the
abbreviations that news copy is full of.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import chain

import numpy as np
import Stemmer

from . import languages
from .chunks import Chunks, ChunkTable, chunk_spans

# Tokens that end in a period but rarely end a sentence.  Lower-case, without the final period.
_TITLES = frozenset(
    "mr mrs ms messrs mme mlle dr prof rev fr sr sra jr st sen sens rep reps gov govs gen col lt "
    "maj capt cmdr adm sgt cpl pvt supt insp det hon pres amb atty supt".split()
)
# Public: titles are not names (see summarizers.facts).
TITLES = _TITLES
_ALWAYS = _TITLES | frozenset(
    "vs v etc al approx dept est fig inc ltd co corp bros assn univ mt ft ave blvd rd hwy".split()
)
# Abbreviations that only hold when a number follows ("No. 2", "Jan. 5", "Art. 5").
_BEFORE_NUMBER = frozenset(
    "no nos vol art sec ch pp p op jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# The last three letters of each abbreviation above that has three or more: a word that ends
# otherwise is none of them (see `split_paragraph`).
_ABBREVIATION_TAILS = frozenset(w[-3:] for w in _ALWAYS | _BEFORE_NUMBER if len(w) >= 3)
# Words that, after an initialism like "U.S.", show that a new sentence has begun.
_STARTERS = frozenset(
    "a an the he she it its they we i you his her their our this that these those there then "
    "but and so yet or if in on at as after before when while since although though however "
    "meanwhile still also now last earlier later some many most officials police".split()
)

# Verbs of an attribution that follows a quote: “Why now?” Xi asked.
_SPEECH_VERBS = frozenset(
    "said says asked asks added adds replied replies told tells wrote writes shouted shouts "
    "insisted insists warned warns explained explains continued continues recalled recalls".split()
)
# A boundary candidate: terminal punctuation (Latin, Arabic ؟ and ۔, Devanagari । and ॥),
# optional closing quotes/brackets (German “ and ‘ close; French may put a space before »),
# whitespace, and a next sentence that opens (after optional opening quotes/brackets, Spanish
# ¿ and ¡, a dialogue dash, Dutch ",," for „) with a letter or a digit; a lower-case letter
# is ruled out in `_ends_sentence`, so caseless scripts (Arabic, Devanagari, Chinese) pass.
# A run of stops is tried once, from its start (its first stop has no stop before it), and
# never given back (possessive), so a long run such as "......" costs linear time.  The
# pattern opens with the stop itself, not with that look-behind: a pattern that starts with
# a character set lets the regex engine skip to the next stop in C (4x faster on news text).
_STOPS = ".!?…؟۔।॥"
_CLOSING = "\"'”’“‘»)\\]"  # inside a regex character class
_OPENING = "\"'“‘«„‚¿¡(\\["
_LATIN = (
    rf"""([{_STOPS}](?<![{_STOPS}]{{2}})[{_STOPS}]*+)([{_CLOSING}]*+(?:[ \u00a0\u202f]»)?)(\s++)"""
    rf"""(?=[{_OPENING}\-–—,]*+(?:(?<=[«\-–—])[ \u00a0\u202f])?[^\W_])"""
)
# The patterns below that only splitting uses are compiled on first use, not at import: with
# their wide character sets they cost ~3 ms of every start, and a briefing of stored articles
# splits nothing.


@cache
def _boundary_dot() -> re.Pattern[str]:
    """`_LATIN` for a paragraph whose stops all read "." (see `_latin_candidates`): a pattern
    that opens with one literal character lets the regex engine skip to it at memchr speed,
    ~3x faster than testing every character against a set of them."""
    return re.compile(_LATIN.replace(f"[{_STOPS}]", r"\."))


# The stops but ".", those of them in ASCII first.
_OTHER_STOPS = _STOPS.replace(".", "")
_OTHER_ASCII_STOPS = "!?"
# Chinese and Japanese: 。！？ (and ASCII ! ? right after a CJK character) end a sentence with
# or without a space after; closing 」』”） follow.  Tried only in paragraphs with 。！？ or ｡.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"


@cache
def _boundary_cjk() -> re.Pattern[str]:
    """`_LATIN`, or a Chinese or Japanese stop (see above)."""
    return re.compile(
        _LATIN + rf"""|([。！？｡]++|(?<=[{_CJK}])[!?]++)([」』”’"'）)\]》〉]*+)(\s*+)"""
    )


# After a Japanese closing quote, a quotative particle continues the sentence: 「…。」と述べた.
_QUOTATIVE = frozenset("とっ、，,")
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_PARAGRAPHS = re.compile(r"\n\s*\n|\n")
_SPACES = re.compile(r"[ \t\u00a0]{2,}|[\t\u00a0]")
# Characters read on each side of a boundary candidate: longer than any word that decides it.
_CONTEXT = 200

WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_TERM = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


def split_paragraphs(text: str) -> list[str]:
    """Split on line breaks: scraped and plain-text articles put one paragraph per line."""
    out = []
    for part in _PARAGRAPHS.split(text):
        if "  " in part or "\t" in part or "\u00a0" in part:
            part = _SPACES.sub(" ", part)
        part = part.strip()
        if part:
            out.append(part)
    return out


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Split text into sentences, never across paragraphs, keeping each sentence verbatim.

    `lang` is an ISO 639-1 code (see `summarizers.languages`): it picks the abbreviations and
    ordinal-date rules; None or an unknown code uses English ones.  Script rules (。！？, ؟, ।)
    hold whatever `lang` says.
    """
    sentences: list[str] = []
    for paragraph in split_paragraphs(text):
        sentences.extend(split_paragraph(paragraph, lang))
    return sentences


def split_paragraph(paragraph: str, lang: str | None = None) -> list[str]:
    """Split one paragraph (from `split_paragraphs`) into sentences; `lang` as above."""
    out: list[str] = []
    start = 0
    rules = languages.rules(lang)
    cjk = "。" in paragraph or "！" in paragraph or "？" in paragraph or "｡" in paragraph
    for match in _boundary_cjk().finditer(paragraph) if cjk else _latin_candidates(paragraph):
        # `regs`: every group's span in one attribute read (a boundary is a few method calls).
        spans = match.regs
        if spans[1][0] < 0:
            # A Chinese or Japanese stop: a boundary unless a quotative particle follows.
            end, after = spans[5][1], spans[6][1]
            if match.group(5) and paragraph[after : after + 1] in _QUOTATIVE:
                continue
        else:
            end, after = spans[2][1], spans[3][1]
            stop = spans[1][0]
            if not (
                # The commonest end, taken as `_ends_sentence` would take it, without its
                # call: one stop, a capital after, and either a bare "!" or "?" or an English
                # "." after a word that ends in three ASCII letters no abbreviation ends in
                # (so it is no abbreviation, initial or initialism).
                spans[1][1] == stop + 1
                and paragraph[after].isupper()
                and (
                    (end == stop + 1 and paragraph[stop] in "!?")
                    or (
                        rules is None
                        and stop >= 3
                        and paragraph[stop] == "."
                        and (tail := paragraph[stop - 3 : stop]).isalpha()
                        and tail.isascii()
                        and tail.lower() not in _ABBREVIATION_TAILS
                    )
                )
            ) and not _ends_sentence(paragraph, start, spans, rules):
                continue
        piece = paragraph[start:end].strip()
        if piece:
            out.append(piece)
        start = after
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return out


def _latin_candidates(paragraph: str) -> Iterator[re.Match[str]]:
    """`re.compile(_LATIN).finditer(paragraph)`, the same spans (`regs`), faster: found in a
    copy of the paragraph whose stops all read "." (the pattern treats every stop alike), by
    `_boundary_dot`.  The matches' strings are the copy's: read the paragraph at their spans."""
    scan = paragraph
    for stop in _OTHER_ASCII_STOPS if paragraph.isascii() else _OTHER_STOPS:
        if stop in scan:
            scan = scan.replace(stop, ".")
    return _boundary_dot().finditer(scan)


_OPENERS = "\"'“‘«„‚¿¡(["
_LEADING = _OPENERS + " \u00a0\u202f-–—,"


def _ends_sentence(
    paragraph: str,
    start: int,
    spans: tuple[tuple[int, int], ...],
    rules: languages.SplitRules | None,
) -> bool:
    """Whether a `_LATIN` candidate (`spans`: its match's `regs`) ends a sentence."""
    # Only a bounded window around each candidate is read, so a paragraph of any length is
    # split in linear time: the next two words and the word before the stop are all we need.
    (dot, stop_end), (closing, closing_end), (_, after) = spans[1], spans[2], spans[3]
    opening = paragraph[after : after + 1]  # the next word's first letter, mostly
    if opening in _LEADING:
        opening = paragraph[after : after + _CONTEXT].lstrip(_LEADING)[:1]
    if opening.islower():
        # Sentences open with a capital in every cased script; caseless ones never get here.
        # Informal text (comments, mail) opens some in lower case: after a long plain word
        # and a period or bare question mark, no abbreviation is in play, so it still ends.
        return _lower_case_end(paragraph, start, dot, stop_end, closing < closing_end)
    stop = paragraph[dot:stop_end]
    if stop != ".":
        if (stop == "?" or stop == "!") and closing < closing_end:
            next_words = paragraph[after : after + _CONTEXT].lstrip(_LEADING).split(" ", 3)
            if (
                len(next_words) > 1
                and next_words[1].strip(",.") in _SPEECH_VERBS
                and next_words[0].lower() not in _STARTERS
            ):
                # “Why now?” Xi asked.  The quote and its attribution are one sentence.
                return False
        return True
    if dot > 0 and paragraph[dot - 1] == " ":
        # After a space: the end of a spaced ellipsis (". . .") if a period comes before it,
        # else a tokenized sentence end ("the week .").
        return not (dot > 1 and paragraph[dot - 2] == ".")
    if start < dot - _CONTEXT:
        start = dot - _CONTEXT
    space = paragraph.rfind(" ", start, dot)
    word = paragraph[space + 1 if space >= start else start : dot].lstrip(_OPENERS)
    if not word:
        return True
    lower = word.lower()
    if rules is not None:
        next_word = _next_word(paragraph, after)
        return _ends_after(paragraph, start, space, word, lower, next_word, rules)
    if lower in _ALWAYS:
        return False
    if lower in _BEFORE_NUMBER:
        return not opening.isdigit()
    if len(word) == 1 and word.isupper():
        # An initial ("John F. Kennedy"); a lone capital rarely ends a sentence.
        return False
    if "." in word and _INITIALISM.match(word):
        # "U.S." ends a sentence only when an ordinary sentence opener follows.
        return _next_word(paragraph, after).lower().strip(",") in _STARTERS
    return True


def _next_word(paragraph: str, after: int) -> str:
    """The word that opens at `after` (a boundary candidate's end), without opening quotes."""
    return paragraph[after : after + _CONTEXT].lstrip(_LEADING).partition(" ")[0]


_LONG_WORD = re.compile(r"[^\W\d_]{6,}")


def _lower_case_end(paragraph: str, start: int, stop: int, stop_end: int, closed: bool) -> bool:
    if closed or paragraph[stop:stop_end] not in {".", "?"}:
        return False
    space = paragraph.rfind(" ", max(start, stop - _CONTEXT), stop)
    word = paragraph[max(space + 1, start) : stop]
    return _LONG_WORD.fullmatch(word) is not None and word.islower()


_ROMAN = re.compile(r"^[IVXLC]+$")


def _ends_after(
    paragraph: str,
    start: int,
    space: int,
    word: str,
    lower: str,
    next_word: str,
    rules: languages.SplitRules,
) -> bool:
    """Whether `word` + "." ends a sentence, by the rules of a language other than English."""
    if "'" in lower or "’" in lower:
        # An elided article or preposition: "l'art.", "dell’avv.".
        lower = lower.replace("’", "'").rsplit("'", 1)[-1]
        word = word[len(word) - len(lower) :]
    if len(word) == 1 and word.isupper():
        return False  # an initial ("И. П. Смирнов")
    if lower in rules.abbreviations:
        return False
    if lower in rules.before_number:
        return not next_word[:1].isdigit()
    if len(word) == 1 and word.isalpha():
        # "z. B.", "А. С. Пушкин", "د. محمد": a lone letter is an initial or an abbreviation,
        # except a year's or century's ("в 1991 г.", "w 2020 r.", "XIX в.").
        if lower in rules.after_number:
            before = paragraph[max(start, space - 12) : max(space, start)].rsplit(" ", 1)[-1]
            return bool(before) and (before[-1:].isdigit() or _ROMAN.match(before) is not None)
        return False
    if rules.ordinal_dots and word.isdigit() and len(word) <= 3:
        # "am 1. Juni", "im 19. Jahrhundert", "1. Dünya Savaşı": an ordinal, not an end.
        following = next_word.lower().strip(",;:.!?")
        if following in rules.months or following in rules.ordinal_nouns:
            return False
        before = paragraph[max(start, space - 20) : max(space, start)].rsplit(" ", 1)[-1]
        return before.lower() not in rules.ordinal_before
    if "." in word:
        # "z.B.", "m.in.", "EE.UU.": an inner period marks an abbreviation; one starting
        # lower-case never ends a sentence, an upper-case initialism only before an opener.
        if word[0].islower():
            return False
        if _INITIALISM.match(word) or len(word) <= 6:
            return next_word.lower().strip(",") in languages.stop_words(rules.lang)
    return True


def words(text: str) -> list[str]:
    """Return the word tokens of a sentence as written (no punctuation)."""
    return WORD.findall(text)


class SentenceTokenizer:
    """Stand in for sumy's NLTK tokenizer: the two methods sumy's parsers and models call."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Split a paragraph into sentences."""
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Split a sentence into words."""
        return tuple(words(sentence))


# A compact English stop list: function words carry no topic, so they must not drive scores.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's me more most mustn't my myself no
    nor not now of off on once only or other ought our ours ourselves out over own same shan't
    she she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through
    to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's will with won't would wouldn't you
    you'd you'll you're you've your yours yourself yourselves said says say told according one two
    would could may might must shall s t mr mrs ms year years new like get got also us
    """.split()
)

# PyStemmer: the Snowball project's own C English (Porter2) stemmer, compiled; the same
# algorithm and stems as the pure-Python snowballstemmer, several times faster on new words.
_stemmer = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Stem a lower-case word with Snowball's English stemmer; cached, as news words repeat."""
    return _stemmer.stemWord(word)


def _tokens(sentence: str) -> list[str]:
    return _TERM.findall(sentence.lower().replace("’", "'"))


@lru_cache(maxsize=200_000)
def _term_of(token: str) -> str | None:
    if token in STOP_WORDS or len(token) < 2:
        return None
    if token.endswith("'s"):
        token = token[:-2]
    return stem(token)


def terms(sentence: str) -> list[str]:
    """Return the stemmed content words of a sentence: what similarity and scores compare."""
    return [t for t in map(_term_of, _tokens(sentence)) if t is not None]


def term_id(term: str) -> int:
    """Hash a term to a stable 32-bit id, so stored features need no shared vocabulary."""
    return zlib.crc32(term.encode("utf-8"))


# Token -> term id (-1: not a term), filled as tokens are met.  A plain dict read through
# `map(dict.get, ...)` costs a fraction of an lru_cache call per token, and term ids are the
# hot path of analysis (ingest and `news` on raw text).  Emptied when it grows past the bound.
_TOKEN_IDS: dict[str, int] = {}
_TOKEN_IDS_MAX = 200_000


def term_ids(sentence: str) -> list[int]:
    """Return `term_id` of each of `terms(sentence)`: the hot path of ingest, cached per token."""
    tokens = _tokens(sentence)
    ids = list(map(_TOKEN_IDS.get, tokens))
    if None in ids:  # tokens not met before: entered together (`_token_ids_of`)
        ids = list(map(_token_ids_of(set(tokens)).__getitem__, tokens))
    return [i for i in ids if i >= 0]


# Whitespace-separated chunk, as written -> its term ids, filled as chunks are met: most
# chunks ("police", "said,", "(CNN)") recur, so `sentence_terms` turns a text into ids with one
# split and one dict read per chunk, in C, where `term_ids` runs a regex match and a dict
# read per token.  A chunk's tokens are its tokens in any text: no token holds whitespace,
# and whitespace ends the context `str.lower` reads (Greek final sigma).  One int per chunk,
# so the ids come out of one `np.fromiter` call: a chunk of one term maps to its id (>= 0), of
# none to _NO_TERM, of several ("well-known", "U.S.-led") to _SEVERAL, and one that holds a
# character from U+3040 up (Japanese, Chinese; see `SentenceIds.wide`) to _WIDE; the ids of
# those last two are kept in _CHUNK_TERMS.  Both dicts are emptied when they grow past the
# bound (each entry is self-contained, so a reader in another thread is never misled).
_CHUNK_IDS: dict[str, int] = {}
_CHUNK_TERMS: dict[str, tuple[int, ...]] = {}
_CHUNK_IDS_MAX = 200_000
_WIDE_FROM = "\u3040"
# Joins the sentences in `sentence_terms`: a chunk of its own and no token, so the joined
# text splits into exactly the chunks of its sentences and one separator between each two.
# Texts that hold it take the per-sentence path.
_SEPARATOR = "\x00"
_SEPARATOR_ID = -1
# Below this many sentences the arrays' fixed cost (a few dozen numpy calls) outweighs the
# per-sentence tokenising it saves (measured: 2-3 sentences 54 against 70 µs, 15 sentences
# 241 against 199 µs).
_FEW_SENTENCES = 6
_NO_TERM = -2
_SEVERAL = -3
_WIDE = -4
# The same values by chunk hash, for texts of at least _HASHED_FROM characters (see
# summarizers.chunks: no Python string or dict read a word); emptied with the same bound.
_CHUNK_TABLE = ChunkTable()
# Where hashing starts to pay (`sentence_terms`, warm, medians on 2 cores): 1,000 words (6,150
# characters) 106 µs hashed against 96 µs by dict, 3,000 words 147 against 261 µs.
_HASHED_FROM = 8000


# A term, or the line break that `_enter_chunks` puts between two chunks.
_TERM_OR_BREAK = re.compile(_TERM.pattern + "|\n")


def _enter_chunks(chunks: Sequence[str]) -> dict[str, int]:
    """The _CHUNK_IDS entry of every distinct chunk in `chunks`, those not met before entered
    (the entries `term_ids` gives each, and their tokens' in _TOKEN_IDS), all at once: one
    `str.lower` and one regex pass over them joined by line breaks, and one call of the
    stemmer for every new word, where one chunk at a time costs a dozen Python calls (a cold
    process's first briefing meets a few thousand).  Joined by "\n" they lower-case as
    each alone would: whitespace ends the context `str.lower` reads (Greek final sigma), and no
    token holds one.  The entries are returned too: another thread may empty the caches.
    """
    found = {c: _CHUNK_IDS.get(c) for c in dict.fromkeys(chunks)}
    new = [c for c, value in found.items() if value is None]
    if len(_CHUNK_IDS) + len(new) > _CHUNK_IDS_MAX:
        _CHUNK_IDS.clear()
        _CHUNK_TERMS.clear()
    if _SEPARATOR in found:
        found[_SEPARATOR] = _CHUNK_IDS[_SEPARATOR] = _SEPARATOR_ID
        new = [c for c in new if c != _SEPARATOR]
    if not new:
        return found  # type: ignore[return-value]
    pieces = _TERM_OR_BREAK.findall("\n".join(new).lower().replace("’", "'"))
    token_ids = _token_ids_of({piece for piece in pieces if piece != "\n"})
    tokens: list[str] = []
    number = 0
    for piece in [*pieces, "\n"]:
        if piece != "\n":
            tokens.append(piece)
            continue
        chunk = new[number]
        number += 1
        ids = tuple(i for i in map(token_ids.__getitem__, tokens) if i >= 0)
        tokens = []
        if max(chunk) >= _WIDE_FROM:
            _CHUNK_TERMS[chunk] = ids
            value = _WIDE
        elif len(ids) == 1:
            value = ids[0]
        elif not ids:
            value = _NO_TERM
        else:
            _CHUNK_TERMS[chunk] = ids
            value = _SEVERAL
        found[chunk] = _CHUNK_IDS[chunk] = value
    return found  # type: ignore[return-value]


def _token_ids_of(tokens: set[str]) -> dict[str, int]:
    """The _TOKEN_IDS entry of each of `tokens` (its term's `term_id` as `terms` finds it, -1
    for a stop word or a single character), those not met before entered, their words stemmed
    in one call of the stemmer; returned too, as another thread may empty the cache."""
    found = {t: _TOKEN_IDS.get(t) for t in tokens}
    new = [t for t, i in found.items() if i is None]
    words: list[str] = []
    for token in new:
        if token in STOP_WORDS or len(token) < 2:
            found[token] = -1
        else:
            words.append(token[:-2] if token.endswith("'s") else token)
    if len(_TOKEN_IDS) + len(new) > _TOKEN_IDS_MAX:
        _TOKEN_IDS.clear()
    stems = iter(_stemmer.stemWords(words))
    for token in new:
        if found[token] is None:
            found[token] = term_id(next(stems))
        _TOKEN_IDS[token] = found[token]  # type: ignore[assignment]
    return found  # type: ignore[return-value]


def _chunk_terms(chunk: str) -> tuple[int, ...]:
    """`term_ids(chunk)`, kept in _CHUNK_TERMS when several or wide (see _CHUNK_IDS)."""
    found = _CHUNK_TERMS.get(chunk)
    if found is None:
        found = tuple(term_ids(chunk))
        if len(found) > 1 or max(chunk) >= _WIDE_FROM:
            _CHUNK_TERMS[chunk] = found
    return found


@dataclass(frozen=True)
class SentenceIds:
    """The term ids of a list of sentences, and their word counts (see
    `sentence_terms`)."""

    ids: np.ndarray  # uint32 `lang_term_ids` of every sentence back to back
    bounds: np.ndarray  # int32, len(sentences) + 1: sentence i owns ids[bounds[i]:bounds[i + 1]]
    words: np.ndarray  # int32 whitespace-separated words of each sentence: len(s.split())
    # Some sentence holds a character from U+3040 up, so perhaps Japanese or Chinese, whose
    # words `words` does not count (see summarizers.analysis.word_count).
    wide: bool


def sentence_terms(sentences: Sequence[str], lang: str | None) -> SentenceIds:
    """`lang_term_ids` of each sentence, and its words, in arrays (see SentenceIds).

    English text is read chunk by chunk through a cache (see _CHUNK_IDS): the same ids as
    `term_ids` of each sentence, several times faster; other languages sentence by sentence.
    """
    joined = f" {_SEPARATOR} ".join(sentences)
    if (
        len(sentences) < _FEW_SENTENCES
        or languages.code(lang) not in (None, "en")
        or joined.count(_SEPARATOR) >= len(sentences)
    ):
        ids: list[int] = []
        bounds = [0]
        for sentence in sentences:
            ids.extend(lang_term_ids(sentence, lang))
            bounds.append(len(ids))
        words = [len(sentence.split()) for sentence in sentences]
        return SentenceIds(
            np.array(ids, dtype=np.uint32),
            np.array(bounds, dtype=np.int32),
            np.array(words, dtype=np.int32),
            wide=bool(joined) and max(joined) >= _WIDE_FROM,
        )
    spans = chunk_spans(joined) if len(joined) >= _HASHED_FROM else None
    if spans is None:
        chunks = joined.split()
        try:
            values = np.fromiter(map(_CHUNK_IDS.__getitem__, chunks), np.int64, len(chunks))
        except KeyError:  # chunks not met before: entered all at once
            entered = _enter_chunks(chunks)
            values = np.fromiter(map(entered.__getitem__, chunks), np.int64, len(chunks))
    else:
        values = _hashed_values(joined, spans)
    # Few numpy calls, and no Python-level ones (np.diff, np.flatnonzero): for a short text
    # each call's overhead counts.
    separators = (values == _SEPARATOR_ID).nonzero()[0]
    edges = np.empty(separators.size + 2, dtype=np.int64)
    edges[0] = -1
    edges[1:-1] = separators
    edges[-1] = values.size
    words = edges[1:] - edges[:-1] - 1
    listed = (values <= _SEVERAL).nonzero()[0]
    wide = False
    if listed.size:
        wide = bool((values[listed] == _WIDE).any())
        # Each chunk of several terms (or none, or one: wide chunks) becomes its terms, in place.
        if spans is None:
            parts = [_chunk_terms(chunks[i]) for i in listed.tolist()]
        else:
            places = zip(spans.starts[listed].tolist(), spans.ends[listed].tolist(), strict=True)
            parts = [_chunk_terms(joined[start:end]) for start, end in places]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        lengths = np.ones(values.size, dtype=np.int64)
        lengths[listed] = sizes
        expanded = values.repeat(lengths)
        # Where each one's terms go: its place, moved by the terms of those before it.
        firsts = listed + (sizes - 1).cumsum() - (sizes - 1)
        expanded[firsts.repeat(sizes) + _within(sizes)] = list(chain.from_iterable(parts))
        values = expanded
        separators = (values == _SEPARATOR_ID).nonzero()[0]
    found = (values >= 0).nonzero()[0]  # where the terms are
    bounds = np.empty(len(sentences) + 1, dtype=np.int32)
    bounds[0] = 0
    bounds[1:-1] = found.searchsorted(separators)  # terms before each separator
    bounds[-1] = found.size
    return SentenceIds(values[found].astype(np.uint32), bounds, words.astype(np.int32), wide)


def _hashed_values(joined: str, chunks: Chunks) -> np.ndarray:
    """The _CHUNK_IDS value of each chunk of `joined` (int64, one a chunk of `chunks`), read
    from _CHUNK_TABLE by hash; chunks not met before are entered (`_enter_chunks`) and kept.
    The separators are found where they stand (on this path the text holds NUL nowhere else),
    never by hash, and long chunks (`Chunks.long`) are read by their text: no chunk can be
    built to pass for either."""
    values, found = _CHUNK_TABLE.get(chunks.hashes)
    separator = (chunks.first == 0) & (chunks.ends - chunks.starts == 1)
    by_text = chunks.long | separator
    missing = np.flatnonzero(~found & ~by_text)
    if missing.size:
        new, first, where = np.unique(
            chunks.hashes[missing], return_index=True, return_inverse=True
        )
        new_values = _values_of(joined, chunks, missing[first])
        if len(_CHUNK_TABLE) + new.size > _CHUNK_IDS_MAX:
            _CHUNK_TABLE.clear()
        _CHUNK_TABLE.put(new, new_values)
        values[missing] = new_values[where.ravel()]
    if by_text.any():
        values[separator] = _SEPARATOR_ID
        long = np.flatnonzero(chunks.long)
        values[long] = _values_of(joined, chunks, long)
    return values


def _values_of(joined: str, chunks: Chunks, places: np.ndarray) -> np.ndarray:
    """The _CHUNK_IDS values (int64) of the chunks at `places`, by their text."""
    starts, ends = chunks.starts[places].tolist(), chunks.ends[places].tolist()
    texts = [joined[a:b] for a, b in zip(starts, ends, strict=True)]
    entered = _enter_chunks(texts)
    return np.fromiter(map(entered.__getitem__, texts), np.int64, len(texts))


def _within(lengths: np.ndarray) -> np.ndarray:
    """0, 1, …, lengths[0] - 1, 0, 1, …, lengths[1] - 1, …: each item's place in its run."""
    ends = lengths.cumsum()
    return np.arange(ends[-1] if ends.size else 0) - (ends - lengths).repeat(lengths)


_stemmers: dict[str, Stemmer.Stemmer] = {}
# Chinese and Japanese write no spaces: a run of CJK characters is compared by its character
# bigrams (the standard index unit for both, e.g. Lucene's CJKAnalyzer), a lone one by itself.


@cache
def _cjk_run() -> re.Pattern[str]:
    return re.compile(rf"[{_CJK}]+")  # compiled on first use: ~0.7 ms


_UNIGRAM_STOPS = frozenset("的了是在和与及或也就都而并但我你他她它们这那有个之为以于")


def _stemmer_for(lang: str) -> Stemmer.Stemmer | None:
    name = languages.SNOWBALL.get(lang)
    if name is None or name not in Stemmer.algorithms():
        return None
    if lang not in _stemmers:
        _stemmers[lang] = Stemmer.Stemmer(name)
    return _stemmers[lang]


@lru_cache(maxsize=400_000)
def _lang_term_of(token: str, lang: str) -> str | None:
    if len(token) < 2 or token in languages.stop_words(lang) or token.isdigit():
        return None
    stemmer = _stemmer_for(lang)
    return stemmer.stemWord(token) if stemmer is not None else token


def lang_terms(sentence: str, lang: str | None) -> list[str]:
    """`terms` for any language (ISO 639-1 code; None or "en": English, as `terms`).

    Other languages: lower-case words without the language's stop words (stopwords-iso),
    stemmed by Snowball where it has the language (PyStemmer); Chinese and Japanese runs
    become character bigrams.
    """
    base = languages.code(lang)
    if base in (None, "en"):
        return terms(sentence)
    lower = sentence.lower().replace("’", "'")
    out: list[str] = []
    if _cjk_run().search(lower):
        for run in _cjk_run().findall(lower):
            if len(run) == 1:
                if run not in _UNIGRAM_STOPS:
                    out.append(run)
                continue
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
        lower = _cjk_run().sub(" ", lower)
    for token in _TERM.findall(lower):
        term = _lang_term_of(token, base)
        if term is not None:
            out.append(term)
    return out


def lang_term_ids(sentence: str, lang: str | None) -> list[int]:
    """`term_ids` for any language (see `lang_terms`)."""
    base = languages.code(lang)
    if base in (None, "en"):
        return term_ids(sentence)
    return [term_id(t) for t in lang_terms(sentence, base)]
