"""Sales-claim line rules: the valid file passes typed, and each rule reports its broken cell."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from incentives.ingest.validate import ERROR_RULES, RESULT_COLUMNS, ValidationContext
from tests.claims.ingest_lines import (
    BUYER_GSTIN,
    CONTEXT,
    FIRM_GSTIN,
    PRIOR_INVOICE,
    VALID_LINES,
    check,
    lines,
    reported,
)

# --- the valid file --------------------------------------------------------------------------


def test_valid_lines_pass_and_come_out_typed_and_exact():
    result = check(VALID_LINES)

    assert result.ok and result.errors.empty
    assert result.summary_by_rule == dict.fromkeys(ERROR_RULES, 0)
    clean = result.clean
    assert clean["row"].tolist() == [2, 3, 4]
    assert clean["invoice_date"].dtype == "datetime64[ns]"
    assert clean["invoice_date"].dt.date.tolist() == [
        dt.date(2027, 4, 5),
        dt.date(2027, 5, 15),
        dt.date(2027, 6, 20),
    ]
    assert clean["quantity_g"].dtype == np.int64
    assert clean["quantity_g"].tolist() == [1_250_500, 300_000, -50_500]
    assert clean["net_sales_value_paise"].dtype == np.int64
    assert clean["net_sales_value_paise"].tolist() == [625_250_000, 165_000_000, -25_250_000]
    assert clean["hsn_code"].tolist() == ["85051110", "85051190", "85051110"]
    assert clean["is_export"].tolist() == [False, True, False]
    assert clean["export_country"].tolist() == ["", "JP", ""]
    assert clean["is_credit_note"].tolist() == [False, False, True]


# --- one test per rule: a file that breaks only that rule -------------------------------------

RULE_CASES = [
    pytest.param(
        [(1, "invoice_number", "INV/" + "9" * 97)],
        (3, "invoice_number", "INV/" + "9" * 97, "too_long"),
        "Invoice number is 101 characters long; at most 100 are accepted.",
        id="too_long",
    ),
    pytest.param(
        [(0, "buyer_name", "")],
        (2, "buyer_name", "", "required_value"),
        "Buyer name is blank; every line needs one.",
        id="required_value",
    ),
    pytest.param(
        [(1, "plant", "   ")],
        (3, "plant", "   ", "required_value"),
        "Plant is blank; every line needs one.",
        id="required_value-spaces",
    ),
    pytest.param(
        [(0, "invoice_date", "2027/04/05")],
        (2, "invoice_date", "2027/04/05", "date_format"),
        "Invoice date '2027/04/05' is not in an accepted form: YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY.",
        id="date_format",
    ),
    pytest.param(
        [(0, "invoice_date", "04/31/2027")],
        (2, "invoice_date", "04/31/2027", "date_format"),
        "Invoice date 04/31/2027 is not a real calendar date.",
        id="date_format-month-first",
    ),
    pytest.param(
        [(0, "invoice_date", "2027-07-03")],
        (2, "invoice_date", "2027-07-03", "date_in_period"),
        "Invoice date 2027-07-03 is outside the claim period 01-04-2027 to 30-06-2027.",
        id="date_in_period",
    ),
    pytest.param(
        [(1, "hsn_code", "85052000")],
        (3, "hsn_code", "85052000", "hsn_prefix"),
        "HSN code 85052000 is not under 8505 11 (permanent magnets of metal); only those sales are eligible.",
        id="hsn_prefix",
    ),
    pytest.param(
        [(1, "hsn_code", "8505")],
        (3, "hsn_code", "8505", "hsn_prefix"),
        "HSN code '8505' must be 6 or 8 digits beginning 850511.",
        id="hsn_prefix-too-short",
    ),
    pytest.param(
        [(0, "quantity_kg", "1250.5001")],
        (2, "quantity_kg", "1250.5001", "quantity_format"),
        "Quantity 1250.5001 kg has more than 3 decimal places; kilograms are recorded to the gram.",
        id="quantity_format",
    ),
    pytest.param(
        [(0, "quantity_kg", "1,250.5")],
        (2, "quantity_kg", "1,250.5", "quantity_format"),
        "Quantity '1,250.5' is not a number: write kilograms as digits with a point for decimals "
        "(e.g. 1250.5), without thousands separators, units or spaces.",
        id="quantity_format-separator",
    ),
    pytest.param(
        [(1, "quantity_kg", "1000000000")],
        (3, "quantity_kg", "1000000000", "quantity_format"),
        "Quantity 1000000000 kg is too large for one line (at most 999999999.999 kg).",
        id="quantity_format-too-large",
    ),
    pytest.param(
        [(0, "net_sales_value", "6252500.005")],
        (2, "net_sales_value", "6252500.005", "value_format"),
        "Net sales value 6252500.005 has more than 2 decimal places; rupees are recorded to the paisa.",
        id="value_format",
    ),
    pytest.param(
        [(0, "net_sales_value", "Rs 6252500")],
        (2, "net_sales_value", "Rs 6252500", "value_format"),
        "Net sales value 'Rs 6252500' is not a number: write rupees as digits with a point for "
        "decimals (e.g. 1250.5), without thousands separators, units or spaces.",
        id="value_format-currency",
    ),
    pytest.param(
        [(0, "quantity_kg", "-1250.5")],
        (2, "quantity_kg", "-1250.5", "sign"),
        "Quantity -1250.5 kg must be more than zero on an invoice line; a return goes on a "
        "credit-note line with credit_note_ref filled.",
        id="sign",
    ),
    pytest.param(
        [(2, "net_sales_value", "252500.00")],
        (4, "net_sales_value", "252500.00", "sign"),
        "Net sales value 252500.00 must be negative on a credit note (it reverses invoice INV/27-28/0001).",
        id="sign-credit-note",
    ),
    pytest.param(
        [(2, "credit_note_ref", "INV/27-28/0404")],
        (4, "credit_note_ref", "INV/27-28/0404", "credit_note_target"),
        "Credit note reverses invoice INV/27-28/0404, which is neither an invoice line in this "
        "file nor in an earlier claim of this award.",
        id="credit_note_target",
    ),
    pytest.param(
        [(1, "buyer_gstin", "27AAPFU0939F1ZA"), (1, "export_country", "")],
        (3, "buyer_gstin", "27AAPFU0939F1ZA", "gstin_format"),
        "Buyer GSTIN 27AAPFU0939F1ZA has a wrong check character: with these first 14 "
        "characters it must end in V. Check it for a typing error.",
        id="gstin_format-check-character",
    ),
    pytest.param(
        [(1, "buyer_gstin", "27AAPFU0939F"), (1, "export_country", "")],
        (3, "buyer_gstin", "27AAPFU0939F", "gstin_format"),
        "Buyer GSTIN '27AAPFU0939F' has 12 characters; a GSTIN has 15.",
        id="gstin_format-length",
    ),
    pytest.param(
        [(1, "buyer_gstin", "27AAPXU0939F1ZV"), (1, "export_country", "")],
        (3, "buyer_gstin", "27AAPXU0939F1ZV", "gstin_format"),
        "Buyer GSTIN 27AAPXU0939F1ZV is not a valid GSTIN: a state code (01-38, 97 or 99), the "
        "buyer's PAN, an entity number (1-9 or A-Z), 'Z' and a check character.",
        id="gstin_format-structure",
    ),
    pytest.param(
        [(1, "buyer_gstin", FIRM_GSTIN), (1, "export_country", "")],
        (3, "buyer_gstin", FIRM_GSTIN, "own_gstin"),
        f"Buyer GSTIN {FIRM_GSTIN} is the firm's own GSTIN; a supply to yourself is not a sale.",
        id="own_gstin",
    ),
    pytest.param(
        [(1, "export_country", "")],
        (3, "export_country", "", "export_country"),
        "A line without a buyer GSTIN is an export: give export_country as a 2-letter ISO country "
        "code (e.g. JP, DE, US), or fill in the buyer's GSTIN.",
        id="export_country-missing",
    ),
    pytest.param(
        [(1, "export_country", "IN")],
        (3, "export_country", "IN", "export_country"),
        "Export country IN is India: a sale to a buyer in India needs the buyer's GSTIN.",
        id="export_country-india",
    ),
    pytest.param(
        [(1, "export_country", "Japan")],
        (3, "export_country", "Japan", "export_country"),
        "Export country 'Japan' is not an ISO 3166-1 alpha-2 country code (two letters such as "
        "JP, DE, US).",
        id="export_country-not-iso",
    ),
    pytest.param(
        [(0, "export_country", "DE")],
        (2, "export_country", "DE", "export_country"),
        "Export country DE is given for a buyer with an Indian GSTIN: leave export_country blank "
        "(or IN) for a domestic sale, or leave buyer_gstin blank for an export.",
        id="export_country-with-gstin",
    ),
    pytest.param(
        [(1, "invoice_number", PRIOR_INVOICE)],
        (3, "invoice_number", PRIOR_INVOICE, "duplicate_prior"),
        f"Invoice number {PRIOR_INVOICE} was already claimed in another claim of this award; "
        "an invoice can be claimed once.",
        id="duplicate_prior",
    ),
    pytest.param(
        [(1, "plant", "Vizag-2")],
        (3, "plant", "Vizag-2", "plant_mismatch"),
        "Plant 'Vizag-2' is not the award's registered plant 'Pune-1'; claim only magnets "
        "made there.",
        id="plant_mismatch",
    ),
    pytest.param(
        [(0, "related_party", "maybe")],
        (2, "related_party", "maybe", "related_party_flag"),
        "Related party 'maybe' must be Y or N (yes/no, true/false and 1/0 are accepted too).",
        id="related_party_flag",
    ),
]


@pytest.mark.parametrize(("changes", "expected", "message"), RULE_CASES)
def test_each_rule_reports_exactly_the_broken_cell(changes, expected, message):
    result = check(lines(*changes))

    row, column, value, rule = expected
    assert reported(result) == [{"row": row, "column": column, "value": value, "rule": rule}]
    assert result.errors["message"].tolist() == [message]
    assert result.summary_by_rule[rule] == 1
    assert result.error_count == 1
    assert result.clean is None


def test_the_plant_is_compared_without_case_or_extra_spaces():
    # given the registered plant has inner spaces, and the file spells it three ways
    context = dataclasses.replace(CONTEXT, registered_plant="Pune  Plant 1")
    spellings = lines(
        (0, "plant", "PUNE PLANT 1"),
        (1, "plant", "  pune   plant 1 "),
        (2, "plant", "Pune Plant 1"),
    )
    # then every line passes
    assert check(spellings, context).ok
    # but another plant (or a near miss) is refused on each of its rows, naming the registered one
    wrong = check(
        lines(
            (0, "plant", "Pune Plant 2"), (1, "plant", "pune plant 1"), (2, "plant", "PunePlant1")
        ),
        context,
    )
    assert reported(wrong) == [
        {"row": 2, "column": "plant", "value": "Pune Plant 2", "rule": "plant_mismatch"},
        {"row": 4, "column": "plant", "value": "PunePlant1", "rule": "plant_mismatch"},
    ]
    assert "registered plant 'Pune Plant 1'" in wrong.errors["message"].iloc[0]


def test_a_context_without_a_registered_plant_checks_no_plant():
    unchecked = dataclasses.replace(CONTEXT, registered_plant=None)
    assert check(lines((0, "plant", "Anywhere")), unchecked).ok
    with pytest.raises(ValueError, match="registered_plant"):
        dataclasses.replace(CONTEXT, registered_plant="  ")


def test_every_rule_code_has_a_case():
    covered = {case.values[1][3] for case in RULE_CASES} | {"duplicate_in_file"}
    assert covered == set(ERROR_RULES)


def test_a_sale_to_a_consortium_partner_is_a_supply_to_oneself():
    # given the buyer of the invoice and its credit note is another firm of the consortium
    context = dataclasses.replace(CONTEXT, partner_gstins=frozenset({BUYER_GSTIN.lower()}))
    result = check(VALID_LINES, context)
    # then both lines are refused as the firm's own GSTIN, and only they
    assert result.summary_by_rule["own_gstin"] == 2
    assert result.error_count == 2
    assert result.error_rows.tolist() == [2, 4]


def test_duplicate_in_file_reports_every_later_occurrence_with_the_first_row():
    again = dict(VALID_LINES[1], buyer_name="Sakura Magnetics KK (second copy)")
    third = dict(VALID_LINES[1], invoice_number="  inv/27-28/0002 ")
    result = check(lines(extra=[again, third]))

    assert reported(result) == [
        {
            "row": 5,
            "column": "invoice_number",
            "value": "INV/27-28/0002",
            "rule": "duplicate_in_file",
        },
        {
            "row": 6,
            "column": "invoice_number",
            "value": "  inv/27-28/0002 ",
            "rule": "duplicate_in_file",
        },
    ]
    assert result.errors["message"].tolist() == [
        "Invoice number INV/27-28/0002 already appears on row 3; each invoice may be claimed once.",
        "Invoice number inv/27-28/0002 already appears on row 3; each invoice may be claimed once.",
    ]
    assert result.summary_by_rule["duplicate_in_file"] == 2


def test_credit_note_may_reverse_an_invoice_of_an_earlier_claim():
    records = lines((2, "credit_note_ref", PRIOR_INVOICE))
    assert check(records).ok

    elsewhere = ValidationContext(
        period_start=CONTEXT.period_start,
        period_end=CONTEXT.period_end,
        unit_value_min=CONTEXT.unit_value_min,
        unit_value_max=CONTEXT.unit_value_max,
        prior_invoice_numbers=frozenset({PRIOR_INVOICE}),
        prior_invoice_numbers_for_credit=frozenset({"OLDER/25-26/0009"}),
    )
    result = check(records, elsewhere)
    assert [error["rule"] for error in reported(result)] == ["credit_note_target"]


def test_a_credit_note_cannot_reverse_another_credit_note():
    second = dict(VALID_LINES[2], invoice_number="CN/27-28/0002", credit_note_ref="CN/27-28/0001")
    result = check(lines(extra=[second]))
    assert reported(result) == [
        {
            "row": 5,
            "column": "credit_note_ref",
            "value": "CN/27-28/0001",
            "rule": "credit_note_target",
        }
    ]


def test_accepted_spellings_and_layouts_pass():
    records = lines(
        (0, "invoice_date", "5/4/2027"),
        (0, "related_party", " Yes "),
        (0, "buyer_gstin", BUYER_GSTIN.lower()),
        (1, "invoice_date", "2027-05-15"),
        (1, "related_party", "false"),
        (1, "export_country", "jp"),
        (1, "quantity_kg", "300.5000"),  # extra zeros past the gram are harmless
        (2, "related_party", "0"),
        (2, "hsn_code", "850511"),
    )
    result = check(records)

    assert result.ok, reported(result)
    assert result.clean["related_party"].tolist() == [True, False, False]
    assert result.clean["buyer_gstin"].tolist()[0] == BUYER_GSTIN
    assert result.clean["export_country"].tolist()[1] == "JP"
    assert result.clean["quantity_g"].tolist()[1] == 300_500
    assert result.clean["invoice_date"].dt.date.tolist()[0] == dt.date(2027, 4, 5)


def test_many_errors_in_one_file_are_all_reported():
    records = [
        dict(VALID_LINES[0], invoice_date="2027-07-03", quantity_kg="1,5", related_party="maybe"),
        dict(VALID_LINES[0], invoice_number="INV/27-28/0001", invoice_date="31-02-2027"),
        dict(VALID_LINES[1], hsn_code="abc", net_sales_value="=1+2", export_country=""),
        dict(VALID_LINES[2], credit_note_ref="NOPE", quantity_kg="50.5"),
        dict(VALID_LINES[1], invoice_number=PRIOR_INVOICE, buyer_gstin=FIRM_GSTIN, plant=""),
        dict(VALID_LINES[0], invoice_number="INV/27-28/0009", buyer_gstin="27AAPFU0939F1ZA"),
    ]
    result = check(records)

    assert {(e["row"], e["column"], e["rule"]) for e in reported(result)} == {
        (2, "invoice_date", "date_in_period"),
        (2, "quantity_kg", "quantity_format"),
        (2, "related_party", "related_party_flag"),
        (3, "invoice_number", "duplicate_in_file"),
        (3, "invoice_date", "date_format"),
        (4, "hsn_code", "hsn_prefix"),
        (4, "net_sales_value", "value_format"),
        (4, "export_country", "export_country"),
        (5, "credit_note_ref", "credit_note_target"),
        (5, "quantity_kg", "sign"),
        (6, "invoice_number", "duplicate_prior"),
        (6, "buyer_gstin", "own_gstin"),
        (6, "export_country", "export_country"),  # JP given with a GSTIN
        (6, "plant", "required_value"),
        (7, "buyer_gstin", "gstin_format"),
    }
    assert result.error_count == 15
    assert result.errors["row"].is_monotonic_increasing
    assert list(result.errors.columns) == list(RESULT_COLUMNS)


def test_errors_beyond_the_limit_are_counted_but_not_listed():
    limited = ValidationContext(
        period_start=CONTEXT.period_start,
        period_end=CONTEXT.period_end,
        unit_value_min=CONTEXT.unit_value_min,
        unit_value_max=CONTEXT.unit_value_max,
        max_errors_reported=3,
    )
    records = [
        dict(VALID_LINES[0], invoice_number=f"INV/{n}", invoice_date="2028-01-01")
        for n in range(10)
    ]
    result = check(records, limited)

    assert result.errors["row"].tolist() == [2, 3, 4]
    assert result.summary_by_rule["date_in_period"] == 10
    assert result.error_count == 10 and result.truncated


# --- the context ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"period_end": dt.date(2027, 3, 31)}, ValueError),
        ({"period_start": dt.datetime(2027, 4, 1)}, TypeError),  # noqa: DTZ001
        ({"unit_value_min": Decimal("1000.001")}, ValueError),
        ({"unit_value_max": Decimal("999")}, ValueError),
        ({"hsn_prefix": "8505 11"}, ValueError),
        ({"prior_invoice_numbers": {"A"}}, TypeError),
    ],
)
def test_the_context_refuses_impossible_values(changes, error):
    values = {
        "period_start": CONTEXT.period_start,
        "period_end": CONTEXT.period_end,
        "unit_value_min": CONTEXT.unit_value_min,
        "unit_value_max": CONTEXT.unit_value_max,
    }
    with pytest.raises(error):
        ValidationContext(**{**values, **changes})
