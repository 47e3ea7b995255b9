"""Per-article time of `news` against a vectorised TextRank and sumy's LexRank, as ratios.

    python bench/speed.py [DATA.jsonl ...] [--sizes 2000 8000 20000] [--runs 5] [--busy]

The vectorised TextRank (bench/textrank_peer.py) needs scikit-learn: `pip install -e
'.[bench]'`.

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


def seconds(work: Callable[[], object]) -> float:
    """Wall time of one call."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    """Time the summarizers at every size and print the tables (quiet, then busy)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", type=Path, help="JSONL files of news texts")
    parser.add_argument("--sizes", nargs="+", type=int, default=[2000, 8000, 20000])
    parser.add_argument("--runs", type=int, default=5, help="repeats per size (min/median)")
    parser.add_argument("--count", type=int, default=3, help="sentences per summary")
    parser.add_argument(
        "--busy",
        action="store_true",
        help="after the quiet table, the same with another core busy (bench/busy.py)",
    )
    args = parser.parse_args()
    print(f"$ python bench/speed.py {' '.join(sys.argv[1:])}\n")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    texts = [article(paragraphs(args.data), size) for size in args.sizes]
    quiet = run(args, texts, "quiet")
    if args.busy:
        with busy():
            loaded = run(args, texts, "another core busy")
        print("\n| words | news busy / quiet (medians) |\n|---|---|")
        for (words, q), (_, b) in zip(quiet, loaded, strict=True):
            print(f"| {words:,} | {b / q:.2f} |")


def run(args: argparse.Namespace, texts: list[str], label: str) -> list[tuple[int, float]]:
    """Print one table; return (words, median news seconds) per text.

    Each repeat times `news`, the vectorised TextRank and (once per size, it is quadratic)
    sumy's LexRank back to back on the same text, so each ratio compares one moment's
    machine; the table gives min / median over `--runs` repeats of each ratio.
    """
    from textrank_peer import textrank  # scikit-learn: pip install -e '.[bench]'
    from threadpoolctl import threadpool_limits

    news = summarizers.get("news")
    lexrank = summarizers.get("lexrank")
    print(f"\n{label}: {args.runs} repeats after a warm-up, splitting included; min / median\n")
    print(
        "| words | sentences | news ms | vectorised TextRank ms | TextRank / news "
        "| LexRank ms | LexRank / news |"
    )
    print("|---|---|---|---|---|---|---|")
    timings: list[tuple[int, float]] = []
    for text in texts:
        words = len(text.split())
        sentences = len(split_sentences(text))

        def ours(text: str = text) -> object:
            return news.summarize(text, args.count)  # one BLAS thread inside

        def peer(text: str = text) -> object:
            with threadpool_limits(1):  # the same per-request conditions as ours
                return textrank(text, args.count)

        ours(), peer()
        fast, other, ratios = [], [], []
        for _ in range(args.runs):
            f, o = seconds(ours), seconds(peer)
            fast.append(f)
            other.append(o)
            ratios.append(o / f)
        f = seconds(ours)
        slow = seconds(lambda text=text: lexrank.summarize(text, args.count))
        f = min(f, seconds(ours))
        timings.append((words, statistics.median(fast)))
        print(
            f"| {words:,} | {sentences:,} | {_mm(fast, 1000)} | {_mm(other, 1000)} "
            f"| {min(ratios):.1f}x / {statistics.median(ratios):.1f}x | {1000 * slow:.0f} "
            f"| {slow / f:.0f}x |"
        )
    print()
    for (n1, t1), (n2, t2) in itertools.pairwise(timings):
        exponent = math.log(t2 / t1) / math.log(n2 / n1)
        print(f"news growth {n1:,} -> {n2:,} words (medians): time ~ n^{exponent:.2f}")
    return timings


def _mm(values: list[float], scale: float) -> str:
    """ "min / median" of `values` times `scale`."""
    return f"{scale * min(values):.1f} / {scale * statistics.median(values):.1f}"


if __name__ == "__main__":
    main()
