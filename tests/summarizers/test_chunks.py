"""Chunks found and hashed by numpy (summarizers.chunks) against `str.split`, and the table."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from fakes.analyses import definition, eval_texts, per_sentence

from seeds import seed_files
from summarizers import chunks as chunks_module
from summarizers import text
from summarizers.chunks import HASHED_LENGTH, SPACES, ChunkTable, chunk_spans
from summarizers.text import sentence_terms, split_sentences

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
    found = chunk_spans(value)
    assert found is not None
    return [value[a:b] for a, b in zip(found.starts.tolist(), found.ends.tolist(), strict=True)]


def test_the_space_list_is_what_str_isspace_says_of_every_code_point() -> None:
    assert [c for c in range(0x110000) if chr(c).isspace()] == SPACES


@pytest.mark.parametrize("value", AWKWARD)
def test_chunks_are_exactly_what_str_split_gives(value: str) -> None:
    assert split_by_spans(value) == value.split()
    found = chunk_spans(value)
    assert found is not None
    chunks = value.split()
    assert found.first.tolist() == [ord(c[0]) for c in chunks]
    assert not found.long.any()


def test_long_chunks_are_marked_to_be_read_by_their_text() -> None:
    value = f"short {'x' * HASHED_LENGTH} {'y' * (HASHED_LENGTH + 1)} end"
    found = chunk_spans(value)
    assert found is not None
    assert found.long.tolist() == [False, False, True, False]


def test_equal_chunks_hash_equal_anywhere_and_different_ones_differ() -> None:
    corpus = list(AWKWARD) + [p.read_text(encoding="utf-8") for p in seed_files()]
    corpus += eval_texts()  # more, where ../shared is
    seen: dict[int, str] = {}
    for value in corpus:
        found = chunk_spans(value)
        assert found is not None
        assert found.hashes.dtype == np.uint64 and (found.hashes != 0).all()
        places = zip(found.starts.tolist(), found.ends.tolist(), found.hashes.tolist(), strict=True)
        for a, b, h in places:
            assert seen.setdefault(h, value[a:b]) == value[a:b]  # one chunk per hash
    assert len(seen) > 1_000  # the check saw a real vocabulary


def test_a_chunk_hashes_the_same_in_texts_of_every_width() -> None:
    # ASCII (read as bytes), beyond Latin-1 (two bytes), beyond U+FFFF (four bytes).
    texts = ["the police came", "the police came — “late”", "the police came 😀"]
    hashes = set()
    for value in texts:
        found = chunk_spans(value)
        assert found is not None
        assert split_by_spans(value) == value.split()
        hashes.add(dict(zip(value.split(), found.hashes.tolist(), strict=True))["police"])
    assert len(hashes) == 1


def test_a_text_past_the_bound_is_not_hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks_module, "MAX_CODE_POINTS", 10)
    assert chunk_spans("short one") is not None
    assert chunk_spans("a text of more than ten code points") is None


def test_the_table_gives_back_what_was_put_through_resizes_and_collisions() -> None:
    table = ChunkTable(capacity=16)
    rng = np.random.default_rng(7)
    hashes = np.unique(rng.integers(1, 2**63, size=3000, dtype=np.uint64))
    # Hashes sharing their top bits all want the same home slot (all but one overflow); the
    # last ones want the table's last slots.
    crowded = np.arange(1, 200, dtype=np.uint64) | np.uint64(1 << 62)
    last = np.uint64(2**64 - 1) - np.arange(0, 300, dtype=np.uint64)
    for batch in (hashes[:10], last[:5], hashes[10:1000], crowded, last[5:], hashes[1000:]):
        table.put(batch, (batch % np.uint64(1000)).astype(np.int64) - 5)
    everything = np.concatenate([hashes, crowded, last])
    values, found = table.get(everything)
    assert found.all()
    assert (values == (everything % np.uint64(1000)).astype(np.int64) - 5).all()
    assert len(table) == everything.size
    absent = np.array([2**63 + 11, 2**63 + 12, 2**64 - 1000], dtype=np.uint64)
    values, found = table.get(absent)
    assert not found.any() and (values == 0).all()
    table.put(hashes[:5], np.full(5, 99, dtype=np.int64))  # held already: kept, not doubled
    assert len(table) == everything.size
    assert (table.get(hashes[:5])[0] != 99).all()
    table.clear()
    assert len(table) == 0 and not table.get(hashes)[1].any()


LONG = split_sentences(
    " ".join(
        [
            "The U.S.-led coalition’s well-known plan wasn't new, officials said on Monday.",
            "東京都は計画を発表した。 Mixed 東京 Tokyo words and rock'n'roll fans' cheers.",
            "Police\u2009arrived at 5 p.m. — “late” — and the Senate’s aides left.",
            f"See https://news.test/{'a-very-long-path-' * 6}index.html for the rest.",
        ]
        * 60
    )
)


def empty_caches() -> None:
    text._CHUNK_TABLE.clear()
    text._CHUNK_IDS.clear()
    text._CHUNK_TERMS.clear()


@pytest.mark.parametrize("bound", [200_000, 7])
def test_hashed_sentence_terms_match_the_definition_cold_warm_and_emptied(
    monkeypatch: pytest.MonkeyPatch, bound: int
) -> None:
    assert len(" \x00 ".join(LONG)) >= text._HASHED_FROM  # the hashed path
    monkeypatch.setattr(text, "_CHUNK_IDS_MAX", bound)
    empty_caches()
    expected = definition(LONG)
    for _ in range(3):  # every chunk new, then met (or the table emptied at the bound)
        found = sentence_terms(LONG, None)
        assert per_sentence(found) == expected
        assert found.words.tolist() == [len(s.split()) for s in LONG]
        assert found.wide


def test_the_table_is_emptied_past_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    other = [f"Zebra{n} grazed near quokka{n} on the plain." for n in range(300)]
    empty_caches()
    sentence_terms(other, None)
    first = chunk_spans(" \x00 ".join(other))
    assert first is not None and text._CHUNK_TABLE.get(first.hashes)[1].any()
    distinct = len({c for s in LONG for c in s.split()} | {"\x00"})
    monkeypatch.setattr(text, "_CHUNK_IDS_MAX", len(text._CHUNK_TABLE) + 1)
    assert per_sentence(sentence_terms(LONG, None)) == definition(LONG)
    assert len(text._CHUNK_TABLE) <= distinct
    assert not text._CHUNK_TABLE.get(first.hashes)[1].any()  # the other text's are gone


def test_no_chunk_passes_for_a_separator_or_a_long_chunk_by_its_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hashes can collide by chance (or by a built text where the base is known): the chunk
    that shares the separator's hash, or a long chunk that shares a short one's, must still
    get its own terms."""
    real = chunk_spans

    def colliding(value: str):
        found = real(value)
        if found is None:
            return None
        chunks = value.split()
        hashes = found.hashes.copy()
        nul = hashes[chunks.index("\x00")]
        hashes[[i for i, c in enumerate(chunks) if c == "officials"]] = nul
        short = hashes[chunks.index("plan")]
        hashes[found.long] = short
        return replace(found, hashes=hashes)

    monkeypatch.setattr(text, "chunk_spans", colliding)
    empty_caches()
    for _ in range(2):
        found = sentence_terms(LONG, None)
        assert per_sentence(found) == definition(LONG)
        assert found.bounds.size == len(LONG) + 1


