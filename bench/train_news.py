"""Fit the `news` summarizer's weights on development data and report cross-validated ROUGE.

    python bench/train_news.py ../shared/eval/cnndm-frank-dev.jsonl \\
        ../shared/eval/allsides-neus-dev.jsonl [--write]

Each sentence is labelled 1 if a greedy ROUGE oracle picks it for the reference (at most k
sentences, by mean ROUGE-1/2 F1) and 0 otherwise; a ridge regression maps the sentence
features of `summarizers.news` to those labels.  The oracle chooses only among sentences a
briefing may open a bullet with (not dangling: see `summarizers.facts.dangles`), so the model
learns the best self-contained sentence rather than one the composer would pass over.
Cross-validation (5 folds over records, every file split alike) gives honest figures for the
whole summarizer, MMR included, and for the briefing composer's own path (`composer`:
`bot.briefing.condense` with the fold's model), next to Lead on the same folds.  `--write`
refits on all the records and writes `summarizers/news_model.json`.
Needs `pip install rouge-score`.
Only the development splits are ever read; no data is copied into the repository.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaldata import documents, records
from quality import composer_summary

import summarizers
from summarizers.analysis import DANGLES, Analysis, analyze
from summarizers.base import concatenate
from summarizers.news import FEATURES, MODEL_FILE, NewsSummarizer, features
from summarizers.vectors import TermSpace

RIDGE = 1.0
FOLDS = 5


def load(path: Path) -> list[tuple[list[Analysis], str, dict]]:
    """Read records as (analyses, reference, record); a single document is a list of one."""
    loaded = []
    for record in records(path):
        analyses = [analyze(d["text"], d.get("title") or "") for d in documents(record)]
        loaded.append(([a for a in analyses if len(a)], record["summary"], record))
    return loaded


def design(analyses: list[Analysis]) -> tuple[np.ndarray, Analysis]:
    """Feature matrix of a record, as the summarizer computes it."""
    merged, owners = concatenate(analyses)
    positions = np.array([i for _, i in owners])
    documents = np.array([d for d, _ in owners])
    return features(merged, positions, documents, TermSpace(merged)), merged


def oracle(scorer: object, merged: Analysis, reference: str, k: int) -> np.ndarray:
    """1 for the sentences a greedy ROUGE oracle picks (at most k, never a dangling one), 0 for
    the rest."""
    # What the composer may open a bullet with: not a dangling sentence.
    usable = ~(merged.flags & DANGLES).astype(bool)
    chosen: list[int] = []
    best = 0.0
    for _ in range(k):
        gains = []
        for i in range(len(merged)):
            if i in chosen or not usable[i]:
                gains.append(-1.0)
                continue
            text = "\n".join(merged.sentences[j] for j in sorted([*chosen, i]))
            score = scorer.score(reference, text)  # type: ignore[attr-defined]
            gains.append((score["rouge1"].fmeasure + score["rouge2"].fmeasure) / 2)
        i = int(np.argmax(gains))
        if gains[i] <= best:
            break
        best = gains[i]
        chosen.append(i)
    y = np.zeros(len(merged))
    y[chosen] = 1.0
    return y


def fit(xs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
    """Ridge regression on standardized features (the bias is not penalized)."""
    x = np.vstack(xs)
    y = np.concatenate(ys)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    mean[0], std[0] = 0.0, 1.0
    std[std == 0] = 1.0
    z = (x - mean) / std
    penalty = RIDGE * np.eye(z.shape[1])
    penalty[0, 0] = 0.0
    w = np.linalg.solve(z.T @ z + penalty, z.T @ y)
    # Back to raw features: score = x @ weights.
    weights = w / std
    weights[0] = w[0] - float((w[1:] * mean[1:] / std[1:]).sum())
    return weights


def summarize(summarizer: summarizers.base.Summarizer, analyses: list[Analysis], k: int) -> str:
    """The k-sentence summary of a record, one sentence a line."""
    if len(analyses) == 1:
        return "\n".join(analyses[0].sentences[i] for i in summarizer.select(analyses[0], k))
    picks = summarizer.select_many(analyses, k)
    return "\n".join(analyses[d].sentences[i] for d, i in picks)


def main() -> None:
    """Cross-validate, print the table, and optionally write the model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="+", type=Path)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="write summarizers/news_model.json")
    args = parser.parse_args()
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    datasets = {}
    for path in args.data:
        rows = []
        for analyses, reference, record in load(path):
            x, merged = design(analyses)
            y = oracle(scorer, merged, reference, args.k)
            rows.append((analyses, reference, x, y, record))
        datasets[path.name] = rows
    print(f"$ python bench/train_news.py {' '.join(sys.argv[1:])}\n")
    print(f"{FOLDS}-fold cross-validation, k={args.k} (R-1 / R-2, words per sentence)\n")
    print("| data | lead | news (cross-validated) | composer (cross-validated) |")
    print("|---|---|---|---|")
    lead = summarizers.get("lead")
    for name, rows in datasets.items():
        results = {"lead": ([], [], []), "news": ([], [], []), "composer": ([], [], [])}
        for fold in range(FOLDS):
            train = [
                (x, y)
                for rows_ in datasets.values()
                for i, (_, _, x, y, _) in enumerate(rows_)
                if i % FOLDS != fold
            ]
            model = NewsSummarizer(fit([x for x, _ in train], [y for _, y in train]))
            for i, (analyses, reference, _, _, record) in enumerate(rows):
                if i % FOLDS != fold:
                    continue
                for label, summarizer in (("lead", lead), ("news", model), ("composer", model)):
                    if label == "composer":
                        text = "\n".join(composer_summary(summarizer, record, args.k))
                    else:
                        text = summarize(summarizer, analyses, args.k)
                    score = scorer.score(reference, text)
                    results[label][0].append(score["rouge1"].fmeasure)
                    results[label][1].append(score["rouge2"].fmeasure)
                    results[label][2].extend(len(s.split()) for s in text.splitlines())
        cells = [
            f"{100 * statistics.mean(r1):.2f} / {100 * statistics.mean(r2):.2f}, "
            f"{statistics.mean(w):.2f} w"
            for r1, r2, w in results.values()
        ]
        print(f"| {name} | {' | '.join(cells)} |")
    if args.write:
        everything = [(x, y) for rows in datasets.values() for _, _, x, y, _ in rows]
        weights = fit([x for x, _ in everything], [y for _, y in everything])
        MODEL_FILE.write_text(
            json.dumps(
                {
                    "trained_on": sorted(datasets),
                    "trained_at": datetime.now(UTC).date().isoformat(),
                    "method": "ridge regression on greedy ROUGE-oracle labels; bench/train_news.py",
                    "k": args.k,
                    "weights": {
                        f: round(float(w), 6) for f, w in zip(FEATURES, weights, strict=True)
                    },
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"\nwrote {MODEL_FILE}")


if __name__ == "__main__":
    main()
