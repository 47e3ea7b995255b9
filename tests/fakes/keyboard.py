"""Chat commands as typed on a plain US keyboard, to compare with how people really type them."""

from __future__ import annotations

import unicodedata


def plainly(text: str) -> str:
    """The same command with ASCII spaces, ASCII digits and straight double quotes.

    Written apart from `bot.words` (character by character, from the Unicode database) so the
    tests compare the tokenizer with an independent reading.
    """
    out = []
    for char in text:
        if char.isspace():
            out.append(" ")
        elif unicodedata.decimal(char, None) is not None:
            out.append(str(unicodedata.decimal(char)))
        elif char in "“”„«»":
            out.append('"')
        elif 0xFF01 <= ord(char) <= 0xFF5E:  # full-width ASCII forms
            out.append(unicodedata.normalize("NFKC", char))
        else:
            out.append(char)
    return "".join(out)
