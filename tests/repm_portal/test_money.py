"""Tests for rupee rounding, Indian formatting and amounts in words."""

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repm_portal.money import (
    CRORE,
    LAKH,
    MISSING,
    PAISA,
    ROUNDING,
    amount_in_words,
    crore,
    format_crore,
    format_indian_number,
    format_inr,
    format_lakh,
    group_indian,
    lakh,
    to_money,
)

# Scheme-sized amounts: up to a lakh crore rupees, with arbitrary sub-paisa digits.
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, allow_infinity=False
)
non_negative_paise = st.integers(min_value=0, max_value=10**15).map(lambda p: Decimal(p) / 100)


# --- to_money --------------------------------------------------------------------------------


def test_constants_are_the_scheme_units():
    assert (
        Decimal("0.01"),
        decimal.ROUND_HALF_UP,
        Decimal(100_000),
        Decimal(10_000_000),
    ) == (PAISA, ROUNDING, LAKH, CRORE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5, "5.00"),
        (Decimal("2.675"), "2.68"),
        ("0.005", "0.01"),
        ("-0.005", "-0.01"),
        ("0.004999", "0.00"),
        ("1,23,45,678.905", "12345678.91"),
        ("123,456,789.50", "123456789.50"),
        ("  42  ", "42.00"),
        ("1e3", "1000.00"),
        ("-0.001", "0.00"),
    ],
)
def test_to_money_rounds_half_up_to_the_paisa(raw, expected):
    # given a rupee amount as Decimal, int or text
    # when it is turned into money
    result = to_money(raw)
    # then it is the exact paise value, half up, with exactly two decimals
    assert result == Decimal(expected)
    assert str(result) == expected


def test_to_money_never_shows_negative_zero():
    # given an amount that rounds to nothing from below
    # when it is turned into money
    result = to_money(Decimal("-0.004"))
    # then it is a plain zero, not "-0.00"
    assert str(result) == "0.00"


def test_to_money_ignores_the_callers_decimal_context():
    # given a thread whose decimal context rounds down with little precision
    with decimal.localcontext() as context:
        context.rounding = decimal.ROUND_DOWN
        context.prec = 3
        # when money is rounded
        result = to_money("12345.675")
    # then the project's rule still applies
    assert result == Decimal("12345.68")


@pytest.mark.parametrize("bad", [1.5, 0.0, True, False, None, [1], b"12"])
def test_to_money_refuses_floats_bools_and_other_types(bad):
    # given a value that cannot carry paise exactly (or is not an amount at all)
    # when / then it is refused as the wrong type
    with pytest.raises(TypeError):
        to_money(bad)


def test_to_money_explains_why_a_float_is_refused():
    with pytest.raises(TypeError, match="floats cannot hold paise exactly"):
        to_money(0.1)


@pytest.mark.parametrize(
    "bad", ["", "   ", "abc", "12.3.4", "Rs 100", "NaN", "nan", "Infinity", "-inf", "sNaN"]
)
def test_to_money_refuses_text_that_is_not_a_finite_number(bad):
    # given text that is not a finite number
    # when / then a ValueError names the offending value
    with pytest.raises(ValueError, match="amount"):
        to_money(bad)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_to_money_refuses_non_finite_decimals(bad):
    with pytest.raises(ValueError, match="finite"):
        to_money(bad)


def test_to_money_refuses_amounts_too_large_to_hold_to_the_paisa():
    with pytest.raises(ValueError, match="too many digits"):
        to_money("1e40")


@given(amounts)
def test_to_money_is_within_half_a_paisa_and_has_two_places(value):
    # given any scheme-sized amount
    # when it is rounded
    result = to_money(value)
    # then it has exactly two decimals and moved by at most half a paisa
    assert result.as_tuple().exponent == -2
    assert abs(result - value) <= Decimal("0.005")


@given(amounts)
def test_to_money_is_idempotent_and_agrees_with_text_and_int_forms(value):
    result = to_money(value)
    assert to_money(result) == result
    assert to_money(str(value)) == result


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_whole_rupees_with_grouping_commas_parse_back(rupees):
    # given a whole amount written with Indian grouping
    text = ("-" if rupees < 0 else "") + group_indian(str(abs(rupees)))
    # when it is parsed
    # then the commas made no difference
    assert to_money(text) == Decimal(rupees)


# --- lakh and crore --------------------------------------------------------------------------


