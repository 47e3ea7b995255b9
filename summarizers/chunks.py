"""The whitespace-separated chunks of a text, found and hashed by numpy, and a table of them.

`sentence_terms` (summarizers.text) turns each chunk of an article ("police", "said,",
"(CNN)") into its term ids through a cache of chunk -> value.  Read through a dict, every
chunk costs a new Python string (`str.split`) and a dict read: two Python operations a word,
~1.5 ms for a 20,000-word article and up to twice that when other work has just filled the
processor's caches (measured on 2 cores beside bench/speed.py's TextRank).  Here the chunks
are found and hashed by a few array operations over the text's code points, and their values
read from a hash table of numpy arrays (`ChunkTable`): no Python object a word.

A chunk's hash is a 64-bit polynomial hash of its code points (mod 2**64) in a base drawn at
random for each process (odd, from os.urandom), made independent of where the chunk stands by
the inverse powers of the base, its length mixed in, then spread by splitmix64's finalizer
(Steele, Lea & Flood 2014) so that the table's slots, taken from the top bits, fill evenly.
With a fixed base, a lattice search finds in a second a short string that hashes like any
chosen one; with a secret base no text can be built to collide, and hashes never leave the
process.  A polynomial hash mod 2**64 still has colliding pairs for every base among long
strings (Thue-Morse strings of 2,048 characters), so a chunk longer than HASHED_LENGTH is
marked (`Chunks.long`) for its caller to read by its text.  Two different chunks then share a
hash only by chance, about 2**-64 a pair.
"""

from __future__ import annotations

import codecs
import os
import threading
from dataclasses import dataclass

import numpy as np

# The codecs `chunk_spans` encodes with, imported now rather than by the first text hashed: a
# module imported in the middle of a summary makes the next one scan the loaded libraries
# again (summarizers.threads), ~2 ms once.
codecs.lookup("utf-16-le")
codecs.lookup("utf-32-le")

# The characters `str.split()` splits on: those `str.isspace` is true of (Py_UNICODE_ISSPACE,
# the Unicode White_Space property and the ASCII separators U+001C-U+001F; a test checks the
# list against every code point), as a table over the code points up to U+FFFF.
SPACES = [
    *range(0x09, 0x0E),
    *range(0x1C, 0x21),
    *(0x85, 0xA0, 0x1680),
    *range(0x2000, 0x200B),
    *(0x2028, 0x2029, 0x202F, 0x205F, 0x3000),
]
_SPACES = np.zeros(0x10000, dtype=bool)
_SPACES[SPACES] = True
_NOT_LISTED = _SPACES.size - 1  # every code point beyond U+FFFF is read here (not a space)

# Texts longer than this many code points are not hashed (`chunk_spans` returns None): the
# powers of the base and each thread's work arrays, kept for reuse, grow with the longest
# text met (25 bytes a code point: 6.5 MB at this bound, a 40,000-word article).
MAX_CODE_POINTS = 1 << 18

# Odd, so it has an inverse mod 2**64; secret (see above).
_BASE = int.from_bytes(os.urandom(8), "little") | 1
# Chunks longer than this many code points are marked `long` (see above): natural text has
# few (long links, runs of dashes), and none of a built collision's length.
HASHED_LENGTH = 64
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd
# (powers of the base, powers of its inverse): grown by doubling, replaced whole.
_powers: tuple[np.ndarray, np.ndarray] = (np.ones(1, np.uint64), np.ones(1, np.uint64))


