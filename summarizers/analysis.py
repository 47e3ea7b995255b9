"""Per-article analysis: everything a summarizer needs that depends only on the article.

It is computed once at ingest and stored in a compact binary form, so that a briefing over
thousands of articles never re-tokenizes stored text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import chain

import numpy as np

from .analysis_format import FORMAT  # the stored form's version (see there)
from .facts import MONTH, dangles
from .text import lang_term_ids, split_paragraph, split_paragraphs

# "BB10" from format 10 on ("BBA9" and earlier before): a blob of another format is refused.
_MAGIC = b"BB%02d" % FORMAT
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

    def to_bytes(self, text: str, lang: str | None = None) -> bytes:
        """Serialize for the store, which keeps `text` (the text analysed) beside the blob.

        `lang` is the language the analysis was made in (`analyze`'s `lang`; None: English):
        the blob keeps no sentence term ids, word counts or term bounds, which `from_bytes`
        computes again from the sentences with `analyze`'s own functions (`lang_term_ids`,
        `word_count`), so it needs the language.  Raises ValueError when the first sentence's
        terms in `lang` are not the analysis's (an analysis made in another language).

        Layout (little-endian): magic; one byte of widths; the language's length in bytes and
        its ASCII code; len(text) in characters, the sentence count, the literals' length in
        bytes and the title's term count; then, per sentence, the gap from the previous
        sentence's end to its start and its length in characters (length 0: the sentence is
        not a slice of the text, e.g. its spacing was collapsed, and is stored as a literal);
        the literals as a JSON list; each sentence's paragraph number less the previous one's;
        one flag byte per sentence; the title's term ids.  The header numbers, the gaps, the
        lengths and the paragraph steps are each stored in the narrowest of 1, 2 or 4 bytes
        that holds their largest value (the widths byte says which, two bits each); title term
        ids are 32-bit hashes and keep 4 bytes.  A sentence is stored by position and its terms
        not at all, so the blob is a small fraction of the text's size (format 9 stored every
        sentence's term ids, 4 bytes each: four fifths of its blob).
        """
        code = (lang or "").encode("ascii")
        gaps_lengths: list[int] = []  # gap, length, gap, length, …
        literals = []
        cursor = 0
        for sentence in self.sentences:
            found = text.find(sentence, cursor)
            if found < 0 or not sentence:
                literals.append(sentence)
                gaps_lengths += (0, 0)
                continue
            gaps_lengths += (found - cursor, len(sentence))
            cursor = found + len(sentence)
        literal = json.dumps(literals, ensure_ascii=False).encode("utf-8") if literals else b""
        # One sentence tokenised again: an analysis made in another language is refused here,
        # not decoded into other terms later.
        if self.sentences and not np.array_equal(
            lang_term_ids(self.sentences[0], lang), self.term_ids[: self.bounds[1]]
        ):
            raise ValueError(f"the analysis was not made in language {lang!r}")
        steps = np.diff(self.paragraphs, prepend=0) if len(self.sentences) else self.paragraphs
        if steps.size and steps.min() < 0:
            raise ValueError("paragraph numbers must not decrease")
        spans = np.array(gaps_lengths, dtype=np.int64).reshape(-1, 2)
        gap_width, packed_gaps = _narrowest(spans[:, 0])
        length_width, packed_lengths = _narrowest(spans[:, 1])
        step_width, packed_steps = _narrowest(steps)
        numbers = np.array([len(text), len(self.sentences), len(literal), self.title_ids.size])
        number_width, packed_numbers = _narrowest(numbers)
        widths = number_width | gap_width << 2 | length_width << 4 | step_width << 6
        return b"".join(
            [
                _MAGIC,
                bytes((widths, len(code))),
                code,
                packed_numbers,
                packed_gaps,
                packed_lengths,
                literal,
                packed_steps,
                self.flags.astype(np.uint8, copy=False).tobytes(),
                self.title_ids.astype("<u4", copy=False).tobytes(),
            ]
        )

    @classmethod
    def from_bytes(cls, blob: bytes, text: str) -> Analysis:
        """Rebuild an analysis stored by `to_bytes(text, lang)`, given the same text: field
        for field what `analyze` gave, its term ids and word counts computed again from the
        sentences (tokenising: most of the cost).

        Raises ValueError for a blob of another format (see FORMAT) or of another text.
        """
        if len(blob) < len(_MAGIC) + 2 or blob[: len(_MAGIC)] != _MAGIC:
            raise ValueError("not a briefbot analysis blob of this format")
        offset = len(_MAGIC)
        widths, code_len = blob[offset], blob[offset + 1]
        offset += 2
        lang = blob[offset : offset + code_len].decode("ascii") or None
        offset += code_len
        number_type = _WIDTHS[widths & 3]
        numbers = np.frombuffer(blob, dtype=number_type, count=4, offset=offset).tolist()
        text_len, count, literal_len, title_count = numbers
        offset += 4 * number_type.itemsize
        if text_len != len(text):
            raise ValueError("the analysis blob belongs to another text")
        gap_type, length_type = _WIDTHS[widths >> 2 & 3], _WIDTHS[widths >> 4 & 3]
        spans = np.empty((count, 2), dtype=np.int64)
        spans[:, 0] = np.frombuffer(blob, dtype=gap_type, count=count, offset=offset)
        offset += count * gap_type.itemsize
        spans[:, 1] = np.frombuffer(blob, dtype=length_type, count=count, offset=offset)
        offset += count * length_type.itemsize
        lengths = spans[:, 1].tolist()
        ends = spans.cumsum().tolist()[1::2]  # gap, length, gap, … summed: each end
        literals = iter(json.loads(blob[offset : offset + literal_len]) if literal_len else ())
        offset += literal_len
        sentences = tuple(
            text[end - length : end] if length else next(literals)
            for end, length in zip(ends, lengths, strict=True)
        )
        step_type = _WIDTHS[widths >> 6 & 3]
        steps = np.frombuffer(blob, dtype=step_type, count=count, offset=offset)
        paragraphs = steps.cumsum(dtype=np.int32)
        offset += count * step_type.itemsize
        flags = np.frombuffer(blob, dtype=np.uint8, count=count, offset=offset)
        offset += count
        title_ids = np.frombuffer(blob, dtype="<u4", count=title_count, offset=offset)
        # The terms and word counts, as `analyze` computes them (the same functions).
        per_sentence = [lang_term_ids(sentence, lang) for sentence in sentences]
        bounds = np.zeros(count + 1, dtype=np.int32)
        np.cumsum([len(ids) for ids in per_sentence], out=bounds[1:])
        term_ids = np.fromiter(chain.from_iterable(per_sentence), dtype=np.uint32, count=bounds[-1])
        word_counts = np.fromiter(map(word_count, sentences), dtype=np.int32, count=count)
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
        for sentence in split_paragraph(paragraph, lang):
            sentence = strip_opener(sentence)
            if sentence:
                sentences.append(sentence)
                paragraphs.append(number)
    ids: list[int] = []
    bounds = [0]
    counts = []
    flags = []
    for sentence in sentences:
        ids.extend(lang_term_ids(sentence, lang))
        bounds.append(len(ids))
        counts.append(word_count(sentence))
        flags.append(sentence_flags(sentence))
    return Analysis(
        sentences=tuple(sentences),
        term_ids=np.array(ids, dtype=np.uint32),
        bounds=np.array(bounds, dtype=np.int32),
        word_counts=np.array(counts, dtype=np.int32),
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
    if sentence.rstrip(_CLOSERS).endswith("?"):
        value |= QUESTION
    if sentence[:1] in _OPENING_QUOTES:
        value |= OPENS_WITH_QUOTE
    if any(q in sentence for q in '"“”'):
        value |= HAS_QUOTE
    if dangles(sentence):
        value |= DANGLES
    return value