def test_crore_and_lakh_scale_to_rupees():
    assert crore(7280) == Decimal("72800000000.00")
    assert str(crore(7280)) == "72800000000.00"
    assert crore("6,450") == Decimal("64500000000")
    assert lakh(1) == Decimal("100000.00")
    assert lakh("12.5") == Decimal("1250000.00")


def test_crore_scales_before_rounding():
    # given a crore count finer than a paisa per crore would survive rounding first
    # when it is scaled
    # then it is scaled exactly and rounded once, at the end
    assert crore("0.0000000015") == Decimal("0.02")
    assert lakh("0.00000005") == Decimal("0.01")


def test_crore_refuses_floats():
    with pytest.raises(TypeError):
        crore(7.5)


# --- group_indian ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0", "0"),
        ("1", "1"),
        ("123", "123"),
        ("1234", "1,234"),
        ("12345", "12,345"),
        ("123456", "1,23,456"),
        ("12345678", "1,23,45,678"),
        ("1234567890123", "12,34,56,78,90,123"),
        ("123456789012", "1,23,45,67,89,012"),
    ],
)
def test_group_indian(digits, expected):
    assert group_indian(digits) == expected


@pytest.mark.parametrize("bad", ["", "-1", "12.5", "1,234", "१२३", "12 3"])
def test_group_indian_takes_only_ascii_digits(bad):
    with pytest.raises(ValueError, match="digits"):
        group_indian(bad)


@given(st.integers(min_value=0, max_value=10**30).map(str))
def test_group_indian_groups_three_then_twos(digits):
    # given any run of digits
    # when it is grouped
    groups = group_indian(digits).split(",")
    # then nothing is lost, the last group has up to three digits and the others two
    assert "".join(groups) == digits
    assert 1 <= len(groups[-1]) <= 3
    assert all(len(g) == 2 for g in groups[1:-1])
    assert 1 <= len(groups[0]) <= 3
    if len(groups) > 1:
        assert len(groups[-1]) == 3
        assert len(groups[0]) in (1, 2)


# --- format_inr and friends ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (12345678, "Rs 1,23,45,678.00"),
        (0, "Rs 0.00"),
        (Decimal("-1234.5"), "-Rs 1,234.50"),
        ("999.995", "Rs 1,000.00"),
        ("-0.001", "Rs 0.00"),
        (Decimal("0.05"), "Rs 0.05"),
        (crore(7280), "Rs 72,80,00,00,000.00"),
    ],
)
def test_format_inr(amount, expected):
    assert format_inr(amount) == expected


def test_format_inr_symbol_can_change_or_go():
    assert format_inr(1500, symbol="₹") == "₹ 1,500.00"
    assert format_inr(-1500, symbol="") == "-1,500.00"


def test_format_inr_shows_a_dash_for_a_missing_amount():
    assert format_inr(None) == MISSING == "—"


def test_format_inr_refuses_floats():
    with pytest.raises(TypeError):
        format_inr(12.5)


@given(amounts)
def test_format_inr_round_trips_through_to_money(value):
    # given any amount
    text = format_inr(value)
    # when the symbol is stripped and the text parsed again
    sign = "-" if text.startswith("-") else ""
    parsed = to_money(sign + text.removeprefix("-").removeprefix("Rs "))
    # then it is the rounded amount, shown with two decimals
    assert parsed == to_money(value)
    assert text.split(".")[-1].isdigit()
    assert len(text.split(".")[-1]) == 2


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        (crore(645), 2, "Rs 645.00 crore"),
        (crore(6450), 2, "Rs 6,450.00 crore"),
        (crore(123456), 2, "Rs 1,23,456.00 crore"),
        (Decimal("64500000000"), 0, "Rs 6,450 crore"),
        (Decimal("1234567"), 2, "Rs 0.12 crore"),
        (Decimal("1250000"), 2, "Rs 0.13 crore"),
        (-crore("1.5"), 1, "-Rs 1.5 crore"),
    ],
)
def test_format_crore(amount, places, expected):
    assert format_crore(amount, places) == expected


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        (1250000, 2, "Rs 12.50 lakh"),
        (lakh(150), 0, "Rs 150 lakh"),
        (crore(1), 2, "Rs 100.00 lakh"),
        (12345678, 2, "Rs 123.46 lakh"),
    ],
)
def test_format_lakh(amount, places, expected):
    assert format_lakh(amount, places) == expected


