"""Front matter at the top of .txt and .md articles: read, skipped, or refused with a reason."""

from __future__ import annotations

import pytest

from bot.frontmatter import read_front_matter


def test_fields_and_body() -> None:
    front = read_front_matter(
        "---\ntitle: \"Xi: talks resume\"\nSource: 'The Diplomat'\nurl:https://e.test/a?b=c\n"
        "published: 2024-05-01\n---\nXi spoke.\n"
    )
    assert front.fields == {
        "title": "Xi: talks resume",
        "source": "The Diplomat",
        "url": "https://e.test/a?b=c",
        "published": "2024-05-01",
    }
    assert front.body == "Xi spoke.\n"
    assert front.problems == ()
    assert front.error is None


def test_a_byte_order_mark_and_windows_line_endings() -> None:
    front = read_front_matter("\ufeff---\r\ntitle: X\r\n---\r\nBody.\r\n")
    assert front.fields == {"title": "X"}
    assert front.body == "Body.\r\n"


def test_comments_lists_and_continuations_are_valid_and_skipped_quietly() -> None:
    front = read_front_matter(
        "---\n# by hand\ntitle: X\ntags:\n  - a\n- b\nsummary: first line\n  second line\n\n"
        "---\nBody.\n"
    )
    assert front.fields == {"title": "X", "tags": "", "summary": "first line"}
    assert front.problems == ()


def test_a_line_without_a_key_is_a_problem_naming_it() -> None:
    front = read_front_matter(
        "---\ntitle: X\nBy our reporter in a very long byline indeed, Kyiv\n---\nB.\n"
    )
    assert front.fields == {"title": "X"}
    assert front.body == "B.\n"
    [problem] = front.problems
    assert problem.startswith("front matter line 3 ('By our reporter in a very long byline i…')")


def test_an_unclosed_block_is_an_error_and_nothing_is_taken_from_it() -> None:
    text = "---\ntitle: X\nUpdate: the council voted on Monday.\n"
    front = read_front_matter(text)
    assert front.error is not None and "never closed" in front.error
    assert front.fields == {}
    assert front.body == text


@pytest.mark.parametrize(
    "text",
    [
        "The council voted.\n---\ntitle: X\n---\n",  # not at the top
        "---\n\nThe council voted on Monday.\n",  # a rule above the story
        "---\n---\nThe council voted.\n",
        "",
    ],
)
def test_text_without_front_matter_is_all_body(text: str) -> None:
    front = read_front_matter(text)
    assert front.fields == {}
    assert front.body == text
    assert front.problems == () and front.error is None
