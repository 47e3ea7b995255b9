"""What makes a fact a fact: numbers, names, dangling openers, and datelines at analysis time."""

from __future__ import annotations

import pytest

from summarizers.analysis import analyze, strip_opener
from summarizers.facts import anchors, dangles, same_fact


def test_a_vote_written_two_ways_has_the_same_numbers() -> None:
    assert anchors("The council voted 31–17 on Tuesday.").numbers == {"31", "17"}
    assert anchors("It passed by 31 votes to 17.").numbers == {"31", "17"}


def test_amounts_are_normalised() -> None:
    assert "1.4e+09" in anchors("a $1.4 billion package").numbers
    assert "1.4e+09" in anchors("a package worth 1,400 million dollars").numbers
    assert "1200" in anchors("1,200 people").numbers
    assert "5" in anchors("five people were hurt").numbers


def test_names_leave_out_the_first_word_and_titles() -> None:
    names = anchors("Former Gov. Andrew Cuomo met Kathy Hochul in Albany.").names
    assert {"cuomo", "hochul", "albani"} <= names
    assert not names & {"former", "gov"}
    assert "nato" in anchors("NATO leaders met.").names


def test_a_paraphrased_vote_is_the_same_fact_and_a_different_vote_is_not() -> None:
    a = "Northport city council voted 31–17 on Tuesday to approve a toll on the bridge."
    b = "A toll on the bridge was approved by 31 votes to 17 at Tuesday's council meeting."
    c = "Northport city council voted 50–48 on Tuesday to approve a toll on the bridge."
    assert same_fact(a, b, overlap=0.2)
    assert not same_fact(a, c, overlap=0.5)


def test_an_amount_counts_once_among_shared_numbers() -> None:
    a = anchors("Trump demanded $5 billion for a border wall.")
    b = anchors("The White House asked for less than $5 billion for the wall.")
    assert {"5", "5e+09"} <= a.numbers
    assert a.shared_quantities(b) == 1
    assert anchors("The council voted 31–17.").shared_quantities(anchors("31 votes to 17")) == 2


def test_one_shared_amount_with_little_else_in_common_is_not_the_same_fact() -> None:
    a = (
        "The White House and Republicans awaited a Democratic response to their counteroffer "
        "over Trump's demand for $5 billion for a border wall."
    )
    b = "The White House indicated it was requesting less than $5 billion for border wall funding."
    assert not same_fact(a, b, overlap=0.19)


def test_a_specific_amount_anchors_a_paraphrase_like_a_name() -> None:
    a = (
        "The Labor Department reported Thursday that another 6.6 million people submitted "
        "applications for unemployment benefits."
    )
    b = "Another 6.6 million people applied for unemployment benefits last week."
    assert same_fact(a, b, overlap=0.28)
    # A small bare number is no such anchor: "5 people" and "5 people" about different things.
    c = "Five people were hurt when a bus overturned on the coast road on Thursday."
    d = "Five people were arrested after a protest outside the town hall on Thursday."
    assert not same_fact(c, d, overlap=0.25)


def test_an_amount_and_a_vote_anchor_a_paraphrase_that_shares_few_words() -> None:
    a = (
        "Riverton will build a new library after the council approved the $12 million plan by "
        "a vote of 9 to 4."
    )
    b = "Councillors in Riverton backed a $12m library project by nine votes to four on Tuesday."
    # Their TF-IDF overlap in a briefing is ~0.06-0.09, under SOME_WORDS.
    assert same_fact(a, b, overlap=0.06)
    assert not same_fact(a, b, overlap=0.03)  # some words in common are still needed
    # Two small bare numbers alone are no such anchor.
    c = "Nine people were hurt and four were arrested after the match on Tuesday."
    assert not same_fact(a, c, overlap=0.06)


def test_a_shared_amount_and_vote_about_other_things_are_two_facts() -> None:
    a = (
        "The Springfield city council voted 9-4 on Tuesday to approve a $12 million renovation "
        "of the central library."
    )
    # The numbers and "voted" are all they share (overlap ~0.10 in a briefing).
    b = "Shelbyville's school board voted 9-4 late Monday to cut $12 million from transportation."
    assert not same_fact(a, b, overlap=0.10)
    # Both name a place, and not the same one (overlap ~0.30).
    c = "The Shelbyville city council voted 9-4 on Tuesday to cut $12 million from buses."
    assert not same_fact(a, c, overlap=0.30)


