"""Scraped page furniture is removed, the real headline found, and story text kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cleaning import is_furniture, normalize_line, parse_plain

SEED_DIR = Path(__file__).resolve().parents[2] / "seeds"
SEED_000 = SEED_DIR / "000_8d3f82447c35e58c.txt"
SEED_004 = SEED_DIR / "004_f18d0e13b016b517.txt"
SEED_FURNITURE = [
    "China Power",
    "Recent Features",
    "China Power | Diplomacy | East Asia",
    "Credit:",
    "[LIVE]",
    "[LATEST]",
    "[BREAKING]",
]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def body_lines(body: str) -> list[str]:
    return [line for line in body.splitlines() if line.strip()]


def story_paragraphs(text: str) -> list[str]:
    """Lines of a source file that are plainly story text: long and ending like prose."""
    lines = (re.sub(r"\s+", " ", line).strip() for line in text.splitlines())
    return [line for line in lines if len(line.split()) >= 8 and re.search(r"[.?!”\"]$", line)]


# --- the seed articles ---------------------------------------------------------------------


def test_seed_000_title_is_the_real_headline_not_the_section_label():
    parsed = parse_plain(read(SEED_000))
    assert parsed.title == "China’s Xi Calls for Ukraine Peace Talks to Resume"


def test_seed_004_title_is_its_first_line():
    text = read(SEED_004)
    first_line = next(line.strip() for line in text.splitlines() if line.strip())
    assert first_line.startswith("Xi turns on Putin")
    assert parse_plain(text).title == first_line


@pytest.mark.parametrize("seed", [SEED_000, SEED_004], ids=["seed000", "seed004"])
@pytest.mark.parametrize("furniture", SEED_FURNITURE)
def test_seed_body_contains_no_page_furniture(seed, furniture):
    assert furniture not in parse_plain(read(seed)).body


@pytest.mark.parametrize("seed", [SEED_000, SEED_004], ids=["seed000", "seed004"])
def test_seed_headline_appears_only_as_title_not_in_body(seed):
    parsed = parse_plain(read(seed))
    title_key = normalize_line(parsed.title)
    for line in body_lines(parsed.body):
        assert normalize_line(line) != title_key
        assert not line.startswith(parsed.title)


@pytest.mark.parametrize("seed", [SEED_000, SEED_004], ids=["seed000", "seed004"])
def test_seed_story_text_is_kept(seed):
    text = read(seed)
    body = parse_plain(text).body
    kept = [normalize_line(line) for line in body_lines(body)]
    for paragraph in story_paragraphs(text):
        # Kept as is, or restated inside a longer paragraph (a standfirst the lead repeats).
        assert any(normalize_line(paragraph) in line for line in kept), paragraph


@pytest.mark.parametrize("seed", [SEED_000, SEED_004], ids=["seed000", "seed004"])
def test_seed_body_lines_are_verbatim_source_lines(seed):
    text = read(seed)
    source_lines = {re.sub(r"\s+", " ", line).strip() for line in text.splitlines()}
    for line in body_lines(parse_plain(text).body):
        assert line in source_lines


def test_seed_000_keeps_short_quote_and_closing_paragraphs():
    lines = body_lines(parse_plain(read(SEED_000)).body)
    assert "“Peace talks should resume as soon as possible,” Xi said." in lines
    assert "Mao, the Chinese spokesperson, rejected NATO criticism." in lines
    assert lines[0].startswith("Chinese leader Xi Jinping called Thursday for peace talks")


def test_seed_004_keeps_short_sentence_and_paragraphs_ending_in_quotes():
    lines = body_lines(parse_plain(read(SEED_004)).body)
    assert "Several countries have urged China to do more to stop Russia’s invasion." in lines
    assert any(line.startswith("“We have shown with Russia") for line in lines)
    assert lines[-1].startswith("He said: “[Putin] demonstrates")


def test_seeds_have_no_front_matter_metadata():
    parsed = parse_plain(read(SEED_000))
    assert (parsed.source, parsed.url, parsed.published_at) == (None, None, None)


# --- furniture of other shapes -------------------------------------------------------------

HEADLINE = "Dam Collapse Floods Villages in Southern Ukraine"
STORY = [
    "Thousands of residents were evacuated on Tuesday after a dam on the Dnipro River "
    "collapsed, flooding villages downstream.",
    "“We lost everything,” said Olena, a pensioner who fled her home by boat.",
    "Officials said the water level would keep rising until Thursday.",
    "Rescue teams worked through the night.",
    "It rained.",
    "Why now?",
    "The United Nations said it was sending aid, adding: “The humanitarian consequences "
    "will be grave.”",
]
FURNITURE = [
    "World News",
    "Home › World › Europe",
    "Advertisement",
    "Photo: Jane Doe/Reuters",
    "(Photo by Sergei Ivanov/Getty Images)",
    "READ MORE: Kremlin denies role in dam blast",
    "Share this article",
    "Zelensky vows to rebuild the flooded region within a year (VIDEO)",
    "Aerial pictures show the scale of the flooding from the air [PICTURES]",
]
PAGE = "\n".join(
    [
        "World News",  # a section label above the headline
        HEADLINE,
        "Home › World › Europe",
        "Advertisement",
        "Photo: Jane Doe/Reuters",
        HEADLINE,  # repeated as a caption, as scraped pages do
        "(Photo by Sergei Ivanov/Getty Images)",
        STORY[0],
        "READ MORE: Kremlin denies role in dam blast",
        STORY[1],
        "Share this article",
        STORY[2],
        STORY[3],
        STORY[4],
        "Zelensky vows to rebuild the flooded region within a year (VIDEO)",
        STORY[5],
        "Aerial pictures show the scale of the flooding from the air [PICTURES]",
        STORY[6],
    ]
)


def test_repeated_headline_below_a_section_label_is_the_title():
    assert parse_plain(PAGE).title == HEADLINE


def test_page_body_is_exactly_the_story_in_order():
    assert body_lines(parse_plain(PAGE).body) == STORY


@pytest.mark.parametrize("furniture", FURNITURE)
def test_page_body_drops_furniture(furniture):
    assert furniture not in parse_plain(PAGE).body


def test_page_headline_is_not_repeated_in_body():
    assert HEADLINE not in parse_plain(PAGE).body


@pytest.mark.parametrize(
    "line",
    [
        "Home › World › Europe",
        "Home / News / Politics",
        "World | Europe | Ukraine",
        "Europe » Ukraine",
        "Photo: Jane Doe/Reuters",
        "Photo credit: AP",
        "Image: Shutterstock",
        "Credit: Russian Presidential Press and Information Service",
        "(Photo by Sergei Ivanov/Getty Images)",
        "Soldiers near Bakhmut on Monday. (Sergei Ivanov/AFP)",
        "READ MORE: Kremlin denies role in dam blast",
        "Related: How the dam was built in 1956",
        "Watch: the moment the dam broke",
        "Advertisement",
        "ADVERTISEMENT",
        "Story continues below advertisement",
        "Share this article",
        "Most read",
        "Recent Features",
        "Zelensky vows to rebuild the region (VIDEO)",
        "Pictures show the flooding from the air [PICTURES]",
        "Putin’s army paraded around Russia with eerie Z armband [BREAKING]",
        "Europe Live",
        "",
        "   ",
        "* * *",
    ],
)
def test_is_furniture(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Rescue teams worked through the night.",
        "It rained.",
        "Why now?",
        "“We lost everything,” said Olena.",
        "He said: “Enough.”",
        "Prices rose 3.5%.",
        "China Power, a think tank, said the visit achieved little.",
        "Photographs released by the ministry showed damaged buildings.",
        "Pictures of the damage spread quickly on social media.",
        "More than 100 people were evacuated from the flooded villages on Tuesday.",
        "Sources said the talks would resume in Geneva.",
        "Follow-up talks are planned for next month in Geneva.",
        # Long story text that lost its final punctuation in scraping is still story text.
        "Thousands of residents were evacuated on Tuesday after the dam on the Dnipro collapsed",
    ],
)
def test_is_not_furniture(line):
    assert not is_furniture(line)


def test_line_equal_to_the_title_is_furniture_whatever_its_case_and_punctuation():
    assert is_furniture("DAM COLLAPSE FLOODS VILLAGES IN SOUTHERN UKRAINE!", title=HEADLINE)


@pytest.mark.parametrize(
    "paragraph",
    [
        "Live-fire drills resumed near the border on Monday, the army said.",
        "Video-sharing platforms were ordered to remove the clips within a day.",
        "Latest-generation drones were seen over the city on Sunday night.",
        "Source-code leaks have plagued the ministry for years, analysts said.",
    ],
)
def test_paragraph_opening_with_a_hyphenated_word_is_kept(paragraph):
    # "Live-fire" is not "Live - ..." and "Video-sharing" is not "Video - credit".
    text = f"{HEADLINE}\n{STORY[0]}\n{paragraph}\n{STORY[2]}"
    assert body_lines(parse_plain(text).body) == [STORY[0], paragraph, STORY[2]]


@pytest.mark.parametrize("button", ["Share this article", "Story continues below advertisement"])
def test_repeated_furniture_line_is_not_taken_for_the_headline(button):
    # Pages repeat their share buttons and ad markers; a repeat is only a headline if it is
    # story text, not furniture.
    text = "\n".join([HEADLINE, button, STORY[0], button, STORY[2], button])
    parsed = parse_plain(text)
    assert parsed.title == HEADLINE
    assert body_lines(parsed.body) == [STORY[0], STORY[2]]


def test_repeated_pull_quote_is_not_taken_for_the_headline():
    # A pull quote repeats a paragraph of the story; it ends like prose, unlike a headline.
    text = "\n".join([HEADLINE, STORY[0], STORY[1], STORY[2], STORY[1], STORY[3]])
    parsed = parse_plain(text)
    assert parsed.title == HEADLINE
    assert body_lines(parsed.body) == [STORY[0], STORY[1], STORY[2], STORY[3]]


def test_repeated_paragraph_is_kept_once():
    text = "---\ntitle: " + HEADLINE + "\n---\n" + "\n".join([STORY[0], STORY[2], STORY[0]])
    assert body_lines(parse_plain(text).body) == [STORY[0], STORY[2]]


# --- front matter and Markdown -------------------------------------------------------------

FRONT_MATTER = """---
title: Xi calls for peace talks
source: The Diplomat
url: https://example.com/xi-peace-talks
published: 2024-05-01
---
Chinese leader Xi Jinping called on Thursday for peace talks over Ukraine.
Xi gave no sign that China would press Moscow to settle.
"""


def test_front_matter_gives_title_source_url_and_date():
    parsed = parse_plain(FRONT_MATTER)
    assert parsed.title == "Xi calls for peace talks"
    assert parsed.source == "The Diplomat"
    assert parsed.url == "https://example.com/xi-peace-talks"
    assert parsed.published_at == datetime(2024, 5, 1, tzinfo=UTC)


def test_front_matter_is_not_part_of_the_body():
    assert body_lines(parse_plain(FRONT_MATTER).body) == [
        "Chinese leader Xi Jinping called on Thursday for peace talks over Ukraine.",
        "Xi gave no sign that China would press Moscow to settle.",
    ]


def test_front_matter_values_may_be_quoted_and_contain_colons():
    text = (
        '---\ntitle: "Xi: talks must resume"\nurl: https://example.com/a?b=c\n'
        "published: 2024-05-01T09:30:00Z\n---\nXi spoke on Thursday in Beijing.\n"
    )
    parsed = parse_plain(text)
    assert parsed.title == "Xi: talks must resume"
    assert parsed.url == "https://example.com/a?b=c"
    assert parsed.published_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_front_matter_title_repeated_as_first_body_line_is_dropped():
    text = FRONT_MATTER.replace("---\nChinese", "---\nXi Calls for Peace Talks\nChinese")
    assert "Xi Calls for Peace Talks" not in parse_plain(text).body


def test_front_matter_with_windows_line_endings_and_bom():
    text = "\ufeff" + FRONT_MATTER.replace("\n", "\r\n")
    parsed = parse_plain(text)
    assert parsed.title == "Xi calls for peace talks"
    assert parsed.published_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert len(body_lines(parsed.body)) == 2


def test_unreadable_date_is_unknown():
    text = FRONT_MATTER.replace("published: 2024-05-01", "published: last Thursday")
    assert parse_plain(text).published_at is None


def test_publisher_and_link_are_accepted_as_source_and_url():
    text = FRONT_MATTER.replace("source:", "publisher:").replace("url:", "link:")
    parsed = parse_plain(text)
    assert parsed.source == "The Diplomat"
    assert parsed.url == "https://example.com/xi-peace-talks"


MARKDOWN = """# Xi calls for peace talks