def _powers_of(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` powers of the base and of its inverse, mod 2**64 (uint64)."""
    global _powers
    forward, inverse = _powers
    if forward.size < count:
        size = min(max(count, 2 * forward.size), MAX_CODE_POINTS + 1)
        forward = np.full(size, _BASE, dtype=np.uint64)
        inverse = np.full(size, pow(_BASE, -1, 1 << 64), dtype=np.uint64)
        forward[0] = inverse[0] = 1
        np.cumprod(forward, out=forward)  # uint64 products wrap: mod 2**64
        np.cumprod(inverse, out=inverse)
        _powers = (forward, inverse)
    return forward[:count], inverse[:count]


_buffers = threading.local()


def _scratch(count: int) -> tuple[np.ndarray, np.ndarray]:
    """This thread's work arrays for a text of `count` code points: (bool, count + 2) and
    (uint64, count + 1), uninitialised.  Kept between calls: a fresh array of a megabyte is
    memory the system must map and zero page by page (~1 ms for a 20,000-word text, 5x the
    work done in it; measured on 2 cores), an array kept is in place and in cache."""
    spaces = getattr(_buffers, "spaces", None)
    if spaces is None or spaces.size < count + 2:
        size = max(count + 2, 1 << 12)
        _buffers.spaces = spaces = np.empty(size, dtype=bool)
        _buffers.prefix = np.empty(size, dtype=np.uint64)
    return spaces[: count + 2], _buffers.prefix[: count + 1]


def _code_points(text: str) -> np.ndarray:
    """The code points of `text` in the narrowest array that holds them: uint8 for ASCII (no
    copy but the encoding), uint16 without characters beyond U+FFFF, else uint32; the values,
    and so the hashes, are the same in every width."""
    if text.isascii():  # known without a scan: CPython keeps it with the string
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    data = text.encode("utf-16-le", "surrogatepass")
    if len(data) == 2 * len(text):  # one unit a character: no character beyond U+FFFF
        return np.frombuffer(data, dtype=np.uint16)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@dataclass(frozen=True)
class Chunks:
    """The chunks of a text (`chunk_spans`), one entry a chunk in each array."""

    starts: np.ndarray  # int64 code-point offsets: text[starts[i]:ends[i]] is chunk i
    ends: np.ndarray  # int64
    hashes: np.ndarray  # uint64, nonzero; equal for equal chunks in this process
    first: np.ndarray  # unsigned ints: the code point each chunk opens with
    long: np.ndarray  # bool: longer than HASHED_LENGTH, to be read by its text, not its hash


def chunk_spans(text: str) -> Chunks | None:
    """The chunks of `text`: the pieces `text.split()` gives, where they stand and their
    hashes (see Chunks); None for a text longer than MAX_CODE_POINTS.  Lone surrogates (text
    decoded leniently) are hashed as the code points they are.
    """
    if len(text) > MAX_CODE_POINTS:
        return None
    points = _code_points(text)
    spaces, prefix = _scratch(points.size)
    spaces[0] = spaces[-1] = True  # a space before and after the text
    wide = points.dtype == np.uint32
    np.take(_SPACES, np.minimum(points, _NOT_LISTED) if wide else points, out=spaces[1:-1])
    # Where a chunk starts or ends, alternately: a space next to a non-space.
    edges = np.flatnonzero(spaces[1:] != spaces[:-1])
    starts, ends = edges[0::2], edges[1::2]
    forward, inverse = _powers_of(points.size + 1)
    prefix[0] = 0
    np.multiply(points, forward[:-1], out=prefix[1:])
    np.cumsum(prefix[1:], out=prefix[1:])
    # NUL code points add nothing to the sum; the length mixed in below tells "a" from "a\0".
    hashes = (prefix[ends] - prefix[starts]) * inverse[starts]
    lengths = ends - starts
    hashes ^= lengths.astype(np.uint64) * _LENGTH_MIX
    return Chunks(starts, ends, _finalized(hashes), points[starts], lengths > HASHED_LENGTH)


def _finalized(hashes: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer, in place: every input bit moves every output bit."""
    hashes ^= hashes >> np.uint64(30)
    hashes *= np.uint64(0xBF58476D1CE4E5B9)
    hashes ^= hashes >> np.uint64(27)
    hashes *= np.uint64(0x94D049BB133111EB)
    hashes ^= hashes >> np.uint64(31)
    hashes[hashes == 0] = 1  # 0 marks an empty slot
    return hashes


class ChunkTable:
    """64-bit hashes -> int64 values, looked up and filled an array at a time: each hash has
    one home slot (its top bits) in an array at most half full; a hash whose home another
    holds goes to a sorted overflow array (about a fifth of them), read by binary search.  A
    lookup is then one gather and one search, where linear probing took a round of array
    calls per step (a dozen for the 8,400 chunks of an 8,000-word text, the longest run
    deciding: 115 against 52 µs, measured on 2 cores).  Safe to share
    between threads (one lock)."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._lock = threading.Lock()
        self._reset(capacity)

    def _reset(self, capacity: int) -> None:
        self._bits = max(int(capacity - 1).bit_length(), 4)
        self._keys = np.zeros(1 << self._bits, dtype=np.uint64)  # 0: an empty slot
        self._values = np.zeros(1 << self._bits, dtype=np.int64)
        self._spilled_keys = np.zeros(0, dtype=np.uint64)  # sorted
        self._spilled_values = np.zeros(0, dtype=np.int64)
        self._count = 0

    def __len__(self) -> int:
        """Entries held."""
        return self._count

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._reset(1 << 12)

    def get(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, found) of `hashes` (uint64, nonzero: `chunk_spans`'): int64 values, 0
        where `found` (bool) is False."""
        with self._lock:
            return self._get(hashes)

    def _get(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        homes = hashes >> np.uint64(64 - self._bits)
        held = self._keys[homes]
        found = held == hashes
        values = self._values[homes]
        if found.all():
            return values, found
        values[~found] = 0
        elsewhere = np.flatnonzero(~found & (held != 0))  # another hash at home: spilled?
        spilled = self._spilled_keys
        if elsewhere.size and spilled.size:
            wanted = hashes[elsewhere]
            at = np.minimum(spilled.searchsorted(wanted), spilled.size - 1)
            hit = spilled[at] == wanted
            values[elsewhere[hit]] = self._spilled_values[at[hit]]
            found[elsewhere[hit]] = True
        return values, found

    def put(self, hashes: np.ndarray, values: np.ndarray) -> None:
        """Enter `values` (int64) under `hashes` (uint64, nonzero, distinct); those held
        already (another thread entered them first) keep their value."""
        with self._lock:
            _, held = self._get(hashes)
            if held.any():
                hashes, values = hashes[~held], values[~held]
            if 2 * (self._count + hashes.size) > self._keys.size:
                home = self._keys != 0
                old_keys = np.concatenate([self._keys[home], self._spilled_keys])
                old_values = np.concatenate([self._values[home], self._spilled_values])
                self._reset(2 * (self._count + hashes.size))  # a quarter to half full
                self._put(old_keys, old_values)
            self._put(hashes, values)

    def _put(self, hashes: np.ndarray, values: np.ndarray) -> None:
        homes = hashes >> np.uint64(64 - self._bits)
        free = np.flatnonzero(self._keys[homes] == 0)
        # Of the hashes whose home is free, the first for each home takes it.
        _, first = np.unique(homes[free], return_index=True)
        settled = free[first]
        self._values[homes[settled]] = values[settled]
        self._keys[homes[settled]] = hashes[settled]
        rest = np.ones(hashes.size, dtype=bool)
        rest[settled] = False
        if rest.any():
            keys = np.concatenate([self._spilled_keys, hashes[rest]])
            order = keys.argsort(kind="stable")
            self._spilled_keys = keys[order]
            self._spilled_values = np.concatenate([self._spilled_values, values[rest]])[order]
        self._count += hashes.size