def test_unit_formats_show_a_dash_for_missing_and_refuse_bad_places():
    assert format_crore(None) == "—"
    assert format_lakh(None) == "—"
    with pytest.raises(ValueError, match="places"):
        format_crore(crore(1), places=-1)
    with pytest.raises(ValueError, match="places"):
        format_lakh(lakh(1), places=True)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (6000, None, "6,000"),
        ("1234567.500", None, "12,34,567.500"),
        (Decimal("1234567.55"), 1, "12,34,567.6"),
        (Decimal("1200"), 2, "1,200.00"),
        ("-25000", None, "-25,000"),
        (Decimal("1E+5"), None, "1,00,000"),
        ("0.25", 0, "0"),
        (None, None, "—"),
    ],
)
def test_format_indian_number(value, places, expected):
    assert format_indian_number(value, places) == expected


def test_format_indian_number_refuses_floats():
    with pytest.raises(TypeError, match="quantity"):
        format_indian_number(600.0)


# --- amount_in_words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "Rupees Zero Only"),
        (1, "Rupees One Only"),
        (21, "Rupees Twenty-One Only"),
        (100, "Rupees One Hundred Only"),
        (110, "Rupees One Hundred Ten Only"),
        (1000, "Rupees One Thousand Only"),
        (100_000, "Rupees One Lakh Only"),
        (750_000_000, "Rupees Seventy-Five Crore Only"),
        (
            Decimal("123456789.50"),
            "Rupees Twelve Crore Thirty-Four Lakh Fifty-Six Thousand Seven Hundred "
            "Eighty-Nine and Paise Fifty Only",
        ),
        (crore(6450), "Rupees Six Thousand Four Hundred Fifty Crore Only"),
        (crore(7280), "Rupees Seven Thousand Two Hundred Eighty Crore Only"),
        (crore(100), "Rupees One Hundred Crore Only"),
        (crore(100_000), "Rupees One Lakh Crore Only"),
        (Decimal("0.99"), "Rupees Zero and Paise Ninety-Nine Only"),
        ("1,00,00,001.01", "Rupees One Crore One and Paise One Only"),
        ("2.675", "Rupees Two and Paise Sixty-Eight Only"),
    ],
)
def test_amount_in_words(amount, expected):
    assert amount_in_words(amount) == expected


def test_amount_in_words_refuses_negative_amounts():
    with pytest.raises(ValueError, match="negative"):
        amount_in_words(Decimal("-1"))


def test_amount_in_words_accepts_what_rounds_to_zero_from_below():
    assert amount_in_words("-0.004") == "Rupees Zero Only"


_WORD_VALUES = {
    "Zero": 0, "One": 1, "Two": 2, "Three": 3, "Four": 4, "Five": 5, "Six": 6, "Seven": 7,
    "Eight": 8, "Nine": 9, "Ten": 10, "Eleven": 11, "Twelve": 12, "Thirteen": 13,
    "Fourteen": 14, "Fifteen": 15, "Sixteen": 16, "Seventeen": 17, "Eighteen": 18,
    "Nineteen": 19, "Twenty": 20, "Thirty": 30, "Forty": 40, "Fifty": 50, "Sixty": 60,
    "Seventy": 70, "Eighty": 80, "Ninety": 90,
}  # fmt: skip
_SCALES = {"Hundred": 100, "Thousand": 1_000, "Lakh": 100_000, "Crore": 10_000_000}


def _parse_indian_words(words: str) -> int:
    """An independent reader of Indian number words, to check the writer against."""
    total, group = 0, 0
    for token in words.replace("-", " ").split():
        if token in _WORD_VALUES:
            group += _WORD_VALUES[token]
        elif token == "Hundred":
            group *= 100
        elif token == "Crore":
            # Everything read so far counts crores ("Six Thousand ... Fifty Crore").
            total = (total + group) * _SCALES[token]
            group = 0
        else:
            total += group * _SCALES[token]
            group = 0
    return total + group


@given(non_negative_paise)
def test_amount_in_words_reads_back_to_the_amount(amount):
    # given any amount to the paisa
    # when it is spelled
    words = amount_in_words(amount)
    # then an independent reader recovers it exactly
    assert words.startswith("Rupees ")
    assert words.endswith(" Only")
    body = words.removeprefix("Rupees ").removesuffix(" Only")
    rupee_words, _, paise_words = body.partition(" and Paise ")
    assert _parse_indian_words(rupee_words) == int(amount)
    assert _parse_indian_words(paise_words or "Zero") == int((amount % 1) * 100)
    assert "  " not in words
    assert "Zero" not in body or body.startswith("Zero")
