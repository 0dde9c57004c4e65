"""Tests for the GSTIN, PAN, IFSC and CIN checks, one value and a whole column."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from beneficiaries.validators import (
    CIN_OWNERSHIP_TYPES,
    GSTIN_ALPHABET,
    GSTIN_STATE_CODES,
    PAN_HOLDER_TYPES,
    gstin_check_character,
    gstin_valid_mask,
    validate_cin,
    validate_gstin,
    validate_gstin_matches_pan,
    validate_ifsc,
    validate_pan,
)

# Real GSTINs published by their holders or by GSTN; the check characters were not
# computed here, so agreeing with them pins the algorithm down.
KNOWN_VALID_GSTINS = [
    "27AAPFU0939F1ZV",
    "29AAGCB7383J1Z4",
    "27AAACR5055K1Z7",
    "33AACCM9093R1ZP",
    "07AAGFF2194N1Z1",
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _rejection(validator, *args) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(*args)
    return caught.value


def _is_valid_gstin(value: object) -> bool:
    try:
        validate_gstin(value)
    except ValidationError:
        return False
    return True


# --- strategies ------------------------------------------------------------------------------

letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
digits = st.sampled_from("0123456789")


@st.composite
def pans(draw) -> str:
    return (
        "".join(draw(st.lists(letters, min_size=3, max_size=3)))
        + draw(st.sampled_from(PAN_HOLDER_TYPES))
        + draw(letters)
        + "".join(draw(st.lists(digits, min_size=4, max_size=4)))
        + draw(letters)
    )


@st.composite
def valid_gstins(draw) -> str:
    first14 = (
        draw(st.sampled_from(sorted(GSTIN_STATE_CODES)))
        + draw(pans())
        + draw(st.sampled_from(GSTIN_ALPHABET[1:]))
        + "Z"
    )
    return first14 + gstin_check_character(first14)


@st.composite
def near_miss_gstins(draw) -> str:
    """A valid GSTIN with a few characters changed, so every rule gets broken sometimes."""
    chars = list(draw(valid_gstins()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=14))
        chars[position] = draw(st.sampled_from(GSTIN_ALPHABET + "az0Z -é\x00"))
    return "".join(chars)


gstin_like = st.one_of(
    valid_gstins(),
    near_miss_gstins(),
    st.text(alphabet=GSTIN_ALPHABET + "az", min_size=13, max_size=17),
    st.text(max_size=20),
)


# --- GSTIN -----------------------------------------------------------------------------------


@pytest.mark.parametrize("gstin", KNOWN_VALID_GSTINS)
def test_known_gstins_have_the_check_character_we_compute(gstin):
    # given a GSTIN issued by GSTN
    # when its check character is recomputed from the first 14 characters
    # then it matches the one GSTN issued, and the whole GSTIN passes
    assert gstin_check_character(gstin[:14]) == gstin[14]
    validate_gstin(gstin)


def test_check_character_refuses_bad_input():
    assert _rejection(gstin_check_character, "27AAPFU0939F1").code == "length"
    assert _rejection(gstin_check_character, "27AAPFU0939F1z").code == "case"
    assert _rejection(gstin_check_character, "27AAPFU0939F-Z").code == "characters"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("27AAPFU0939F1ZX", "check_character", "Check character should be 'V', not 'X'"),
        ("27AAPFU0939F1Z", "length", "GSTIN must be 15 characters; got 14"),
        ("27AAPFU0939F1ZVV", "length", "GSTIN must be 15 characters; got 16"),
        ("27aapfu0939f1zv", "case", "GSTIN must be in capital letters; got '27aapfu0939f1zv'"),
        (
            "27AAPFU0939F1Z.",
            "characters",
            "GSTIN may contain only letters A-Z and digits 0-9; got '.' at position 15",
        ),
        (
            "00AAPFU0939F1ZV",
            "state_code",
            "GSTIN state code (characters 1-2) must be 01-38, 97 or 99; got '00'",
        ),
        (
            "39AAPFU0939F1ZV",
            "state_code",
            "GSTIN state code (characters 1-2) must be 01-38, 97 or 99; got '39'",
        ),
        (
            "27AAPXU0939F1ZV",
            "pan",
            "GSTIN characters 3-12 must be a valid PAN: PAN 4th character (holder type) "
            "must be one of C, P, H, F, A, T, B, L, J, G; got 'X'",
        ),
        (
            "27AAPFUO939F1ZV",
            "pan",
            "GSTIN characters 3-12 must be a valid PAN: PAN characters 6-9 must be digits; "
            "got 'O939'",
        ),
        (
            "27AAPFU0939F0ZV",
            "entity_number",
            "GSTIN 13th character (registration number within the state) must be 1-9 or A-Z; "
            "got '0'",
        ),
        ("27AAPFU0939F1YV", "default_z", "GSTIN 14th character must be 'Z'; got 'Y'"),
        (27, "invalid", "GSTIN must be text; got int"),
    ],
)
def test_validate_gstin_names_what_is_wrong(value, code, message):
    # given a GSTIN broken in one way
    # when it is validated
    error = _rejection(validate_gstin, value)
    # then the error says which part is wrong, in words a clerk can act on
    assert error.code == code
    assert error.messages == [message]


@pytest.mark.parametrize("state", ["01", "38", "97", "99"])
def test_validate_gstin_accepts_every_state_code_and_the_special_ones(state):
    first14 = f"{state}AAPFU0939F1Z"
    validate_gstin(first14 + gstin_check_character(first14))


@given(valid_gstins())
def test_generated_gstins_pass(gstin):
    validate_gstin(gstin)


@given(valid_gstins(), st.integers(min_value=0, max_value=13), st.sampled_from(GSTIN_ALPHABET))
def test_check_character_catches_any_single_character_change(gstin, position, replacement):
    # given a valid GSTIN and a different character at one of its first 14 positions
    changed = gstin[:position] + replacement + gstin[position + 1 : 14]
    if changed == gstin[:14]:
        return
    # when the check character is recomputed
    # then it differs, because Luhn mod 36 catches every single substitution
    assert gstin_check_character(changed) != gstin[14]


def test_gstin_matches_pan():
    # given a GSTIN and the PAN it was issued under
    validate_gstin_matches_pan("27AAPFU0939F1ZV", "AAPFU0939F")
    # when the PAN is someone else's
    error = _rejection(validate_gstin_matches_pan, "27AAPFU0939F1ZV", "AAGCB7383J")
    # then the mismatch is named
    assert error.code == "pan_mismatch"
    assert error.messages == ["GSTIN 27AAPFU0939F1ZV belongs to PAN AAPFU0939F, not AAGCB7383J"]


def test_gstin_matches_pan_validates_both_first():
    assert _rejection(validate_gstin_matches_pan, "27AAPFU0939F1ZX", "AAPFU0939F").code == (
        "check_character"
    )
    assert _rejection(validate_gstin_matches_pan, "27AAPFU0939F1ZV", "AAPFU0939").code == "length"


# --- the vectorised GSTIN mask ---------------------------------------------------------------


@given(st.lists(gstin_like, max_size=40))
def test_mask_agrees_with_validate_gstin(values):
    # given any mix of valid, nearly valid and arbitrary strings
    series = pd.Series(values, dtype=object)
    # when the column is checked at once
    mask = gstin_valid_mask(series)
    # then each row's verdict is the scalar validator's
    assert mask.tolist() == [_is_valid_gstin(v) for v in values]


def test_mask_is_false_for_missing_and_non_text_values_and_keeps_the_index():
    # given a column with gaps, numbers and valid GSTINs under a custom index
    series = pd.Series(
        ["27AAPFU0939F1ZV", None, np.nan, pd.NA, 270939, 2.5, "29AAGCB7383J1Z4", "x" * 500],
        index=list("abcdefgh"),
        name="gstin",
    )
    # when it is checked
    mask = gstin_valid_mask(series)
    # then only the real GSTINs pass, row labels and name are kept, and the dtype is bool
    assert mask.tolist() == [True, False, False, False, False, False, True, False]
    assert list(mask.index) == list("abcdefgh")
    assert mask.name == "gstin"
    assert mask.dtype == bool


def test_mask_handles_string_dtype_and_empty_columns():
    assert gstin_valid_mask(pd.Series(KNOWN_VALID_GSTINS, dtype="string")).all()
    empty = gstin_valid_mask(pd.Series([], dtype=object))
    assert empty.empty
    assert empty.dtype == bool


def test_mask_does_not_truncate_a_long_value_into_a_valid_gstin():
    # given a valid GSTIN with extra characters behind it
    # then the mask does not judge only its first 15 characters
    assert not gstin_valid_mask(pd.Series(["27AAPFU0939F1ZVEXTRA"])).iloc[0]


# --- PAN -------------------------------------------------------------------------------------


@pytest.mark.parametrize("pan", ["AAPFU0939F", "ABCPE1234F", "AAGCB7383J", "AAAHA0001Z"])
def test_validate_pan_accepts_valid_pans(pan):
    validate_pan(pan)


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("AAPFU0939", "length", "PAN must be 10 characters; got 9"),
        ("aapfu0939f", "case", "PAN must be in capital letters; got 'aapfu0939f'"),
        ("1APFU0939F", "pan_series", "PAN characters 1-3 must be letters; got '1AP'"),
        (
            "AAPXU0939F",
            "pan_holder_type",
            "PAN 4th character (holder type) must be one of C, P, H, F, A, T, B, L, J, G; got 'X'",
        ),
        ("AAPF10939F", "pan_name_initial", "PAN 5th character must be a letter; got '1'"),
        ("AAPFUA939F", "pan_sequence", "PAN characters 6-9 must be digits; got 'A939'"),
        ("AAPFU09399", "pan_check", "PAN last character must be a letter; got '9'"),
        ("AAPFU 939F", "characters", None),
        (None, "invalid", "PAN must be text; got NoneType"),
    ],
)
def test_validate_pan_names_the_bad_part(value, code, message):
    error = _rejection(validate_pan, value)
    assert error.code == code
    if message is not None:
        assert error.messages == [message]


@given(pans())
def test_generated_pans_pass(pan):
    validate_pan(pan)


# --- IFSC ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ifsc", ["SBIN0000300", "HDFC0000001", "ICIC0ABC123"])
def test_validate_ifsc_accepts_valid_codes(ifsc):
    validate_ifsc(ifsc)


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("SBIN000030", "length", "IFSC must be 11 characters; got 10"),
        ("sbin0000300", "case", "IFSC must be in capital letters; got 'sbin0000300'"),
        ("SB1N0000300", "bank_code", "IFSC bank code (characters 1-4) must be letters; got 'SB1N'"),
        ("SBINO000300", "reserved_zero", "IFSC 5th character must be the digit '0'; got 'O'"),
        ("SBIN0-00300", "characters", None),
    ],
)
def test_validate_ifsc_names_the_bad_part(value, code, message):
    error = _rejection(validate_ifsc, value)
    assert error.code == code
    if message is not None:
        assert error.messages == [message]


# --- CIN -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cin",
    ["L17110MH1973PLC019786", "U72200KA2007PTC041799", "U74999DL2019GOI123456"],
)
def test_validate_cin_accepts_valid_numbers(cin):
    validate_cin(cin)


@pytest.mark.parametrize("ownership", sorted(CIN_OWNERSHIP_TYPES))
def test_validate_cin_accepts_every_ownership_type(ownership):
    validate_cin(f"U27100MH2024{ownership}000001")


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("L17110MH1973PLC01978", "length", "CIN must be 21 characters; got 20"),
        (
            "X17110MH1973PLC019786",
            "listing",
            "CIN 1st character must be L (listed) or U (unlisted); got 'X'",
        ),
        (
            "L1711AMH1973PLC019786",
            "industry_code",
            "CIN industry code (characters 2-6) must be 5 digits; got '1711A'",
        ),
        (
            "L171102H1973PLC019786",
            "state_code",
            "CIN state code (characters 7-8) must be 2 letters; got '2H'",
        ),
        (
            "L17110MH19A3PLC019786",
            "year",
            "CIN year of incorporation (characters 9-12) must be 4 digits; got '19A3'",
        ),
        (
            "L17110MH1973XYZ019786",
            "ownership_type",
            "CIN ownership type (characters 13-15) must be one of FTC, GAP, GAT, GOI, NPL, OPC, "
            "PLC, PTC, SGC, ULL, ULT; got 'XYZ'",
        ),
        (
            "L17110MH1973PLC01978A",
            "registration_number",
            "CIN registration number (characters 16-21) must be 6 digits; got '01978A'",
        ),
    ],
)
def test_validate_cin_names_the_bad_part(value, code, message):
    error = _rejection(validate_cin, value)
    assert error.code == code
    assert error.messages == [message]


# --- packaging -------------------------------------------------------------------------------


def test_validators_import_and_run_without_django_settings():
    # given a fresh interpreter with no Django settings module
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    script = (
        "from django.conf import settings\n"
        "from django.core.exceptions import ValidationError\n"
        "import beneficiaries.validators as v\n"
        "try:\n"
        "    v.validate_gstin('27AAPFU0939F1ZX')\n"
        "except ValidationError as e:\n"
        "    print(e.messages[0])\n"
        "print(settings.configured)\n"
    )
    # when the validators are imported and used
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # then they work, and nothing configured Django on the way
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["Check character should be 'V', not 'X'", "False"]
