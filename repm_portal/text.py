"""The rule for free-text reasons the audit trail keeps: a real sentence, no control characters.

An irreversible act (invoking a guarantee, verifying a payout account under another name,
refusing a claim) is explained in words a reader of the audit trail can follow: at least
`MIN_WORDS` words and `MIN_CHARS` characters, and nothing that is not printable text (line
breaks and tabs are allowed; NUL, escape sequences, bidi overrides and the like are not).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

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
        _(
            "The %(what)s holds characters that are not text (%(chars)s); "
            "type it again without them."
        )
        % {"what": _(what), "chars": ", ".join(bad[:5])}
    ]


def reason_problems(text: str, *, what: str = "reason") -> list[str]:
    """What is wrong with `text` as an audited reason, in plain words (empty if nothing)."""
    stripped = (text or "").strip()
    if not stripped:
        return [_("Give the %(what)s.") % {"what": _(what)}]
    problems = control_problems(stripped, what=what)
    if len(stripped) < MIN_CHARS or len(stripped.split()) < MIN_WORDS:
        problems.append(
            _(
                "Write the %(what)s as at least a sentence (%(words)s words, %(chars)s "
                "characters), so the audit trail says why."
            )
            % {"what": _(what), "words": MIN_WORDS, "chars": MIN_CHARS}
        )
    return problems


def clean_reason(text: str, *, field: str = "reason", what: str = "reason") -> str:
    """`text` stripped, or a ValidationError on `field` saying what is wrong with it."""
    problems = reason_problems(text, what=what)
    if problems:
        raise ValidationError({field: problems})
    return (text or "").strip()


__all__ = ["MIN_CHARS", "MIN_WORDS", "clean_reason", "control_problems", "reason_problems"]
