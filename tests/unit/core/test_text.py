"""The one copy of the question check and the "which script is this?" measure."""

from __future__ import annotations

import pytest

from mmdemo.core.errors import BadInputError
from mmdemo.core.text import (
    MAX_QUESTION_CHARS,
    MIN_LATIN_SHARE,
    check_question,
    latin_share,
    mostly_non_latin,
)


def test_the_question_limit_is_500_characters():
    assert MAX_QUESTION_CHARS == 500


@pytest.mark.parametrize("empty", [None, "", "   ", "\n\t  \r\n"])
def test_an_empty_or_blank_question_is_refused(empty):
    with pytest.raises(BadInputError, match="The question is empty"):
        check_question(empty)


@pytest.mark.parametrize(
    ("value", "kind"), [(42, "int"), (3.5, "float"), (["what?"], "list"), (b"what?", "bytes")]
)
def test_a_question_that_is_not_text_is_refused_naming_its_type(value, kind):
    with pytest.raises(BadInputError) as caught:
        check_question(value)
    assert str(caught.value) == f"The question must be text, not {kind}."


def test_whitespace_is_tidied():
    assert check_question("  What   colour\tis\nthe  cup? ") == "What colour is the cup?"
    assert check_question("Is there a cat?") == "Is there a cat?"


def test_the_limit_counts_the_tidied_question():
    assert len(check_question("a" * MAX_QUESTION_CHARS)) == MAX_QUESTION_CHARS
    padded = "  " + "a" * MAX_QUESTION_CHARS + "   \n"  # whitespace around does not count
    assert check_question(padded) == "a" * MAX_QUESTION_CHARS
    with pytest.raises(BadInputError) as caught:
        check_question("a" * (MAX_QUESTION_CHARS + 1))
    message = str(caught.value)
    assert "501 characters" in message and "the limit is 500" in message
    assert "Ask a shorter question" in message


def test_latin_share_counts_letters_only():
    assert latin_share("What colour is the cup?") == 1.0
    assert latin_share("Das Wetter ist schön, ça va?") == 1.0  # accented letters are Latin
    assert latin_share("今日は本当に最悪の日だ") == 0.0
    assert latin_share("Привет, как дела?") == 0.0
    assert latin_share("abc где") == pytest.approx(0.5)
    assert latin_share("😍😂🎉🔥") is None  # no letters at all
    assert latin_share("123 !? ...") is None
    assert latin_share("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What colour is the cup?", False),
        ("今日は本当に最悪の日だ", True),  # CJK
        ("Привет, как дела?", True),  # Cyrillic
        ("😍😂🎉🔥", False),  # emoji only: no letters, so no English-only note
        ("", False),
        ("abc где", False),  # half Latin is not "mostly" another script
        ("abc гдеж", True),
    ],
)
def test_mostly_non_latin(text, expected):
    assert mostly_non_latin(text) is expected


def test_mostly_non_latin_uses_the_documented_threshold():
    assert MIN_LATIN_SHARE == 0.5
    assert latin_share("ab где") < MIN_LATIN_SHARE and mostly_non_latin("ab где")