def test_a_text_too_long_to_hash_gives_the_same_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    hashed = sentence_terms(LONG, None)
    monkeypatch.setattr(chunks_module, "MAX_CODE_POINTS", 100)
    plain = sentence_terms(LONG, None)
    assert plain.ids.tolist() == hashed.ids.tolist()
    assert plain.bounds.tolist() == hashed.bounds.tolist()


def test_threads_sharing_the_table_each_get_their_own_texts_terms() -> None:
    texts = [[f"{word}{n} met {word}{n + 1} and others." for n in range(400)] for word in "qxz"]
    expected = [definition(t) for t in texts]
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


@pytest.mark.parametrize("seed", range(5))
def test_the_table_agrees_with_a_dict_over_random_puts_and_gets(seed: int) -> None:
    rng = np.random.default_rng(seed)
    table = ChunkTable(capacity=16)
    expected: dict[int, int] = {}
    # A small pool of hashes, many sharing top bits, so homes clash and batches repeat.
    pool = np.unique(
        (rng.integers(1, 64, size=400, dtype=np.uint64) << np.uint64(58))
        | rng.integers(1, 2**20, size=400, dtype=np.uint64)
    )
    for _ in range(40):
        batch = np.unique(rng.choice(pool, size=int(rng.integers(1, 60))))
        values = rng.integers(-4, 2**32, size=batch.size, dtype=np.int64)
        table.put(batch, values)
        for h, v in zip(batch.tolist(), values.tolist(), strict=True):
            expected.setdefault(h, v)  # a hash held already keeps its value
        asked = rng.choice(pool, size=100)
        got, found = table.get(asked)
        assert found.tolist() == [h in expected for h in asked.tolist()]
        assert got.tolist() == [expected.get(h, 0) for h in asked.tolist()]
    assert len(table) == len(expected)
