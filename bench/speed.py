"""Per-article time of `news` against sumy's `lexrank`, splitting included, as a ratio.

    python bench/speed.py [DATA.jsonl ...] [--sizes 500 2000 20000] [--runs 5]

Articles of each size are built by joining real news texts (from the JSONL files given, else
the shipped seed articles) paragraph by paragraph until the size is reached.  Both sides get
the same raw text and do all their own work: sentence splitting, tokens, scoring, selection.
`lexrank` is sumy's LexRank behind our offline tokenizer (sumy's own needs NLTK data), so the
ratio measures the algorithms, not the splitters.  Prints a Markdown table, the growth
exponent of `news` between sizes (1.0 is linear; n log n shows as slightly above 1), and the
command that produced it.
"""

from __future__ import annotations

import argparse
import itertools
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from busy import busy
from evaldata import all_documents

import summarizers
from seeds import seed_files
from summarizers.text import split_sentences


def paragraphs(paths: list[Path]) -> Iterator[str]:
    """Yield news paragraphs forever, from the files given or the seeds."""
    texts = [doc["text"] for doc in all_documents(paths)]
    if not texts:
        texts = [p.read_text(encoding="utf-8") for p in seed_files()]
    while True:
        for text in texts:
            yield from (p for p in text.split("\n") if p.strip())


def article(source: Iterator[str], size: int) -> str:
    """Join paragraphs until the article has `size` words, ending on a sentence boundary."""
    parts: list[str] = []
    count = 0
    while count < size:
        paragraph = next(source)
        if count + len(paragraph.split()) > size:
            # Take only the sentences needed, so the article is close to the size asked for.
            taken = []
            for sentence in split_sentences(paragraph):
                taken.append(sentence)
                count += len(sentence.split())
                if count >= size:
                    break
            paragraph = " ".join(taken)
        else:
            count += len(paragraph.split())
        parts.append(paragraph)
    return "\n".join(parts)


def median_seconds(work: Callable[[], object], runs: int) -> float:
    """Median wall time of `runs` calls, after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Time both summarizers at every size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path, help="JSONL files of news texts")
    parser.add_argument("--sizes", nargs="+", type=int, default=[500, 2000, 20000])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per size (median)")
    parser.add_argument("--count", type=int, default=3, help="sentences per summary")
    parser.add_argument(
        "--busy", action="store_true", help="time everything with another core busy"
    )
    args = parser.parse_args()
    if args.busy:
        with busy():
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    """Print the table for the sizes asked."""
    news = summarizers.get("news")
    lexrank = summarizers.get("lexrank")
    source = paragraphs(args.data)
    print(f"$ python bench/speed.py {' '.join(sys.argv[1:])}\n")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"median of {args.runs} runs after a warm-up; splitting included", end="")
    print("; another core busy\n" if args.busy else "\n")
    print("| words | sentences | news ms | lexrank ms | lexrank / news |")
    print("|---|---|---|---|---|")
    timings: list[tuple[int, float]] = []
    for size in args.sizes:
        text = article(source, size)
        words = len(text.split())
        sentences = len(split_sentences(text))
        fast = median_seconds(lambda text=text: news.summarize(text, args.count), args.runs)
        # LexRank is quadratic: a single run is plenty on long texts.
        runs = args.runs if words <= 5000 else 1
        slow = median_seconds(lambda text=text: lexrank.summarize(text, args.count), runs)
        timings.append((words, fast))
        print(
            f"| {words:,} | {sentences:,} | {1000 * fast:.1f} | {1000 * slow:.1f} "
            f"| {slow / fast:.0f}x |"
        )
    print()
    for (n1, t1), (n2, t2) in itertools.pairwise(timings):
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        print(f"news growth {n1:,} -> {n2:,} words: time ~ n^{exponent:.2f}")


if __name__ == "__main__":
    main()
