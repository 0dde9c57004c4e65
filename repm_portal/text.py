"""The rule for free-text reasons the audit trail keeps: a real sentence, no control characters.

An irreversible act (invoking a guarantee, verifying a payout account under another name,
refusing a claim) is explained in words a reader of the audit trail can follow: at least
`MIN_WORDS` words and `MIN_CHARS` characters, and nothing that is not printable text (line
breaks and tabs are allowed; NUL, escape sequences, bidi overrides and the like are not).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

MIN_CHARS = 15
MIN_WORDS = 3
# Line breaks and tabs are text; every other control or format character is refused.
_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def control_problems(text: str, *, what: str = "reason") -> list[str]:
    """The characters of `text` that are not text (controls, bidi overrides), as a message."""
    bad = sorted(
        {
            f"U+{ord(ch):04X}"
            for ch in (text or "").strip()
            if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co"}
        }
    )
    if not bad:
        return []
    return [
        f"The {what} holds characters that are not text ({', '.join(bad[:5])}); "
        "type it again without them."
    ]


def reason_problems(text: str, *, what: str = "reason") -> list[str]:
    """What is wrong with `text` as an audited reason, in plain words (empty if nothing)."""
    stripped = (text or "").strip()
    if not stripped:
        return [f"Give the {what}."]
    problems = control_problems(stripped, what=what)
    if len(stripped) < MIN_CHARS or len(stripped.split()) < MIN_WORDS:
        problems.append(
            f"Write the {what} as at least a sentence ({MIN_WORDS} words, {MIN_CHARS} characters), "
            "so the audit trail says why."
        )
    return problems


def clean_reason(text: str, *, field: str = "reason", what: str = "reason") -> str:
    """`text` stripped, or a ValidationError on `field` saying what is wrong with it."""
    problems = reason_problems(text, what=what)
    if problems:
        raise ValidationError({field: problems})
    return (text or "").strip()


__all__ = ["MIN_CHARS", "MIN_WORDS", "clean_reason", "control_problems", "reason_problems"]
