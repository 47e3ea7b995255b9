"""Sentence splitter accuracy on the reference summaries, and speed on the articles.

    python bench/splitter.py ../shared/eval/cnndm-frank-dev.jsonl \\
        ../shared/eval/bbc-news-summary-dev.jsonl

The references hold one sentence a line, written or checked by people: each record's lines
(when every one ends in punctuation) are joined with a space and split again, and every
boundary found is compared with the true ones.  Speed is measured on the articles themselves
(`text`, or each of `documents`).  If pysbd is installed (`pip install pysbd`, benchmark
only) it is measured the same way, as the accuracy and speed reference.

Without data files (or with `--growth` only) it prints how splitting and analysis grow on one
paragraph of 0.5, 1 and 2 MB: linear time means the 2 MB column is about twice the 1 MB one.

    python bench/splitter.py --ud ../shared/ud [--langs de ru zh]

scores sentence boundaries per language on Universal Dependencies gold sentences (one
`<lang>.jsonl` a language, see that directory's README): each paragraph's sentences are joined
as running text (with a space; with nothing for Chinese and Japanese, which put no space
between sentences) and split again, ours with the language given, pysbd with its rules for the
language (its English ones where it has none: marked "en*").  Only boundaries inside a
paragraph are scored (a paragraph's end is given to both splitters).  pysbd comes with the
`bench` extra: `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaldata import documents, records

from summarizers.languages import SUPPORTED
from summarizers.text import split_sentences

Splitter = Callable[[str], list[str]]
_ENDED = re.compile(r"""[.!?…]["'”’»)\]]*$""")


def load(paths: list[Path]) -> tuple[list[list[str]], list[str]]:
    """Reference sentence lists and article texts from the JSONL files."""
    references, articles = [], []
    for path in paths:
        for record in records(path):
            lines = [s.strip() for s in record["summary"].split("\n") if s.strip()]
            # CNN highlights often lack a final period: no splitter can see those
            # boundaries, so only summaries whose sentences all end in punctuation count.
            if len(lines) > 1 and all(_ENDED.search(s) for s in lines):
                references.append(lines)
            articles.extend(d["text"] for d in documents(record))
    return references, articles


def boundaries(sentences: list[str]) -> set[int]:
    """Character offsets (in the space-joined text, spaces ignored) where sentences end."""
    ends, position = set(), 0
    for sentence in sentences:
        position += len(sentence.replace(" ", ""))
        ends.add(position)
    return ends


def accuracy(split: Splitter, references: list[list[str]]) -> tuple[float, float, float, float]:
    """Boundary precision, recall, F1, and the share of references split exactly right."""
    found = true = right = exact = 0
    for sentences in references:
        expected = boundaries(sentences)
        got = boundaries(split(" ".join(sentences)))
        found += len(got)
        true += len(expected)
        right += len(got & expected)
        exact += got == expected
    precision = right / found if found else 0.0
    recall = right / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, exact / len(references)


def speed(split: Splitter, articles: list[str]) -> float:
    """Milliseconds per article."""
    start = time.perf_counter()
    for text in articles:
        split(text)
    return 1000 * (time.perf_counter() - start) / len(articles)


# Invented prose with the cases that cost the splitter work: abbreviations, initialisms,
# quotes, runs of stops.
_PROSE = (
    "The council met on Monday in the U.S. capital, and Dr. Smith said the plan would go "
    "ahead. “Is it wise?” Jones asked. Officials disagreed!! Talks resumed at No. 10 Downing "
    "St. on Tuesday... Nobody knew why. "
)
_SIZES = (500_000, 1_000_000, 2_000_000)