Chinese leader [Xi Jinping](https://example.com/xi) called on Thursday for **peace talks** \
over Ukraine.

![Xi at the Great Hall](https://example.com/xi.jpg)

He met *French President* Emmanuel Macron, who [urged him](https://example.com/a "Macron") to act.

## Analysis

> Analysts said the visit showed the limits of China's influence.
"""


def test_markdown_heading_is_the_title():
    assert parse_plain(MARKDOWN, markdown=True).title == "Xi calls for peace talks"


def test_markdown_body_is_plain_text_with_link_words_kept():
    assert body_lines(parse_plain(MARKDOWN, markdown=True).body) == [
        "Chinese leader Xi Jinping called on Thursday for peace talks over Ukraine.",
        "He met French President Emmanuel Macron, who urged him to act.",
        "Analysts said the visit showed the limits of China's influence.",
    ]


def test_front_matter_title_wins_over_markdown_heading():
    text = "---\ntitle: From front matter\n---\n" + MARKDOWN
    assert parse_plain(text, markdown=True).title == "From front matter"


def test_markdown_link_whose_url_contains_parentheses_keeps_only_its_words():
    text = (
        "# Ukraine\n\nThe [war in Ukraine]"
        "(https://en.wikipedia.org/wiki/Russo-Ukrainian_War_(2022)) has lasted more than two years."
    )
    assert body_lines(parse_plain(text, markdown=True).body) == [
        "The war in Ukraine has lasted more than two years."
    ]


def test_plain_text_is_not_treated_as_markdown():
    text = "Headline of the story\nA [bracketed] aside and *stars* stay in plain text files."
    assert body_lines(parse_plain(text).body) == [
        "A [bracketed] aside and *stars* stay in plain text files."
    ]


def test_front_matter_title_source_and_body_are_plain_text() -> None:
    text = (
        "---\ntitle: Port &amp;amp; rail <b>strike</b> &#8220;ends&#8221;\n"
        "source: Coast &amp; Country\npublished: April 6, 2023\n---\n"
        "<p>Dock workers &amp; rail crews returned to work on Monday after a deal.</p>\n"
        "Both unions said the agreement&nbsp;raises pay by six percent over two years.\n"
    )
    parsed = parse_plain(text, markdown=True)
    assert parsed.title == "Port & rail strike “ends”"
    assert parsed.source == "Coast & Country"
    assert parsed.body.splitlines() == [
        "Dock workers & rail crews returned to work on Monday after a deal.",
        "Both unions said the agreement raises pay by six percent over two years.",
    ]
    assert parsed.published_at == datetime(2023, 4, 6, tzinfo=UTC)
    assert parsed.published_raw == "April 6, 2023"


def test_chat_markup_that_is_not_html_stays_literal() -> None:
    text = (
        "---\ntitle: Vote <https://evil.example/login|Verify> *urgent* | now\n"
        "source: Gazette <!channel>\n---\n"
        "Council member <@U0ABC123> and <!subteam^S0123|@harbour> will brief the press on "
        "Friday, and <!here> should read https://example.com/a?b=1|c>2 first.\n"
    )
    parsed = parse_plain(text)
    assert parsed.title == "Vote <https://evil.example/login|Verify> *urgent* | now"
    assert parsed.source == "Gazette <!channel>"
    assert "<@U0ABC123> and <!subteam^S0123|@harbour>" in parsed.body
    assert "<!here> should read https://example.com/a?b=1|c>2 first." in parsed.body


def test_normalize_line_folds_spaces_as_its_regular_expression_did() -> None:
    import unicodedata

    def by_regex(line: str) -> str:
        folded = unicodedata.normalize("NFKC", line).casefold()
        folded = folded.replace("’", "'").replace("‘", "'")
        return re.sub(r"\s+", " ", re.sub(r"[^\w' ]+", " ", folded)).strip()

    normalize_line.cache_clear()
    for line in (
        "  World | Europe\u2003— “Quoted”,\tsaid\u00a0O’Brien…  ",
        "Ａｂｃ\u3000ＤＥＦ ‘x’ ; \x1c y \u2028 z",
        "",
        "***",
    ):
        assert normalize_line(line) == by_regex(line), repr(line)
