"""Bytes to text: the declared encodings first, checked against the bytes, then detection.

Order of evidence, after the WHATWG Encoding Standard's "decode" (a byte-order mark wins) and
RFC 7303 §3 (for XML the HTTP charset outranks the XML declaration):

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
2. the charset of the HTTP Content-Type;
3. the document's own declaration: `<?xml … encoding="…"?>`, `<meta charset>` or
   `<meta http-equiv="Content-Type" content="…; charset=…">`;
4. UTF-8 when the bytes are valid UTF-8, or UTF-8 apart from a few stray bytes among many
   well-formed multi-byte characters (a page cut mid-character; the strays become U+FFFD);
5. chardet's detection (its 7.x models tell windows-1252 from the Central-European and
   Cyrillic code pages, where charset-normalizer mistakes French for Croatian).

A declaration is trusted only if the bytes agree with it: a declared UTF-8 that does not
decode, or a declared single-byte code page over bytes that are valid multi-byte UTF-8 (the
commonest lie in feeds), falls through to the next piece of evidence.  Text that no evidence
decodes convincingly raises `UndecodableText` instead of being stored garbled.
"""

from __future__ import annotations

import codecs
import re

from .errors import FetchFailed

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# How far into a document its own declaration may appear (the HTML prescan reads 1,024 bytes;
# feeds with long comments before the root get more room).
_DECLARATION_WINDOW = 4096
# Share of letters that must be readable for a detected (undeclared) decoding to be accepted.
_MIN_PRINTABLE = 0.97
# Well-formed multi-byte UTF-8 characters needed per stray byte to read text as UTF-8 anyway.
_UTF8_PER_STRAY = 20


class UndecodableText(FetchFailed):
    """The bytes are not text in any encoding we can establish."""


def bom_encoding(content: bytes) -> str | None:
    """Return the encoding a byte-order mark at the start of `content` names, if any."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    return None


def http_charset(content_type: str | None) -> str | None:
    """Return the `charset=` parameter of a Content-Type header value, if any."""
    match = _HTTP_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def declared_encoding(content: bytes) -> str | None:
    """Return the encoding an XML declaration or HTML `<meta>` near the start declares."""
    head = content[:_DECLARATION_WINDOW]
    match = _XML_DECLARATION.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def decode_text(content: bytes, content_type: str | None = None) -> str:
    """Decode a page, feed or file to text (no BOM), following the module's order of evidence.

    `content_type` is the HTTP Content-Type header, if the bytes came over HTTP.
    Raises UndecodableText when nothing decodes the bytes convincingly.
    """
    if not content:
        return ""
    bom = bom_encoding(content)
    if bom is not None:
        try:
            return content.decode(bom).removeprefix("\ufeff")
        except UnicodeDecodeError:
            pass  # a BOM followed by other bytes: judge the rest on its own
        content = content.removeprefix(codecs.BOM_UTF8)
    for declared in (http_charset(content_type), declared_encoding(content)):
        text = _decode_as(content, declared)
        if text is not None:
            return text
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _mostly_utf8(content)
    if text is not None:
        return text
    return _detect(content)


def _mostly_utf8(content: bytes) -> str | None:
    """UTF-8 text with a few invalid bytes (each becomes U+FFFD), or None when the strays are
    too many for the well-formed multi-byte characters around them to vouch for UTF-8."""
    text = content.decode("utf-8", "replace")
    strays = text.count("\ufffd")
    multibyte = sum(1 for c in text if ord(c) > 0x7F) - strays
    return text if multibyte >= _UTF8_PER_STRAY * strays else None


def _decode_as(content: bytes, encoding: str | None) -> str | None:
    """Decode with a declared encoding if the bytes agree with it, else None."""
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name.startswith(("utf-16", "utf-32")) and bom_encoding(content) is None:
        return None  # documents declaring UTF-16 without a BOM are almost always UTF-8
    if name != "utf-8" and _is_multibyte_utf8(content):
        return None  # declared a code page, written in UTF-8
    if name in {"latin-1", "iso8859-1", "ascii", "us-ascii"}:
        name = "cp1252"  # WHATWG: these labels mean windows-1252
    try:
        return content.decode(name)
    except UnicodeDecodeError:
        return None


def _is_multibyte_utf8(content: bytes) -> bool:
    """Tell whether `content` is valid UTF-8 that uses at least one multi-byte sequence."""
    if content.isascii():
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _detect(content: bytes) -> str:
    """Guess the encoding of undeclared, non-UTF-8 bytes with chardet."""
    import chardet

    guess = chardet.detect(content).get("encoding")
    text = None
    if guess:
        try:
            text = content.decode(guess)
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is not None:
        letters = [c for c in text if not c.isspace()]
        readable = sum(c.isprintable() and c != "\ufffd" for c in letters)
        if letters and readable / len(letters) >= _MIN_PRINTABLE:
            return text
    raise UndecodableText(
        "the text encoding cannot be recognised; save the file as UTF-8 and try again"
    )
