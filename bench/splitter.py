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


def main() -> None:
    """Print accuracy and speed for our splitter (and pysbd when installed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path)
    parser.add_argument("--growth", action="store_true", help="only the one-paragraph growth")
    args = parser.parse_args()
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