def growth() -> None:
    """Seconds to split and to analyze one paragraph of each size, and the 2 MB / 1 MB ratio."""
    from summarizers.analysis import analyze

    print("| one paragraph of | split s | analyze s |")
    print("|---|---|---|")
    times: dict[int, tuple[float, float]] = {}
    for size in _SIZES:
        text = (_PROSE * (size // len(_PROSE) + 1))[:size]
        start = time.perf_counter()
        split_sentences(text)
        split = time.perf_counter() - start
        start = time.perf_counter()
        analyze(text)
        times[size] = (split, time.perf_counter() - start)
        print(f"| {size / 1e6:g} MB | {split:.2f} | {times[size][1]:.2f} |")
    one, two = times[1_000_000], times[2_000_000]
    print(f"| 2 MB / 1 MB | {two[0] / one[0]:.2f} | {two[1] / one[1]:.2f} |")


# pysbd 0.3.4's languages (pysbd/lang/*.py).
_PYSBD = frozenset("en hi mr zh es am ar hy bg ur ru pl fa nl da fr my el it ja de kk sk".split())
_UNSPACED = frozenset({"zh", "ja"})


def ud_paragraphs(path: Path) -> list[list[str]]:
    """Gold sentences of a UD file, one list a paragraph (records split at `paragraph_breaks`)."""
    paragraphs = []
    for record in records(path):
        breaks = set(record.get("paragraph_breaks") or ())
        current: list[str] = []
        for i, sentence in enumerate(record["sentences"]):
            if i in breaks and current:
                paragraphs.append(current)
                current = []
            current.append(sentence)
        if current:
            paragraphs.append(current)
    return paragraphs


def _inner_ends(sentences: list[str]) -> set[int]:
    """Offsets (spaces ignored) where a sentence ends, the last one left out."""
    ends, position = set(), 0
    for sentence in sentences[:-1]:
        position += len("".join(sentence.split()))
        ends.add(position)
    return ends


def ud_score(split: Splitter, paragraphs: list[list[str]], joiner: str) -> tuple[float, ...]:
    """Boundary precision, recall and F1 (in %) over the paragraphs, and seconds spent."""
    found = true = right = 0
    seconds = 0.0
    for sentences in paragraphs:
        expected = _inner_ends(sentences)
        text = joiner.join(sentences)
        start = time.perf_counter()
        pieces = split(text)
        seconds += time.perf_counter() - start
        got = _inner_ends(pieces)
        found += len(got)
        true += len(expected)
        right += len(got & expected)
    precision = right / found if found else 0.0
    recall = right / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return 100 * precision, 100 * recall, 100 * f1, seconds


def ud(directory: Path, langs: list[str]) -> None:
    """Print the per-language table of ours vs pysbd on the UD gold sentences."""
    import pysbd

    print("| lang | sentences | ours P | ours R | ours F1 | pysbd P | pysbd R | pysbd F1 |")
    print("|---|---|---|---|---|---|---|---|")
    ours_s = theirs_s = 0.0
    for lang in langs:
        path = directory / f"{lang}.jsonl"
        if not path.exists():
            continue
        paragraphs = ud_paragraphs(path)
        joiner = "" if lang in _UNSPACED else " "
        segmenter = pysbd.Segmenter(language=lang if lang in _PYSBD else "en", clean=False)

        def theirs(text: str, segmenter: pysbd.Segmenter = segmenter) -> list[str]:
            return [s.strip() for s in segmenter.segment(text) if s.strip()]

        *ours, seconds = ud_score(
            lambda text, lang=lang: split_sentences(text, lang), paragraphs, joiner
        )
        *pysbd_, pysbd_seconds = ud_score(theirs, paragraphs, joiner)
        ours_s += seconds
        theirs_s += pysbd_seconds
        name = lang if lang in _PYSBD else f"{lang} (en*)"
        count = sum(map(len, paragraphs))
        cells = " | ".join(f"{v:.1f}" for v in (*ours, *pysbd_))
        print(f"| {name} | {count} | {cells} |")
    print(f"\nsplitting time, all languages: ours {ours_s:.3f} s, pysbd {theirs_s:.3f} s")


def main() -> None:
    """Print accuracy and speed for our splitter (and pysbd when installed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path)
    parser.add_argument("--growth", action="store_true", help="only the one-paragraph growth")
    parser.add_argument("--ud", type=Path, help="directory of UD gold sentences per language")
    parser.add_argument("--langs", nargs="*", default=list(SUPPORTED), help="with --ud")
    args = parser.parse_args()
    if args.ud:
        print(f"$ python bench/splitter.py {' '.join(sys.argv[1:])}\n")
        ud(args.ud, args.langs)
        return
    if args.growth or not args.data:
        print(f"$ python bench/splitter.py {' '.join(sys.argv[1:])}\n")
        growth()
        return
    references, articles = load(args.data)
    splitters: dict[str, Splitter] = {"briefbot": split_sentences}
    try:
        import pysbd
    except ImportError:
        print("(pysbd not installed: `pip install pysbd` to compare)\n")
    else:
        segmenter = pysbd.Segmenter(language="en", clean=False)

        def pysbd_split(text: str) -> list[str]:
            # Paragraph by paragraph, as ours works: neither may join across a line break.
            return [s.strip() for p in text.split("\n") for s in segmenter.segment(p) if s.strip()]

        splitters["pysbd"] = pysbd_split
    print(f"$ python bench/splitter.py {' '.join(sys.argv[1:])}\n")
    print(f"{len(references)} reference summaries, {sum(map(len, references))} sentences; ")
    print(f"speed over {len(articles)} articles\n")
    print("| splitter | precision | recall | F1 | summaries exact | ms/article |")
    print("|---|---|---|---|---|---|")
    for name, split in splitters.items():
        p, r, f, exact = accuracy(split, references)
        ms = speed(split, articles)
        print(
            f"| {name} | {100 * p:.2f} | {100 * r:.2f} | {100 * f:.2f} | {100 * exact:.1f}% "
            f"| {ms:.2f} |"
        )


if __name__ == "__main__":
    main()
