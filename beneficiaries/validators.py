"""Checks for Indian KYC identifiers (GSTIN, PAN, IFSC, CIN), one row or a whole column at once."""

import re
import string

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

# GSTN's alphabet: a character's value is its position here (0-9 then A=10 ... Z=35).
GSTIN_ALPHABET = string.digits + string.ascii_uppercase
GSTIN_LENGTH = 15
GSTIN_STATE_CODES = frozenset({f"{n:02d}" for n in range(1, 39)} | {"97", "99"})

# The fourth PAN character names the kind of holder: Company, Person, HUF, Firm,
# Association of persons, Trust, Body of individuals, Local authority,
# artificial Juridical person, Government.
PAN_HOLDER_TYPES = "CPHFATBLJG"
PAN_LENGTH = 10
IFSC_LENGTH = 11
CIN_LENGTH = 21
CIN_OWNERSHIP_TYPES = frozenset(
    {"PLC", "PTC", "OPC", "GOI", "SGC", "FTC", "GAP", "NPL", "ULL", "ULT", "GAT"}
)

_LETTERS = re.compile(r"[A-Z]+")
_DIGITS = re.compile(r"[0-9]+")
_ALPHANUMERIC = re.compile(r"[A-Z0-9]+")


def _fail(message: str, code: str, **params: object) -> ValidationError:
    return ValidationError(message, code=code, params=params)


def _require_text(value: object, name: str, length: int) -> str:
    if not isinstance(value, str):
        raise _fail(
            "%(name)s must be text; got %(type)s", "invalid", name=name, type=type(value).__name__
        )
    if len(value) != length:
        raise _fail(
            "%(name)s must be %(length)s characters; got %(got)s",
            "length",
            name=name,
            length=length,
            got=len(value),
        )
    # Lower-case letters get their own message: it is the commonest slip, and easy to fix.
    if any(character in string.ascii_lowercase for character in value):
        raise _fail(
            "%(name)s must be in capital letters; got '%(value)s'", "case", name=name, value=value
        )
    for position, character in enumerate(value, start=1):
        if character not in GSTIN_ALPHABET:
            raise _fail(
                "%(name)s may contain only letters A-Z and digits 0-9; "
                "got '%(character)s' at position %(position)s",
                "characters",
                name=name,
                character=character,
                position=position,
            )
    return value


def gstin_check_character(first14: str) -> str:
    """The GSTIN check character for the first 14 characters (GSTN's base-36 scheme)."""
    _require_text(first14, "The first part of a GSTIN", GSTIN_LENGTH - 1)
    total = 0
    for index, character in enumerate(first14):
        # Factors alternate 1, 2 from the left; a product's base-36 digits are summed.
        product = GSTIN_ALPHABET.index(character) * (1 if index % 2 == 0 else 2)
        total += product // 36 + product % 36
    return GSTIN_ALPHABET[(36 - total % 36) % 36]


def validate_pan(value: str) -> None:
    """Check a PAN: five letters (the fourth the holder type), four digits, a letter."""
    _require_text(value, "PAN", PAN_LENGTH)
    if not _LETTERS.fullmatch(value[:3]):
        raise _fail(
            "PAN characters 1-3 must be letters; got '%(part)s'", "pan_series", part=value[:3]
        )
    if value[3] not in PAN_HOLDER_TYPES:
        raise _fail(
            "PAN 4th character (holder type) must be one of %(allowed)s; got '%(part)s'",
            "pan_holder_type",
            allowed=", ".join(PAN_HOLDER_TYPES),
            part=value[3],
        )
    if not _LETTERS.fullmatch(value[4]):
        raise _fail(
            "PAN 5th character must be a letter; got '%(part)s'", "pan_name_initial", part=value[4]
        )
    if not _DIGITS.fullmatch(value[5:9]):
        raise _fail(
            "PAN characters 6-9 must be digits; got '%(part)s'", "pan_sequence", part=value[5:9]
        )
    if not _LETTERS.fullmatch(value[9]):
        raise _fail(
            "PAN last character must be a letter; got '%(part)s'", "pan_check", part=value[9]
        )


def validate_gstin(value: str) -> None:
    """Check a GSTIN: state code, the holder's PAN, entity number, 'Z' and the check character."""
    _require_text(value, "GSTIN", GSTIN_LENGTH)
    if value[:2] not in GSTIN_STATE_CODES:
        raise _fail(
            "GSTIN state code (characters 1-2) must be 01-38, 97 or 99; got '%(part)s'",
            "state_code",
            part=value[:2],
        )
    try:
        validate_pan(value[2:12])
    except ValidationError as error:
        raise _fail(
            "GSTIN characters 3-12 must be a valid PAN: %(reason)s",
            "pan",
            reason=error.messages[0],
        ) from error
    if value[12] == "0":
        raise _fail(
            "GSTIN 13th character (registration number within the state) must be 1-9 or A-Z; "
            "got '%(part)s'",
            "entity_number",
            part=value[12],
        )
    if value[13] != "Z":
        raise _fail("GSTIN 14th character must be 'Z'; got '%(part)s'", "default_z", part=value[13])
    expected = gstin_check_character(value[:14])
    if value[14] != expected:
        raise _fail(
            "Check character should be '%(expected)s', not '%(got)s'",
            "check_character",
            expected=expected,
            got=value[14],
        )


