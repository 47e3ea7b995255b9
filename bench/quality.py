"""ROUGE of every summarizer on a JSONL evaluation file (single- or multi-document).

    python bench/quality.py ../shared/eval/cnndm-frank-dev.jsonl --k 3
    python bench/quality.py ../shared/eval/allsides-neus-dev.jsonl --k 3

Single-document records have `text` (paragraphs on newlines) and `summary` (one sentence a
line); multi-document records have `documents: [{title, text}]` and go through
`summarize_many`.  The `composer` row is the briefing composer's own path
(`bot.briefing.condense`, the `news` summarizer, k bullets): story grouping, event first,
fact merging, self-contained bullets.  `--k ref` takes as many sentences as the reference
has.  Needs
`pip install rouge-score` (a benchmark-only dependency).  Prints a Markdown table and the
command that produced it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaldata import documents, records

import summarizers
from bot.briefing import condense
from bot.models import Article
from summarizers.analysis import Analysis, analyze

COMPOSER = "composer"
_WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def record_articles(record: dict) -> tuple[list[Article], list[Analysis]]:
    """A record's documents as stored articles (outlets "Outlet A", "Outlet B", …) and their
    analyses, leaving out documents without sentences."""
    articles, analyses = [], []
    for n, document in enumerate(documents(record)):
        analysis = analyze(document["text"], document.get("title") or "")
        if not len(analysis):
            continue
        title = document.get("title") or f"Report {n}"
        outlet = f"Outlet {chr(65 + n)}"
        articles.append(Article(n + 1, title, document["text"], outlet, None, None, _WHEN, ""))
        analyses.append(analysis)
    return articles, analyses


def composer_summary(summarizer: summarizers.base.Summarizer, record: dict, k: int) -> list[str]:
    """The k bullets the briefing composer makes of one record's documents."""
    articles, analyses = record_articles(record)
    return [b.text for b in condense(articles, analyses, summarizer, k)]


def _load(path: Path, limit: int | None) -> list[dict]:
    loaded = list(records(path))
    return loaded[:limit] if limit else loaded


def _summary(summarizer: summarizers.base.Summarizer, record: dict, k: int) -> list[str]:
    if "documents" in record:
        analyses = [analyze(d["text"], d.get("title") or "") for d in documents(record)]
        analyses = [a for a in analyses if len(a)]
        return [analyses[d].sentences[i] for d, i in summarizer.select_many(analyses, k)]
    analysis = analyze(record["text"], record.get("title") or "")
    return [analysis.sentences[i] for i in summarizer.select(analysis, k)]


def main() -> None:
    """Score every summarizer and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a JSONL file, e.g. ../shared/eval/*-dev.jsonl")
    parser.add_argument("--k", default="3", help="sentences per summary, or 'ref'")
    parser.add_argument("--only", nargs="*", help="composer and/or summarizer names (default: all)")
    parser.add_argument("--limit", type=int, help="first N records only")
    args = parser.parse_args()
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    records = _load(args.data, args.limit)
    names = args.only or [COMPOSER, *summarizers.available()]
    print(f"$ python bench/quality.py {' '.join(sys.argv[1:])}")
    print(f"\n{args.data.name}: {len(records)} records, k={args.k}\n")
    print("| method | R-1 | R-2 | R-Lsum | words/summary | words/sentence | ms/doc |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        summarizer = summarizers.get("news" if name == COMPOSER else name)
        summarize = composer_summary if name == COMPOSER else _summary
        r1, r2, rl, words, per_sentence = [], [], [], [], []
        elapsed = 0.0
        for record in records:
            reference = record["summary"]
            k = (
                len([s for s in reference.splitlines() if s.strip()])
                if args.k == "ref"
                else int(args.k)
            )
            start = time.perf_counter()
            picked = summarize(summarizer, record, k)
            elapsed += time.perf_counter() - start
            scores = scorer.score(reference, "\n".join(picked))
            r1.append(scores["rouge1"].fmeasure)
            r2.append(scores["rouge2"].fmeasure)
            rl.append(scores["rougeLsum"].fmeasure)
            counts = [len(s.split()) for s in picked]
            words.append(sum(counts))
            per_sentence.extend(counts)
        print(
            f"| {name} | {100 * statistics.mean(r1):.2f} | {100 * statistics.mean(r2):.2f} | "
            f"{100 * statistics.mean(rl):.2f} | {statistics.mean(words):.0f} | "
            f"{statistics.mean(per_sentence or [0]):.1f} | {1000 * elapsed / len(records):.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