def test_a_date_is_no_quantity() -> None:
    assert anchors("On October 10, 2024, a storm flooded 5 towns.").numbers == {"5"}
    assert anchors("On 10 Oct. 2024 the vote was 31-17.").numbers == {"31", "17"}
    # The same day and a small count are all two different events share.
    a = "On October 10, 2024, a storm flooded 5 coastal towns, forcing hundreds from home."
    b = "On October 10, 2024, a fire at a plastics factory injured 5 workers."
    assert not same_fact(a, b, overlap=0.15)


def test_sharing_names_is_not_stating_the_fact() -> None:
    a = "Lt. Gov. Kathy Hochul vowed to uphold integrity after Andrew Cuomo resigned."
    b = "Former Gov. David Paterson said Kathy Hochul will be well suited to replace Andrew Cuomo."
    assert not same_fact(a, b, overlap=0.25)


@pytest.mark.parametrize(
    "sentence",
    [
        "He said so.",
        "But the vote failed.",
        "“This is wrong,” she said.",
        "Also on Monday, it rained.",
    ],
)
def test_dangling_openers(sentence: str) -> None:
    assert dangles(sentence)


@pytest.mark.parametrize(
    "sentence", ["Heavy rain fell.", "Thistle farmers met.", "The vote failed."]
)
def test_self_contained_openers(sentence: str) -> None:
    assert not dangles(sentence)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("HALDEN (Northwire) — The dam held.", "The dam held."),
        ("(CNN)ESPN's reporter apologised.", "ESPN's reporter apologised."),
        ("(CNN) - Patience is short.", "Patience is short."),
        ("SEOUL, South Korea — There was one event.", "There was one event."),
        ("CHICAGO (AP) — Millions stayed home.", "Millions stayed home."),
        ("Washington CNN — The Senate met.", "The Senate met."),
        ("By Jane Doe and John Roe, Reuters", ""),
        ("U.S. intelligence indicates a change.", "U.S. intelligence indicates a change."),
        ("US - China talks resumed.", "US - China talks resumed."),
        ("NATO members met.", "NATO members met."),
        ("NEW YORK, Nov 30 (Reuters) - Stocks rose.", "Stocks rose."),
        ("BEIJING, Dec. 1 (Xinhua) -- A satellite went up.", "A satellite went up."),
        ("Nov 30 (Reuters) - Oil fell.", "Oil fell."),
        ("Jan. 5, 2024 — Profits rose.", "Profits rose."),
        ("WASHINGTON, Nov. 30, 2026 — Lawmakers returned.", "Lawmakers returned."),
        ("GENEVA/ZURICH (Reuters) - Rates held.", "Rates held."),
        (
            "By JANE DOE and JOHN ROE Associated Press ROME (AP) — The court ruled.",
            "The court ruled.",
        ),
        ("May 5 is the deadline.", "May 5 is the deadline."),
        (
            "March 3 - the day of the vote - was chosen.",
            "March 3 - the day of the vote - was chosen.",
        ),
        (
            "NATO - the alliance - said it would respond.",
            "NATO - the alliance - said it would respond.",
        ),
        (
            "NASA — the agency that put men on the moon — said it would wait.",
            "NASA — the agency that put men on the moon — said it would wait.",
        ),
        ("NATO -- the alliance -- grew.", "NATO -- the alliance -- grew."),
        (
            "Dec. 7, 1941 — a date which will live in infamy — changed the war.",
            "Dec. 7, 1941 — a date which will live in infamy — changed the war.",
        ),
        (
            "By MONDAY NIGHT — the deadline — talks went on.",
            "By MONDAY NIGHT — the deadline — talks went on.",
        ),
        ("Nov 30 (Reuters) - oil fell.", "Oil fell."),
    ],
)
def test_datelines_bylines_and_agency_tags_are_stripped(raw: str, clean: str) -> None:
    assert strip_opener(raw) == clean


def test_analysis_drops_the_dateline_but_keeps_the_sentence() -> None:
    analysis = analyze("WASHINGTON (AP) — The House passed the bill.\nBy Jane Doe\nIt now goes on.")
    assert analysis.sentences == ("The House passed the bill.", "It now goes on.")