def validate_gstin_matches_pan(gstin: str, pan: str) -> None:
    """Check that a GSTIN is valid and was issued to the holder of `pan`."""
    validate_gstin(gstin)
    validate_pan(pan)
    if gstin[2:12] != pan:
        raise _fail(
            "GSTIN %(gstin)s belongs to PAN %(gstin_pan)s, not %(pan)s",
            "pan_mismatch",
            gstin=gstin,
            gstin_pan=gstin[2:12],
            pan=pan,
        )


def validate_ifsc(value: str) -> None:
    """Check an IFSC: 4-letter bank code, '0', 6-character branch code."""
    _require_text(value, "IFSC", IFSC_LENGTH)
    if not _LETTERS.fullmatch(value[:4]):
        raise _fail(
            "IFSC bank code (characters 1-4) must be letters; got '%(part)s'",
            "bank_code",
            part=value[:4],
        )
    if value[4] != "0":
        raise _fail(
            "IFSC 5th character must be the digit '0'; got '%(part)s'",
            "reserved_zero",
            part=value[4],
        )
    if not _ALPHANUMERIC.fullmatch(value[5:]):
        raise _fail(
            "IFSC branch code (characters 6-11) must be letters or digits; got '%(part)s'",
            "branch_code",
            part=value[5:],
        )


def validate_cin(value: str) -> None:
    """Check a company's CIN: listing, industry, state, year, ownership and registration number."""
    _require_text(value, "CIN", CIN_LENGTH)
    if value[0] not in "LU":
        raise _fail(
            "CIN 1st character must be L (listed) or U (unlisted); got '%(part)s'",
            "listing",
            part=value[0],
        )
    if not _DIGITS.fullmatch(value[1:6]):
        raise _fail(
            "CIN industry code (characters 2-6) must be 5 digits; got '%(part)s'",
            "industry_code",
            part=value[1:6],
        )
    if not _LETTERS.fullmatch(value[6:8]):
        raise _fail(
            "CIN state code (characters 7-8) must be 2 letters; got '%(part)s'",
            "state_code",
            part=value[6:8],
        )
    if not _DIGITS.fullmatch(value[8:12]):
        raise _fail(
            "CIN year of incorporation (characters 9-12) must be 4 digits; got '%(part)s'",
            "year",
            part=value[8:12],
        )
    if value[12:15] not in CIN_OWNERSHIP_TYPES:
        raise _fail(
            "CIN ownership type (characters 13-15) must be one of %(allowed)s; got '%(part)s'",
            "ownership_type",
            allowed=", ".join(sorted(CIN_OWNERSHIP_TYPES)),
            part=value[12:15],
        )
    if not _DIGITS.fullmatch(value[15:]):
        raise _fail(
            "CIN registration number (characters 16-21) must be 6 digits; got '%(part)s'",
            "registration_number",
            part=value[15:],
        )


def gstin_valid_mask(series: pd.Series) -> pd.Series:
    """True where a value is a well-formed GSTIN with the right check character.

    Agrees with validate_gstin row for row, but works on the whole column with numpy
    array operations (no Python call per row), for uploads of a million rows. Values
    are judged by their text form; missing values are False, and no number's text
    can be a GSTIN, which needs five letters in a row.
    """
    text = series.astype("string")
    right_length = (text.str.len() == GSTIN_LENGTH).fillna(False).to_numpy(dtype=bool)
    # Blank out the other rows before the fixed-width copy, so one huge cell cannot
    # blow the array up to (rows x its length) and truncation cannot make a GSTIN.
    candidates = text.where(right_length, "").fillna("").to_numpy(dtype=f"<U{GSTIN_LENGTH}")
    # Anything outside ASCII becomes DEL (127), which no position accepts; int16 keeps
    # the arithmetic below exact while touching a quarter of the memory of int64.
    raw = candidates.view(np.uint32).reshape(len(candidates), GSTIN_LENGTH)
    codes = np.minimum(raw, 127).astype(np.int16)

    is_digit = (codes >= ord("0")) & (codes <= ord("9"))
    is_letter = (codes >= ord("A")) & (codes <= ord("Z"))
    state = (codes[:, 0] - ord("0")) * 10 + (codes[:, 1] - ord("0"))
    holder_codes = np.array([ord(c) for c in PAN_HOLDER_TYPES], dtype=np.int16)

    valid = right_length.copy()
    valid &= is_digit[:, 0] & is_digit[:, 1]
    valid &= ((state >= 1) & (state <= 38)) | (state == 97) | (state == 99)
    valid &= is_letter[:, 2:7].all(axis=1)
    valid &= np.isin(codes[:, 5], holder_codes)
    valid &= is_digit[:, 7:11].all(axis=1)
    valid &= is_letter[:, 11]
    valid &= (is_digit[:, 12] & (codes[:, 12] != ord("0"))) | is_letter[:, 12]
    valid &= codes[:, 13] == ord("Z")

    head = codes[:, :14]
    values = np.where(is_digit[:, :14], head - ord("0"), head - (ord("A") - 10))
    products = values * np.tile(np.array([1, 2], dtype=np.int16), 7)
    # A product is at most 70, so its base-36 digit sum (p // 36 + p % 36) is p - 35
    # when it reaches 36 and p otherwise; this avoids integer division over the matrix.
    digit_sums = products - 35 * (products >= 36)
    total = digit_sums.sum(axis=1, dtype=np.int64)
    check = (36 - total % 36) % 36
    expected = np.where(check < 10, check + ord("0"), check + (ord("A") - 10))
    valid &= codes[:, 14] == expected

    return pd.Series(valid, index=series.index, name=series.name, dtype=bool)
