"""Reading the evaluation JSONL files (format in ../shared/eval/README.md), for every bench.

A record is single-document (`title`, `text`) or multi-document (`documents: [{title, text}]`),
with a reference `summary`, one sentence a line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def records(path: Path) -> Iterator[dict[str, Any]]:
    """Every record of one JSONL file."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def documents(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A record's documents: its `documents`, or the record itself as the only one."""
    return record.get("documents") or [record]


def all_documents(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every document of every record of the files, in order."""
    for path in paths:
        for record in records(path):
            yield from documents(record)
