"""Text is decoded by what it declares when the bytes agree, else detected, never garbled."""

from __future__ import annotations

import codecs

import pytest

from bot.charsets import UndecodableText, decode_text

# Invented sentences in each script, long enough for detection to have evidence.
SAMPLES = {
    "cp1251": "Городской совет проголосовал во вторник за продление морской дамбы на четыреста"
    " метров, сообщили чиновники после долгого вечернего заседания. Жители довольны.",
    "koi8-r": "Министерство объявило, что новые правила парковки вступят в силу в следующем"
    " месяце, и призвало всех жителей внимательно прочитать уведомление.",
    "cp1253": "Το δημοτικό συμβούλιο ψήφισε την Τρίτη την επέκταση του λιμενοβραχίονα κατά"
    " τετρακόσια μέτρα, δήλωσαν αξιωματούχοι μετά από μακρά βραδινή συνεδρίαση.",
    "cp1250": "Městská rada v úterý odhlasovala prodloužení přístavní hráze o čtyři sta metrů,"
    " uvedli úředníci po dlouhém večerním zasedání. Obyvatelé jsou spokojeni s řešením.",
    "latin-1": "Le conseil municipal a voté mardi la prolongation de la digue du port de quatre"
    " cents mètres, ont déclaré les élus après une longue séance du soir très animée.",
}


@pytest.mark.parametrize("encoding", sorted(SAMPLES))
def test_undeclared_legacy_text_is_detected(encoding: str) -> None:
    text = SAMPLES[encoding]
    assert decode_text(text.encode(encoding)) == text


@pytest.mark.parametrize("encoding", sorted(SAMPLES))
def test_http_charset_and_declarations_are_honoured(encoding: str) -> None:
    text = SAMPLES[encoding]
    raw = text.encode(encoding)
    assert decode_text(raw, f"text/plain; charset={encoding}") == text
    xml = f'<?xml version="1.0" encoding="{encoding}"?><rss>{text}</rss>'
    assert decode_text(xml.encode(encoding)).endswith(f"{text}</rss>")
    html = f'<html><head><meta charset="{encoding}"></head><body>{text}</body></html>'
    assert text in decode_text(html.encode(encoding))


def test_boms_win_and_are_removed() -> None:
    text = "Déjà vu — “quoted”"
    for codec, bom in (("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE)):
        assert decode_text(bom + text.encode(codec), "text/xml; charset=iso-8859-1") == text


def test_a_declaration_the_bytes_contradict_is_not_trusted() -> None:
    text = SAMPLES["cp1250"]
    # Declares Latin-1 but is written in UTF-8: the commonest lie in feeds.
    lying = f'<?xml version="1.0" encoding="ISO-8859-1"?><rss>{text}</rss>'.encode()
    assert text in decode_text(lying)
    # Declares UTF-8 but is written in windows-1251.
    cyrillic = SAMPLES["cp1251"]
    assert cyrillic in decode_text(cyrillic.encode("cp1251"), "text/plain; charset=utf-8")


def test_binary_noise_is_refused_not_stored_garbled() -> None:
    noise = bytes(range(256)) * 4
    with pytest.raises(UndecodableText, match="encoding"):
        decode_text(noise)
