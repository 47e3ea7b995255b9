"""Chunks found and hashed by numpy (summarizers.chunks) against `str.split`, and the table."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from summarizers import chunks as chunks_module
from summarizers import text
from summarizers.chunks import SPACES, ChunkTable, chunk_spans
from summarizers.text import sentence_terms, split_sentences, term_id, terms

SHARED_EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"

AWKWARD = [
    "",
    " ",
    "one",
    "  two  words  ",
    "tab\tnew\nline\rcarriage\x0bvertical\x0cfeed\x1cfile\x1dgroup\x1erecord\x1funit end",
    "no\u00a0break\u2009thin\u3000ideographic\u0085next\u2028line\u2029para\u202fnarrow\u205fmath",
    "nul\x00inside \x00 alone \x00\x00 twice",
    "a a a a",  # the same chunk at every position
    "a\x00 a",  # NUL adds nothing to a sum: the length must tell them apart
    "lone \ud800 surrogate \udfff\ud800 pair",
    "emoji 😀 astral 𝔸𝔹 and CJK 東京都は計画を発表した。",
    "zero-width\u200bjoiner\u200d stay one chunk (not spaces)",
]


def split_by_spans(value: str) -> list[str]:
    spans = chunk_spans(value)
    assert spans is not None
    starts, ends, _ = spans
    return [value[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def test_the_space_list_is_what_str_isspace_says_of_every_code_point() -> None:
    assert [c for c in range(0x110000) if chr(c).isspace()] == SPACES


@pytest.mark.parametrize("value", AWKWARD)
def test_chunks_are_exactly_what_str_split_gives(value: str) -> None:
    assert split_by_spans(value) == value.split()


def test_equal_chunks_hash_equal_anywhere_and_different_ones_differ() -> None:
    corpus = list(AWKWARD)
    for path in sorted(SHARED_EVAL.glob("*-dev.jsonl"))[:2]:
        with path.open(encoding="utf-8") as lines:
            corpus += [json.loads(line).get("text", "") for line in lines if line.strip()]
    seen: dict[int, str] = {}
    for value in corpus:
        spans = chunk_spans(value)
        assert spans is not None
        starts, ends, hashes = spans
        assert hashes.dtype == np.uint64 and (hashes != 0).all()
        for a, b, h in zip(starts.tolist(), ends.tolist(), hashes.tolist(), strict=True):
            assert seen.setdefault(h, value[a:b]) == value[a:b]  # one chunk per hash
    assert len(seen) > 5_000  # the check saw a real vocabulary


def test_a_text_past_the_bound_is_not_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks_module, "MAX_CODE_POINTS", 10)
    assert chunk_spans("short one") is not None
    assert chunk_spans("a text of more than ten code points") is None


def test_the_table_gives_back_what_was_put_through_resizes_and_collisions() -> None:
    table = ChunkTable(capacity=16)
    rng = np.random.default_rng(7)
    hashes = np.unique(rng.integers(1, 2**63, size=3000, dtype=np.uint64))
    # Hashes sharing their top bits all want the same first slot.
    crowded = np.arange(1, 200, dtype=np.uint64) | np.uint64(1 << 62)
    for batch in (hashes[:10], hashes[10:1000], crowded, hashes[1000:]):
        table.put(batch, (batch % np.uint64(1000)).astype(np.int64) - 5)
    everything = np.concatenate([hashes, crowded])
    values, found = table.get(everything)
    assert found.all()
    assert (values == (everything % np.uint64(1000)).astype(np.int64) - 5).all()
    assert len(table) == everything.size
    absent = np.array([2**63 + 11, 2**63 + 12], dtype=np.uint64)
    values, found = table.get(absent)
    assert not found.any() and (values == 0).all()
    table.put(hashes[:5], np.full(5, 99, dtype=np.int64))  # held already: kept, not doubled
    assert len(table) == everything.size
    assert (table.get(hashes[:5])[0] != 99).all()
    table.clear()
    assert len(table) == 0 and not table.get(hashes)[1].any()


def by_definition(sentences: list[str]) -> list[list[int]]:
    return [[term_id(t) for t in terms(s)] for s in sentences]


def per_sentence(found) -> list[list[int]]:
    ids, bounds = found.ids.tolist(), found.bounds.tolist()
    return [ids[a:b] for a, b in itertools.pairwise(bounds)]


LONG = split_sentences(
    " ".join(
        [
            "The U.S.-led coalition’s well-known plan wasn't new, officials said on Monday.",
            "東京都は計画を発表した。 Mixed 東京 Tokyo words and rock'n'roll fans' cheers.",
            "Police\u2009arrived at 5 p.m. — “late” — and the Senate’s aides left.",
        ]
        * 60
    )
)


@pytest.mark.parametrize("bound", [200_000, 7])
def test_hashed_sentence_terms_match_the_definition_cold_warm_and_emptied(
    monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    assert len(" \x00 ".join(LONG)) >= text._HASHED_FROM  # the hashed path
    monkeypatch.setattr(text, "_CHUNK_IDS_MAX", bound)
    text._CHUNK_TABLE.clear()
    text._CHUNK_IDS.clear()
    text._CHUNK_TERMS.clear()
    expected = by_definition(LONG)
    for _ in range(3):  # every chunk new, then met (or the table emptied at the bound)
        found = sentence_terms(LONG, None)
        assert per_sentence(found) == expected
        assert found.words.tolist() == [len(s.split()) for s in LONG]
        assert found.wide
    if bound < 200_000:
        assert len(text._CHUNK_TABLE) < 4 * len({c for s in LONG for c in s.split()})


def test_a_text_too_long_to_hash_gives_the_same_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = sentence_terms(LONG, None)
    monkeypatch.setattr(chunks_module, "MAX_CODE_POINTS", 100)
    plain = sentence_terms(LONG, None)
    assert plain.ids.tolist() == hashed.ids.tolist()
    assert plain.bounds.tolist() == hashed.bounds.tolist()


def test_threads_sharing_the_table_each_get_their_own_texts_terms() -> None:
    texts = [[f"{word}{n} met {word}{n + 1} and others." for n in range(400)] for word in "qxz"]
    expected = [by_definition(t) for t in texts]
    text._CHUNK_TABLE.clear()
    results: dict[int, list[list[int]]] = {}
    start = threading.Barrier(len(texts))

    def work(number: int) -> None:
        start.wait()
        for _ in range(3):
            results[number] = per_sentence(sentence_terms(texts[number], None))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[n] for n in range(len(texts))] == expected


def test_a_chunk_hashes_the_same_in_texts_of_every_width() -> None:
    # ASCII (read as bytes), beyond Latin-1 (two bytes), beyond U+FFFF (four bytes).
    texts = ["the police came", "the police came — “late”", "the police came 😀"]
    hashes = set()
    for value in texts:
        spans = chunk_spans(value)
        assert spans is not None
        assert split_by_spans(value) == value.split()
        places = dict(zip(value.split(), spans[2].tolist(), strict=True))
        hashes.add(places["police"])
    assert len(hashes) == 1
