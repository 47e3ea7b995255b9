"""Per-article analysis: everything a summarizer needs that depends only on the article.

It is computed once at ingest and stored in a compact binary form, so that a briefing over
thousands of articles never re-tokenizes stored text.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate

import numpy as np

from . import languages
from .analysis_format import FORMAT  # the stored form's version (see there)
from .facts import MONTH, dangles
from .text import lang_term_ids, sentence_terms, split_paragraph, split_paragraphs

# Byte 0xBB and the format from format 10 on ("BBA9" and earlier before, 0x42 first): a blob
# of another format is refused.
MAGIC = bytes((0xBB, FORMAT))
# Sentence flags, one bit each: surface cues that say a sentence is rarely a summary sentence.
QUESTION = 1  # ends with a question mark (inside closing quotes too)
OPENS_WITH_QUOTE = 2  # starts with a quotation: someone's words, not the reporter's
HAS_QUOTE = 4  # quotes someone somewhere
DANGLES = 8  # opens with a word that needs the sentence before ("He", "But", "This", …)
_OPENING_QUOTES = "\"“‘«'"
_CLOSERS = "\"”’»') "
# Openers that belong to the page, not the sentence: datelines ("HALDEN (Northwire) — ",
# "SEOUL, South Korea — "), agency tags ("(CNN) — ", "(CNN)ESPN's…", "Washington CNN — ").
# The AP Stylebook's dateline is a capitalised place, an optional agency, then a dash.
_AGENCIES = "CNN|AP|Reuters|AFP|UPI|Bloomberg|Xinhua|dpa|PA|ANI|IANS"
# A dateline's date, Reuters and AP style: "Nov 30", "Dec. 1", "Jan. 5, 2024".
_MONTH_DAY = rf"{MONTH}\s+\d{{1,2}}"
_DATE = rf"{_MONTH_DAY}(?:,\s*\d{{4}})?"
_DATELINE = (
    r"^"
    # An upper-case byline run into the dateline: "By JANE DOE and JOHN ROE Associated Press".
    r"(?:By\s+[A-Z][A-Z.'’\-]+(?:\s+(?:[A-Z][A-Z.'’\-]+|and|&))*"
    r"(?:,?\s+(?:Associated Press|Reuters|AFP|Bloomberg|CNN))?\s+)?"
    r"(?:"
    rf"\((?:{_AGENCIES})\)\s*(?:[—–-]{{1,2}}\s*)?"
    r"|[A-Z][A-Z.'’/\-]{2,20}(?: [A-Z][A-Z.'’/\-]*){0,4}"  # PLACE ("GENEVA/ZURICH")
    r"(?:,\s*[A-Z][A-Za-z.'’ ]{1,30}?)?"  # , Region
    rf"(?:,\s*{_DATE})?"  # , date
    # (AGENCY) and a dash; without an agency, a dash before a lower-case word opens an aside,
    # not a sentence: "NATO - the alliance -", "NASA — the agency that … — said".
    r"(?:\s*\([^()]{1,40}\)\s*(?:[—–]|--?)|\s*(?:[—–]|--?)(?=\s+[A-Z0-9\"“‘'(]))\s+"
    rf"|[A-Z][a-z]+(?: [A-Z][a-z]+){{0,3}},? \(?(?:{_AGENCIES})\)?\s*(?:[—–]|--?)\s+"
    # A date alone: with its agency ("Nov 30 (Reuters) - ") or its year ("Jan. 5, 2024 — ").
    rf"|(?:{_MONTH_DAY}\s*\([^()]{{1,40}}\)\s*(?:[—–]|--?)"
    rf"|{_MONTH_DAY},\s*\d{{4}}\s*(?:[—–]|--?)(?=\s+[A-Z0-9\"“‘'(]))\s+"
    r")"
)


@cache
def _dateline() -> re.Pattern[str]:
    # Compiled on first use (~1 ms): a briefing of stored articles strips no opener.
    return re.compile(_DATELINE)


# A byline on its own: "By Jane Doe and John Roe, Reuters" (every word capitalised).
_BYLINE = re.compile(r"^By\s+(?:(?:[A-Z][\w.'’\-]*|and|&|\||,)\s*){1,10}$")


@dataclass(frozen=True, eq=False)
class Analysis:
    """Sentences of one article and their features, in document order.

    `term_ids` holds the hashed stemmed content words of every sentence back to back;
    sentence i owns `term_ids[bounds[i]:bounds[i + 1]]`.
    """

    sentences: tuple[str, ...]
    term_ids: np.ndarray  # uint32
    bounds: np.ndarray  # int32, len(sentences) + 1
    word_counts: np.ndarray  # int32 whitespace-separated words per sentence
    paragraphs: np.ndarray  # int32 paragraph number of each sentence
    title_ids: np.ndarray  # uint32 hashed title terms
    flags: np.ndarray  # uint8 per sentence: QUESTION | OPENS_WITH_QUOTE | HAS_QUOTE | DANGLES

    def __post_init__(self) -> None:
        # Read-only, so figures derived from an analysis and kept beside it
        # (summarizers.derived) stay right: no caller can change what they came from.
        for array in (
            self.term_ids,
            self.bounds,
            self.word_counts,
            self.paragraphs,
            self.title_ids,
            self.flags,
        ):
            array.flags.writeable = False

    def __len__(self) -> int:
        return len(self.sentences)

    def sentence_terms(self, index: int) -> np.ndarray:
        """Return the term ids of one sentence."""
        return self.term_ids[self.bounds[index] : self.bounds[index + 1]]

    def to_bytes(self, text: str, title: str = "", lang: str | None = None) -> bytes:
        """Serialize for the store, which keeps the `text` and `title` analysed beside the blob
        (`analyze(text, title, lang)` made this analysis).

        The blob keeps no term ids, word counts or term bounds: `from_bytes` computes them again
        from the sentences and the title with `analyze`'s own functions (`lang_term_ids`,
        `word_count`), in the language `lang` (None: English), which the blob keeps.  Raises
        ValueError when the title's or the first sentence's terms in `lang` are not this
        analysis's (it was made from another title or in another language), so a mismatch is
        refused here rather than decoded into other terms later.

        Layout: MAGIC; one byte of widths; the language's length in bytes and its ASCII code
        (none for English); len(text) in characters, the sentence count, the literals' length
        in bytes and the title's term count, each a LEB128 varint; then, per sentence, the gap
        from the previous sentence's end to its start, and its length in characters (length
        0: the sentence is not a slice of the text, e.g. its spacing was collapsed, and is
        stored as a literal); the literals as a JSON list; per sentence its flags and its
        paragraph number less the previous sentence's (its step).  Gaps, lengths and steps are
        each stored little-endian in the narrowest of 1, 2 or 4 bytes that holds their largest
        value (the widths byte says which, two bits each); but one byte a sentence holds the
        flags (low four bits), the step (high four) when every step is below 16, and the gap
        too (step in bits 4-5, gap in bits 6-7) when every step and gap is below 4, the
        common case: width code 3, "in the flag byte".  Format 9 also stored every term id,
        4 bytes each: 390 bytes an article of the bench store (bench/scale.py), ~23 now.
        """
        # English, the common case, as no code: `lang_term_ids` reads None and "en" alike.
        code = b"" if languages.code(lang) in (None, "en") else (lang or "").encode("ascii")
        gaps, lengths = [], []
        literals = []
        cursor = 0
        for sentence in self.sentences:
            found = text.find(sentence, cursor)
            if found < 0 or not sentence:
                literals.append(sentence)
                gaps.append(0)
                lengths.append(0)
                continue
            gaps.append(found - cursor)
            lengths.append(len(sentence))
            cursor = found + len(sentence)
        literal = json.dumps(literals, ensure_ascii=False).encode("utf-8") if literals else b""
        if not np.array_equal(lang_term_ids(title or "", lang), self.title_ids) or (
            self.sentences
            and not np.array_equal(
                lang_term_ids(self.sentences[0], lang), self.term_ids[: self.bounds[1]]
            )
        ):
            raise ValueError(f"the analysis was not made from this title in language {lang!r}")
        flags = self.flags.tolist()
        paragraphs = self.paragraphs.tolist()
        steps = [b - a for a, b in zip([0, *paragraphs], paragraphs, strict=False)]
        if steps and min(steps) < 0:
            raise ValueError("paragraph numbers must not decrease")
        gap_width, packed_gaps = _narrowest(gaps)
        length_width, packed_lengths = _narrowest(lengths)
        small_flags = max(flags, default=0) < 16
        if small_flags and max(steps, default=0) < 4 and max(gaps, default=0) < 4:
            gap_width = step_width = _IN_FLAG_BYTE
            packed_gaps = b""
            per_sentence = bytes(
                f | step << 4 | gap << 6 for f, step, gap in zip(flags, steps, gaps, strict=True)
            )
        elif small_flags and max(steps, default=0) < 16:
            step_width = _IN_FLAG_BYTE
            per_sentence = bytes(f | step << 4 for f, step in zip(flags, steps, strict=True))
        else:
            step_width, per_sentence = _narrowest(steps)
            per_sentence += bytes(flags)
        numbers = (len(text), len(self.sentences), len(literal), self.title_ids.size)
        return b"".join(
            [
                MAGIC,
                bytes((gap_width | length_width << 2 | step_width << 4, len(code))),
                code,
                b"".join(map(_varint, numbers)),
                packed_gaps,
                packed_lengths,
                literal,
                per_sentence,
            ]
        )

    @classmethod
    def from_bytes(cls, blob: bytes, text: str, title: str = "") -> Analysis:
        """Rebuild an analysis stored by `to_bytes(text, title, lang)`, given the same text
        and title: field for field what `analyze(text, title, lang)` gave, its term ids and
        word counts computed again (tokenising the sentences: most of the cost).

        Raises ValueError for a blob of another format (see FORMAT) or of another text;
        a damaged blob raises ValueError (UnicodeDecodeError is one), or struct.error.
        """
        if len(blob) < len(MAGIC) + 2 or blob[: len(MAGIC)] != MAGIC:
            raise ValueError("not a briefbot analysis blob of this format")
        offset = len(MAGIC)
        widths, code_len = blob[offset], blob[offset + 1]
        offset += 2
        lang = blob[offset : offset + code_len].decode("ascii") or None
        offset += code_len
        numbers = []
        for _ in range(4):
            value, offset = _read_varint(blob, offset)
            numbers.append(value)
        # The title term count stays in the layout but is not checked on read: see below.
        text_len, count, literal_len, _title_count = numbers
        if text_len != len(text):
            raise ValueError("the analysis blob belongs to another text")
        gap_code, length_code, step_code = widths & 3, widths >> 2 & 3, widths >> 4 & 3
        if length_code == _IN_FLAG_BYTE or (
            gap_code == _IN_FLAG_BYTE and step_code != _IN_FLAG_BYTE
        ):
            raise ValueError("the analysis blob is damaged (its widths byte)")
        gaps: Iterable[int] = ()
        if gap_code != _IN_FLAG_BYTE:
            gaps = struct.unpack_from(f"<{count}{_CODES[gap_code]}", blob, offset)
            offset += count * _SIZES[gap_code]
        lengths = struct.unpack_from(f"<{count}{_CODES[length_code]}", blob, offset)
        offset += count * _SIZES[length_code]
        listed = json.loads(blob[offset : offset + literal_len]) if literal_len else []
        if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
            raise ValueError("the analysis blob is damaged (its literals)")
        literals = iter(listed)
        offset += literal_len
        steps: Iterable[int]
        if step_code == _IN_FLAG_BYTE:
            packed = blob[offset : offset + count]
            offset += count
            flags = np.frombuffer(packed, dtype=np.uint8) & 15
            if gap_code == _IN_FLAG_BYTE:
                steps = [byte >> 4 & 3 for byte in packed]
                gaps = [byte >> 6 for byte in packed]
            else:
                steps = [byte >> 4 for byte in packed]
        else:
            steps = struct.unpack_from(f"<{count}{_CODES[step_code]}", blob, offset)
            offset += count * _SIZES[step_code]
            flags = np.frombuffer(blob, dtype=np.uint8, count=count, offset=offset)
            offset += count
        if offset != len(blob):  # cut short or run on: not what `to_bytes` wrote
            raise ValueError("the analysis blob is damaged (its length does not add up)")
        sentence_list = []
        cursor = 0
        for gap, length in zip(gaps, lengths, strict=True):
            if length:
                cursor += gap + length
                sentence_list.append(text[cursor - length : cursor])
            else:
                literal = next(literals, None)
                if literal is None:
                    raise ValueError("the analysis blob is damaged (a sentence is missing)")
                sentence_list.append(literal)
        sentences = tuple(sentence_list)
        paragraphs = np.array(list(accumulate(steps)), dtype=np.int32)
        # Terms and word counts as `analyze` computes them (its functions).
        # The title's term count is not checked against the blob's: the stored title and
        # text are the article's own, so another count means the tokeniser changed (a
        # stemmer or stop-word list upgraded), and the terms computed now are the ones every
        # new article gets too: refusing them would leave the article unreadable.
        term_ids, bounds, word_counts, title_ids = _terms(sentences, title, lang)
        return cls(sentences, term_ids, bounds, word_counts, paragraphs, title_ids, flags)


# The stored widths of `to_bytes` by their two-bit code: struct's little-endian unsigned
# 1, 2 and 4 bytes; code 3 says the numbers share each sentence's flag byte.
_CODES = "BHI"
_SIZES = (1, 2, 4)
_IN_FLAG_BYTE = 3


def _narrowest(values: list[int]) -> tuple[int, bytes]:
    """The two-bit width code (see _CODES) of the narrowest unsigned type that holds every
    value of `values` (non-negative integers below 2**32), and the values stored in it."""
    top = max(values, default=0)
    code = 0 if top < 1 << 8 else 1 if top < 1 << 16 else 2
    return code, struct.pack(f"<{len(values)}{_CODES[code]}", *values)


def _varint(value: int) -> bytes:
    """`value` (non-negative) as an unsigned LEB128 varint: 7 bits a byte, low bits first,
    the high bit set on every byte but the last (as in Protocol Buffers)."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(blob: bytes, offset: int) -> tuple[int, int]:
    """The varint `_varint` wrote at `offset`, and the offset after it."""
    value = shift = 0
    while True:
        if offset >= len(blob):
            raise ValueError("the analysis blob is damaged (cut short in its header)")
        byte = blob[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, offset
        shift += 7


# Chinese and Japanese run words together; news text averages about 1.5-2 characters a word
# (Chinese Treebank segmentation), so two characters count as one word against length caps.
CJK_CHARS_PER_WORD = 2


def word_count(sentence: str) -> int:
    """Words in `sentence` as a reader counts them: whitespace-separated words (as ROUGE
    tooling counts), plus, for Chinese and Japanese characters (languages.CJK_WORD_CHARS),
    one word per CJK_CHARS_PER_WORD of them, so length caps hold in those languages too."""
    cjk_char = languages.cjk_word_char()
    if cjk_char.search(sentence) is None:  # one C-speed scan; most text has none
        return len(sentence.split())
    rest, cjk = cjk_char.subn(" ", sentence)
    return len(rest.split()) + -(-cjk // CJK_CHARS_PER_WORD)


def analyze(text: str, title: str = "", lang: str | None = None) -> Analysis:
    """Split an article into sentences and compute their features.

    `lang` (ISO 639-1, see summarizers.languages) picks the splitting rules, stemmer and stop
    words; None is English.
    """
    sentences: list[str] = []
    paragraphs: list[int] = []
    for number, paragraph in enumerate(split_paragraphs(text)):
        found = list(map(strip_opener, split_paragraph(paragraph, lang)))
        if "" in found:  # bare bylines
            found = [sentence for sentence in found if sentence]
        sentences += found
        paragraphs += [number] * len(found)
    term_ids, bounds, word_counts, title_ids = _terms(sentences, title, lang)
    return Analysis(
        sentences=tuple(sentences),
        term_ids=term_ids,
        bounds=bounds,
        word_counts=word_counts,
        paragraphs=np.array(paragraphs, dtype=np.int32),
        title_ids=title_ids,
        flags=np.array(list(map(sentence_flags, sentences)), dtype=np.uint8),
    )


def _terms(
    sentences: Sequence[str], title: str, lang: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(term_ids, bounds, word_counts, title_ids) of an analysis, as `analyze` computes them
    and `Analysis.from_bytes` computes them again."""
    terms = sentence_terms(sentences, lang)
    counts = terms.words
    if terms.wide:  # perhaps Chinese or Japanese: count their words as `word_count` does
        counts = np.array([word_count(sentence) for sentence in sentences], dtype=np.int32)
    title_ids = np.array(lang_term_ids(title, lang), dtype=np.uint32)
    return terms.ids, terms.bounds, counts, title_ids


def strip_opener(sentence: str) -> str:
    """Drop a dateline, agency tag or byline from the start of a sentence ("" for a bare byline).

    "WASHINGTON (AP) — The House passed…" gives "The House passed…"; "(CNN)ESPN's…" gives
    "ESPN's…".  A sentence that is nothing but a byline ("By Jane Doe") gives "".  Rules after
    the AP Stylebook's dateline form (PLACE (AGENCY) —).
    """
    if not (
        sentence[:1] == "("
        or sentence[:2] == "By"
        or "-" in sentence
        or "—" in sentence
        or "–" in sentence
    ):
        # Every dateline and byline opens with "(" or "By" or has a dash: most sentences do
        # neither, and two failed regex matches cost more than these tests.
        return sentence
    if _BYLINE.match(sentence):
        return ""
    match = _dateline().match(sentence)
    if match is None or match.end() >= len(sentence):
        return sentence
    rest = sentence[match.end() :]
    return rest[:1].upper() + rest[1:]


def sentence_flags(sentence: str) -> int:
    """Compute a sentence's surface cues (see QUESTION and the other flags)."""
    value = 0
    if "?" in sentence and sentence.rstrip(_CLOSERS).endswith("?"):
        value |= QUESTION
    if sentence[:1] in _OPENING_QUOTES:
        value |= OPENS_WITH_QUOTE
    if '"' in sentence or "“" in sentence or "”" in sentence:
        value |= HAS_QUOTE
    if dangles(sentence):
        value |= DANGLES
    return value
