"""Per-article analysis: everything a summarizer needs that depends only on the article.

It is computed once at ingest and stored in a compact binary form, so that a briefing over
thousands of articles never re-tokenizes stored text.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass

import numpy as np

from .analysis_format import FORMAT  # the stored form's version (see there)
from .facts import MONTH, dangles
from .text import lang_term_ids, sentence_terms, split_paragraph, split_paragraphs

_MAGIC = b"BBA%d" % FORMAT
_HEADER = struct.Struct("<4s5IB")
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
_DATELINE = re.compile(
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

    def __len__(self) -> int:
        return len(self.sentences)

    def sentence_terms(self, index: int) -> np.ndarray:
        """Return the term ids of one sentence."""
        return self.term_ids[self.bounds[index] : self.bounds[index + 1]]

    def to_bytes(self, text: str) -> bytes:
        """Serialize for the store, which keeps `text` (the text analysed) beside the blob.

        Layout (little-endian): magic, len(text) in characters, sentence count, literal bytes,
        term count, title term count, one byte of widths; then one (start, end) span per
        sentence into `text` ((0, 0): the sentence is not a slice of the text, e.g. its
        spacing was collapsed, and is stored as a literal); the literals as a JSON list; the
        term bounds but the leading 0 (where each sentence's terms end), the word counts, the
        paragraph numbers; one flag byte per sentence;
        the term ids; the title's term ids.  The spans, and the per-sentence numbers, are each
        stored in the narrowest of 1, 2 or 4 bytes that holds their largest value (the widths
        byte says which, two bits each); term ids are 32-bit hashes and keep 4 bytes.  A sentence
        is stored by position, so the blob is a fraction of the text's size.
        """
        spans: list[int] = []  # start, end, start, end, …
        literals = []
        cursor = 0
        for sentence in self.sentences:
            found = text.find(sentence, cursor)
            if found < 0 or not sentence:
                literals.append(sentence)
                spans += (0, 0)
                continue
            cursor = found + len(sentence)
            spans += (found, cursor)
        literal = json.dumps(literals, ensure_ascii=False).encode("utf-8") if literals else b""
        span_width, packed_spans = _narrowest(np.array(spans, dtype=np.int64))
        per_sentence = np.concatenate([self.bounds[1:], self.word_counts, self.paragraphs])
        sentence_width, packed_sentences = _narrowest(per_sentence)
        header = _HEADER.pack(
            _MAGIC,
            len(text),
            len(self.sentences),
            len(literal),
            self.term_ids.size,
            self.title_ids.size,
            span_width | sentence_width << 2,
        )
        return b"".join(
            [
                header,
                packed_spans,
                literal,
                packed_sentences,
                self.flags.astype(np.uint8, copy=False).tobytes(),
                self.term_ids.astype("<u4", copy=False).tobytes(),
                self.title_ids.astype("<u4", copy=False).tobytes(),
            ]
        )

    @classmethod
    def from_bytes(cls, blob: bytes, text: str) -> Analysis:
        """Rebuild an analysis stored by `to_bytes(text)`, given the same text.

        Raises ValueError for a blob of another format (see FORMAT) or of another text.
        """
        if len(blob) < _HEADER.size or blob[:4] != _MAGIC:
            raise ValueError("not a briefbot analysis blob of this format")
        _, text_len, count, literal_len, term_count, title_count, widths = _HEADER.unpack_from(
            blob, 0
        )
        if text_len != len(text):
            raise ValueError("the analysis blob belongs to another text")
        span_type, sentence_type = _WIDTHS[widths & 3], _WIDTHS[widths >> 2 & 3]
        offset = _HEADER.size
        spans = np.frombuffer(blob, dtype=span_type, count=2 * count, offset=offset).tolist()
        offset += 2 * count * span_type.itemsize
        literals = iter(json.loads(blob[offset : offset + literal_len]) if literal_len else ())
        offset += literal_len
        sentences = tuple(
            text[spans[j] : spans[j + 1]] if spans[j + 1] else next(literals)
            for j in range(0, 2 * count, 2)
        )
        # bounds (its leading 0 implied), word counts and paragraphs, widened in one array.
        numbers = np.empty(3 * count + 1, dtype=np.int32)
        numbers[0] = 0
        numbers[1:] = np.frombuffer(blob, dtype=sentence_type, count=3 * count, offset=offset)
        offset += 3 * count * sentence_type.itemsize
        bounds = numbers[: count + 1]
        word_counts = numbers[count + 1 : 2 * count + 1]
        paragraphs = numbers[2 * count + 1 :]
        flags = np.frombuffer(blob, dtype=np.uint8, count=count, offset=offset)
        offset += count
        term_ids = np.frombuffer(blob, dtype="<u4", count=term_count, offset=offset)
        offset += 4 * term_count
        title_ids = np.frombuffer(blob, dtype="<u4", count=title_count, offset=offset)
        return cls(sentences, term_ids, bounds, word_counts, paragraphs, title_ids, flags)


# The stored widths of `to_bytes`, by their two-bit code.
_WIDTHS = (np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4"), np.dtype("<u4"))


def _narrowest(values: np.ndarray) -> tuple[int, bytes]:
    """The two-bit width code (see _WIDTHS) of the narrowest unsigned type that holds every
    value of `values` (non-negative integers below 2**32), and the values stored in it."""
    top = int(values.max()) if values.size else 0
    code = 0 if top < 1 << 8 else 1 if top < 1 << 16 else 2
    return code, values.astype(_WIDTHS[code], copy=False).tobytes()


# Chinese and Japanese run words together; news text averages about 1.5-2 characters a word
# (Chinese Treebank segmentation), so two characters count as one word against length caps.
CJK_CHARS_PER_WORD = 2
_CJK_CHAR = re.compile("[\u3040-\u30ff\u3400-\u9fff]")


def word_count(sentence: str) -> int:
    """Words in `sentence` as a reader counts them: whitespace-separated words (as ROUGE
    tooling counts), plus, for Chinese and Japanese characters, one word per
    CJK_CHARS_PER_WORD of them, so length caps hold in those languages too."""
    if _CJK_CHAR.search(sentence) is None:  # one C-speed scan; most text has none
        return len(sentence.split())
    cjk = sum(1 for c in sentence if "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff")
    rest = "".join(
        " " if "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" else c for c in sentence
    )
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
    terms = sentence_terms(sentences, lang)
    counts = terms.words
    if terms.wide:  # perhaps Chinese or Japanese: count their words as `word_count` does
        counts = np.array([word_count(sentence) for sentence in sentences], dtype=np.int32)
    flags = list(map(sentence_flags, sentences))
    return Analysis(
        sentences=tuple(sentences),
        term_ids=terms.ids,
        bounds=terms.bounds,
        word_counts=counts,
        paragraphs=np.array(paragraphs, dtype=np.int32),
        title_ids=np.array(lang_term_ids(title, lang), dtype=np.uint32),
        flags=np.array(flags, dtype=np.uint8),
    )


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
    match = _DATELINE.match(sentence)
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
