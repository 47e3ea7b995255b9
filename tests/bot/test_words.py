"""The one tokenizer every chat command goes through: spaces, quotes, digits, wrapped links."""

from __future__ import annotations

import shlex

import pytest

from bot.words import Word, ascii_digits, split_words


def texts(text: str) -> list[str]:
    return [w.text for w in split_words(text)]


@pytest.mark.parametrize(
    "space",
    [
        " ",
        "\u00a0",  # no-break space (Slack, phones, pasted from the web)
        "\u202f",  # narrow no-break space (French punctuation, macOS)
        "\u2009",  # thin space
        "\u2007",  # figure space
        "\u3000",  # ideographic space (CJK input methods)
        "\t",
        "\n",
        "\r\n",
        "\u2028",  # line separator
        " \u00a0\t ",
    ],
)
def test_any_unicode_space_separates_words(space: str) -> None:
    assert texts(f"brief{space}peace{space}talks{space}3{space}") == [
        "brief",
        "peace",
        "talks",
        "3",
    ]


def test_invisible_characters_join_rather_than_split() -> None:
    # A zero-width space or soft hyphen shows no gap: the reader sees one word.
    assert texts("brief ukr\u200baine\u00ad 3\ufeff") == ["brief", "ukraine", "3"]
    # Joiners shape emoji and scripts, so they stay.
    assert texts("brief \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")[1] == "می\u200cخواهم"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("３", "3"),  # full-width
        ("٣", "3"),  # Arabic-Indic
        ("۳", "3"),  # extended Arabic-Indic (Persian, Urdu)
        ("३", "3"),  # Devanagari
        ("৩", "3"),  # Bengali
        ("๓", "3"),  # Thai
        ("１２", "12"),
        ("٠٢", "02"),
        ("７ｄ", "7d"),  # full-width letters too, as an East Asian input mode types them
        ("٧d", "7d"),
        ("#１", "#1"),
        ("０８：３０", "08:30"),
        ("٠٨:٣٠", "08:30"),
        ("ｂｒｉｅｆ", "brief"),
    ],
)
def test_digits_of_any_script_read_as_ascii(typed: str, read: str) -> None:
    assert ascii_digits(typed) == read
    assert texts(f"x {typed}") == ["x", read]


@pytest.mark.parametrize("word", ["ukraine", "Україна", "٢٠٢٤م", "km²", "ⅻ", "2024年"])
def test_words_that_are_not_numbers_stay_as_typed(word: str) -> None:
    assert ascii_digits(word) == word


@pytest.mark.parametrize(
    "quoted",
    [
        '"peace talks"',
        "'peace talks'",
        "“peace talks”",
        "„peace talks“",
        "‘peace talks’",
        "«peace talks»",
        "「peace talks」",
    ],
)
def test_quotes_of_any_kind_group_a_phrase(quoted: str) -> None:
    assert split_words(f"brief {quoted} 3") == [
        Word("brief"),
        Word("peace talks", quoted=True),
        Word("3"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brief China's economy", ["brief", "China's", "economy"]),
        ("brief China’s and Russia’s trade", ["brief", "China’s", "and", "Russia’s", "trade"]),
        ("brief rock'n'roll", ["brief", "rock'n'roll"]),
        ("brief 'china's economy' 2", ["brief", "china's economy", "2"]),
        ("brief “china’s economy” 2", ["brief", "china’s economy", "2"]),
        ('brief "unclosed', ["brief", '"unclosed']),
        ("brief '90s music", ["brief", "'90s", "music"]),
        ('brief "nato", "eu"', ["brief", "nato,", "eu"]),  # a quote closes before punctuation
    ],
)
def test_apostrophes_and_unclosed_quotes_are_letters(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize(
    "phrase",
    ["it's", "2024 election", 'say "no"', "a 'b' c", "Côte d'Ivoire", "x'\"y", "«ok»"],
)
def test_shell_quoted_words_read_back_whole(phrase: str) -> None:
    # The Discord adapter joins its options with shlex.quote: they must come back unchanged.
    assert texts(f"brief {shlex.quote(phrase)} 3") == ["brief", phrase, "3"]


@pytest.mark.parametrize(
    ("typed", "url"),
    [
        ("<https://example.test/a>", "https://example.test/a"),
        ("<https://example.test/a|example.test/a>", "https://example.test/a"),
        ("<https://example.test/a?b=1&c=2|the story, in full>", "https://example.test/a?b=1&c=2"),
        ("<HTTP://example.test/a|label>", "HTTP://example.test/a"),
        ("https://example.test/a", "https://example.test/a"),
    ],
)
def test_wrapped_links_are_read_as_the_bare_url(typed: str, url: str) -> None:
    assert texts(f"summarize {typed} 2") == ["summarize", url, "2"]


def test_other_angle_brackets_are_left_alone() -> None:
    assert texts("brief <#C123|general> <b>") == ["brief", "<#C123|general>", "<b>"]


@pytest.mark.parametrize("text", ["", "   ", "\u3000\t\n", "\u200b"])
def test_blank_text_has_no_words(text: str) -> None:
    assert split_words(text) == []


def test_many_unclosed_quotes_are_read_in_one_pass() -> None:
    # Each unclosed opener would otherwise rescan the rest of the text.
    text = '"a ' * 20_000
    assert len(split_words(text)) == 20_000
