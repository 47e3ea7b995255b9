"""Check that two checkouts analyse and summarize text identically, field by field.

    python bench/same_analyses.py REFERENCE_DIR [DATA.jsonl ...] [--ud DIR]

REFERENCE_DIR is another checkout's root (e.g. `git archive main | tar -x -C /tmp/main`).
Both checkouts run, each in its own process, over every document of the JSONL files (default
../shared/eval/*.jsonl: with lang None, "en" and each language of the UD data, with and
without its title) and every UD text (../shared/ud/*.jsonl: sentences joined, paragraph breaks
as line breaks, with its language and with none); each writes `split_sentences`, every field
of `analyze` (values and dtypes) and the `news` picks (`select` for 1, 3 and 5 sentences,
`select_many` for 3 and 5 over a multi-document record).  Prints the first differences and
exits 1 if there are any: for a speed change that must not change a single output.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared"


def items(data: list[Path], ud: Path) -> Iterator[tuple[str, list[tuple[str, str]], str | None]]:
    """(key, [(title, text), …], lang) for every case checked."""
    sys.path.insert(0, str(HERE))
    from evaldata import documents, records

    ud_files = sorted(ud.glob("*.jsonl"))
    langs = [p.stem for p in ud_files]
    for path in data:
        for r, record in enumerate(records(path)):
            docs = [(d.get("title") or "", d.get("text") or "") for d in documents(record)]
            for lang in [None, "en"] + (langs if r % 10 == 0 else []):
                yield f"{path.name}:{r}:{lang}", docs, lang
            yield f"{path.name}:{r}:untitled", [("", text) for _, text in docs], None
    for path in ud_files:
        for r, record in enumerate(records(path)):
            breaks = set(record.get("paragraph_breaks") or [])
            text = ""
            for i, sentence in enumerate(record["sentences"]):
                text += ("\n" if i in breaks and i else " " if i else "") + sentence
            title = record["sentences"][0]
            for lang in (record["lang"], None):
                yield f"{path.name}:{r}:{lang}", [(title, text)], lang


def _array(values: Any) -> list[Any]:
    return [str(values.dtype), values.tolist()]


def dump(code: Path, data: list[Path], ud: Path, out: Path) -> None:
    """Write one JSON line per case, computed by the checkout at `code`."""
    sys.path.insert(0, str(code))
    import summarizers
    from summarizers.analysis import analyze
    from summarizers.text import split_sentences

    assert Path(summarizers.__file__).resolve().is_relative_to(code.resolve()), code
    news = summarizers.get("news")
    with out.open("w", encoding="utf-8") as handle:
        for key, docs, lang in items(data, ud):
            analyses = [analyze(text, title, lang) for title, text in docs]
            record: dict[str, Any] = {"key": key, "documents": []}
            for (_, text), a in zip(docs, analyses, strict=True):
                record["documents"].append(
                    {
                        "split": split_sentences(text, lang),
                        "sentences": list(a.sentences),
                        "term_ids": _array(a.term_ids),
                        "bounds": _array(a.bounds),
                        "word_counts": _array(a.word_counts),
                        "paragraphs": _array(a.paragraphs),
                        "title_ids": _array(a.title_ids),
                        "flags": _array(a.flags),
                        "select": [news.select(a, k) for k in (1, 3, 5)],
                    }
                )
            if len(analyses) > 1:
                record["select_many"] = [news.select_many(analyses, k) for k in (3, 5)]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def compare(reference: Path, data: list[Path], ud: Path) -> int:
    """Run both checkouts; print differences; return the number of differing cases."""
    with tempfile.TemporaryDirectory() as tmp:
        outputs = []
        for name, code in (("reference", reference), ("this", ROOT)):
            out = Path(tmp) / f"{name}.jsonl"
            args = [sys.executable, str(Path(__file__).resolve()), "--dump", str(code)]
            args += [*map(str, data), "--ud", str(ud), "--out", str(out)]
            subprocess.run(args, check=True)
            outputs.append(out.read_text(encoding="utf-8").splitlines())
    old, new = outputs
    if len(old) != len(new):
        print(f"case counts differ: {len(old)} vs {len(new)}")
        return max(len(old), len(new))
    differing = 0
    for a, b in zip(old, new, strict=True):
        if a == b:
            continue
        differing += 1
        ra, rb = json.loads(a), json.loads(b)
        if differing <= 10:
            fields = sorted(
                {
                    k
                    for da, db in zip(ra["documents"], rb["documents"], strict=True)
                    for k in da
                    if da[k] != db.get(k)
                }
                | ({"select_many"} if ra.get("select_many") != rb.get("select_many") else set())
            )
            print(f"DIFFERS {ra['key']}: {', '.join(fields)}")
    print(
        f"{len(old)} cases, {sum(len(json.loads(x)['documents']) for x in old)} analyses: "
        f"{differing} differ"
    )
    return differing


def main() -> None:
    """Parse arguments; compare, or (internally) dump one checkout's outputs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, help="the other checkout's root")
    parser.add_argument("data", nargs="*", type=Path)
    parser.add_argument("--ud", type=Path, default=SHARED / "ud")
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = args.data or sorted((SHARED / "eval").glob("*.jsonl"))
    if args.dump is not None:
        data = [args.reference, *args.data] if args.reference else data
        dump(args.dump, data, args.ud, args.out)
        return
    if args.reference is None:
        parser.error("give the reference checkout's root")
    sys.exit(1 if compare(args.reference, data, args.ud) else 0)


if __name__ == "__main__":
    main()
