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
    ],
)
def test_datelines_bylines_and_agency_tags_are_stripped(raw: str, clean: str) -> None:
    assert strip_opener(raw) == clean


def test_analysis_drops_the_dateline_but_keeps_the_sentence() -> None:
    analysis = analyze("WASHINGTON (AP) — The House passed the bill.\nBy Jane Doe\nIt now goes on.")
    assert analysis.sentences == ("The House passed the bill.", "It now goes on.")
