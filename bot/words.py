"""The words of a chat command, read the way people type them.

Every command's text goes through `split_words` once, so every command reads spaces, quotes,
digits and wrapped links the same way:

- Any Unicode whitespace separates words (`str.isspace`: no-break U+00A0, narrow no-break
  U+202F, thin U+2009, ideographic U+3000, tabs, newlines), as Slack and phone keyboards
  insert them.  Invisible format characters (zero-width space U+200B, word joiner U+2060,
  U+FEFF, soft hyphen U+00AD) are dropped rather than read as spaces: they show no gap, so a
  reader sees one word.  Zero-width (non-)joiners stay; they shape emoji and scripts.
- Full-width ASCII forms (U+FF01-U+FF5E, typed in an East Asian input mode) are read as
  ASCII, and a word made of decimal digits (any script: `３`, `٣`, `৩`; Unicode category Nd,
  read with `unicodedata.decimal`) and ASCII is read with ASCII digits, so `٧d` is `7d`,
  `０８：３０` is `08:30` and `#１` is `#1` in every command.  A word that mixes such digits
  with letters of another script is left as typed.
- Quotes group a phrase: straight `"…"` and `'…'`, curly `“…”` and `‘…’`, low `„…“`,
  guillemets `«…»` and corner brackets `「…」`.  A quote opens only at the start of a word
  (or right after a closing one, as `shlex.quote` output such as `'it'"'"'s'` needs) and
  closes only before a space, punctuation or the end, so an apostrophe (`China's`,
  `rock'n'roll`) is a letter; a quote that never closes is kept as a letter too.
- A link wrapped in angle brackets, `<https://…>` (RFC 3986, appendix C; Discord's way to
  suppress a preview) or Slack's `<https://…|label>`, is read as the bare URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# `<https://example.com/a>` or Slack's `<https://example.com/a|example.com/a>`.
_WRAPPED_LINK = re.compile(r"<(https?://[^\s<>|]+)(?:\|[^<>]*)?>", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
# Opening quote → the characters that may close it.
_QUOTES = {
    '"': '"',
    "'": "'",
    "“": "”“",
    "„": "“”",
    "‘": "’‘",
    "«": "»",
    "‹": "›",
    "「": "」",
    "『": "』",
}
_FULL_WIDTH = range(0xFF01, 0xFF5F)


@dataclass(frozen=True)
class Word:
    """One word of a command; `quoted` when the user put it in quotes (a phrase)."""

    text: str
    quoted: bool = False
    # Opened by a double quote of any kind ("…", “…”, «…»): a phrase the user typed, where a
    # single quote ('…', as shlex.quote writes the Discord adapter's options) is not.
    phrase: bool = field(default=False, compare=False)


def split_words(text: str) -> list[Word]:
    """Split command text into words (see the module docstring for the rules).

    Never raises: any text gives a (possibly empty) list.
    """
    text = _WRAPPED_LINK.sub(r"\1", text).translate(_INVISIBLE)
    words: list[Word] = []
    parts: list[str] = []
    quoted = phrase = False
    just_closed = False  # the last character closed a quote: another may open right here
    unclosed: set[str] = set()  # openers with no closer ahead: later ones have none either
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            if parts:
                words.append(Word(ascii_digits("".join(parts)), quoted, phrase))
                parts, quoted, phrase = [], False, False
            just_closed = False
            i += 1
            continue
        if char in _QUOTES and char not in unclosed and (not parts or just_closed):
            end = _closing(text, i + 1, _QUOTES[char])
            if end is None:
                unclosed.add(char)
            else:
                phrase = phrase or (not parts and char not in "'‘")
                parts.append(text[i + 1 : end])
                quoted, just_closed = True, True
                i = end + 1
                continue
        parts.append(char)
        just_closed = False
        i += 1
    if parts:
        words.append(Word(ascii_digits("".join(parts)), quoted, phrase))
    return [w for w in words if w.text or w.quoted]


def _closing(text: str, start: int, closers: str) -> int | None:
    """The index of the quote closing at or after `start`: one not followed by a letter or
    digit (`'china's economy'` closes at the last quote)."""
    for j in range(start, len(text)):
        if text[j] in closers and (j + 1 == len(text) or not text[j + 1].isalnum()):
            return j
    return None


def ascii_digits(word: str) -> str:
    """Read a number-like word with ASCII characters: `３` → `3`, `٧d` → `7d`, `ｂｒｉｅｆ` →
    `brief`, `０８：３０` → `08:30`.

    Full-width ASCII forms (U+FF01-U+FF5E) always become ASCII; decimal digits of any script
    (Unicode category Nd) become ASCII digits when the rest of the word is then ASCII.
    Anything else is returned unchanged.
    """
    if word.isascii():
        return word
    narrow = "".join(chr(ord(c) - 0xFEE0) if ord(c) in _FULL_WIDTH else c for c in word)
    if narrow.isascii():
        return narrow
    digits = "".join(_digit(c) for c in narrow)
    return digits if digits.isascii() else narrow


def _digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)
