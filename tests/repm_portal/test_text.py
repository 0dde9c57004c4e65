"""The platform's rule for audited reasons: a real sentence, no control or bidi characters."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from repm_portal.text import MIN_CHARS, MIN_WORDS, clean_reason, control_problems, reason_problems

SENTENCE = "The bank guarantee lapsed before the plant was commissioned."


@pytest.mark.parametrize(
    ("char", "code"),
    [("\x00", "U+0000"), ("\x1b", "U+001B"), ("\u202e", "U+202E"), ("\x7f", "U+007F")],
)
def test_a_control_or_bidi_character_is_refused_and_named(char, code):
    text = f"The guarantee is invoked {char}because the firm left."
    problems = reason_problems(text, what="reason the guarantee is invoked")
    assert len(problems) == 1
    assert code in problems[0] and "reason the guarantee is invoked" in problems[0]
    assert control_problems(text) == [
        problems[0].replace("reason the guarantee is invoked", "reason")
    ]
    with pytest.raises(ValidationError) as refused:
        clean_reason(text, field="note", what="note")
    assert list(refused.value.message_dict) == ["note"]


def test_tabs_and_line_breaks_are_text():
    text = "Row 3:\tthe invoice is a duplicate.\r\nRow 4:\tthe buyer is not registered."
    assert reason_problems(text) == []
    assert clean_reason(f"  {text}\n") == text


def test_hindi_is_a_sentence():
    text = "योजना की शर्तें पूरी नहीं हुईं"
    assert reason_problems(text) == []
    assert clean_reason(text) == text


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None])
def test_a_blank_reason_is_asked_for(text):
    assert reason_problems(text, what="reason the run is cancelled") == [
        "Give the reason the run is cancelled."
    ]


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "late",
        "Exit",
        "done done",  # two words
        "a b c d e f",  # six words, eleven characters
        "Wrong-documentation-uploaded",  # one long word
    ],
)
def test_fewer_than_the_minimum_words_or_characters_is_not_a_sentence(text):
    problems = reason_problems(text)
    assert problems == [
        f"Write the reason as at least a sentence ({MIN_WORDS} words, {MIN_CHARS} characters), "
        "so the audit trail says why."
    ]


def test_the_minimum_itself_is_enough():
    text = "Bid was late."  # three words, thirteen characters: short by two
    assert len(text.split()) == MIN_WORDS and reason_problems(text)
    enough = "Bid came too late"  # four words, 17 characters
    assert len(enough) >= MIN_CHARS and reason_problems(enough) == []
    exact = "Abcde fghij klm"
    assert len(exact) == MIN_CHARS and len(exact.split()) == MIN_WORDS
    assert reason_problems(exact) == []
    assert reason_problems(exact[:-1])


def test_both_problems_are_told_at_once():
    problems = reason_problems("no\x1b")
    assert len(problems) == 2 and "U+001B" in problems[0] and "sentence" in problems[1]
