"""Tests for sales-claim uploads: the column dictionary, safe reading, every rule, exact totals."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beneficiaries.validators import gstin_check_character
from incentives.ingest import reading
from incentives.ingest.columns import (
    COLUMNS,
    HEADER,
    RELATED_PARTY_NO,
    RELATED_PARTY_YES,
    header_key,
    template_csv,
    template_xlsx,
)
from incentives.ingest.reading import ROW_OFFSET, FileRejected, read_upload
from incentives.ingest.validate import (
    ERROR_RULES,
    FLAG_RULES,
    RESULT_COLUMNS,
    ValidationContext,
    totals,
    validate,
)

FIRM_GSTIN = "29AAGCB7383J1Z4"
BUYER_GSTIN = "27AAPFU0939F1ZV"
OTHER_BUYER_GSTIN = "33AACCM9093R1ZP"
PRIOR_INVOICE = "OLD/26-27/0001"

CONTEXT = ValidationContext(
    period_start=dt.date(2027, 4, 1),
    period_end=dt.date(2027, 6, 30),
    unit_value_min=Decimal("1000.00"),
    unit_value_max=Decimal("20000.00"),
    firm_gstin=FIRM_GSTIN,
    prior_invoice_numbers=frozenset({PRIOR_INVOICE}),
)

# Three lines that break no rule: a domestic invoice, an export, and a credit note
# reversing part of the first. Each rule test changes one cell (or adds one line).
VALID_LINES = [
    {
        "invoice_number": "INV/27-28/0001",
        "invoice_date": "2027-04-05",
        "buyer_name": "Bharat Motors Ltd",
        "buyer_gstin": BUYER_GSTIN,
        "export_country": "",
        "hsn_code": "85051110",
        "magnet_grade": "N52",
        "quantity_kg": "1250.500",
        "net_sales_value": "6252500.00",
        "credit_note_ref": "",
        "related_party": "N",
        "plant": "Pune-1",
    },
    {
        "invoice_number": "INV/27-28/0002",
        "invoice_date": "15/05/2027",
        "buyer_name": "Sakura Magnetics KK",
        "buyer_gstin": "",
        "export_country": "JP",
        "hsn_code": "8505 11 90",
        "magnet_grade": "N42SH",
        "quantity_kg": "300",
        "net_sales_value": "1650000",
        "credit_note_ref": "",
        "related_party": "N",
        "plant": "Pune-1",
    },
    {
        "invoice_number": "CN/27-28/0001",
        "invoice_date": "20-06-2027",
        "buyer_name": "Bharat Motors Ltd",
        "buyer_gstin": BUYER_GSTIN,
        "export_country": "",
        "hsn_code": "85051110",
        "magnet_grade": "N52",
        "quantity_kg": "-50.5",
        "net_sales_value": "-252500.00",
        "credit_note_ref": "INV/27-28/0001",
        "related_party": "N",
        "plant": "Pune-1",
    },
]


def lines(*changes: tuple[int, str, str], extra: list[dict] | None = None) -> list[dict]:
    """The valid lines with (line index, column, new text) changes applied, plus extra lines."""
    result = [dict(line) for line in VALID_LINES]
    for index, column, value in changes:
        result[index][column] = value
    return result + [dict(line) for line in (extra or [])]


def make_csv(
    records: list[dict],
    *,
    delimiter: str = ",",
    bom: bool = False,
    header: list[str] | None = None,
    newline: str = "\r\n",
) -> bytes:
    names = header or list(HEADER)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerow(names)
    for record in records:
        writer.writerow([record.get(name, "") for name in names])
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def excel_datetime(*parts: int) -> dt.datetime:
    """A spreadsheet date-time cell's value: Excel stores no time zone."""
    return dt.datetime(*parts)  # noqa: DTZ001


def make_xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(records: list[dict], context: ValidationContext = CONTEXT, **options):
    frame, offset = read_upload(make_csv(records, **options), "claim.csv")
    assert offset == ROW_OFFSET == 2
    return validate(frame, context)


def reported(result) -> list[dict]:
    return result.errors[["row", "column", "value", "rule"]].to_dict("records")


def rejection(data: bytes, filename: str, **limits) -> str:
    with pytest.raises(FileRejected) as caught:
        read_upload(data, filename, **limits)
    return caught.value.message


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


# --- flags ---------------------------------------------------------------------------------


def test_flags_mark_outlying_prices_and_related_parties_without_blocking():
    records = lines((0, "net_sales_value", "1250.50"), (1, "related_party", "Y"))
    result = check(records)

    assert result.ok
    assert result.flags[["row", "column", "value", "rule"]].to_dict("records") == [
        {"row": 2, "column": "net_sales_value", "value": "1250.50", "rule": "unit_value_outlier"},
        {"row": 3, "column": "related_party", "value": "Y", "rule": "related_party"},
    ]
    assert result.flags["message"].tolist()[0] == (
        "Unit value Rs 1.00 per kg (net sales value / quantity) is outside the expected band of "
        "Rs 1,000.00 to Rs 20,000.00 per kg; the verifier will review this line."
    )
    assert result.flag_summary == {"unit_value_outlier": 1, "related_party": 1}
    assert result.clean["unit_value_outlier"].tolist() == [True, False, False]
    assert result.clean["related_party"].tolist() == [False, True, False]


def test_the_band_edges_are_inside_the_band():
    # 1 kg at exactly Rs 1,000.00 and exactly Rs 20,000.00; then one paisa over the top.
    records = [
        dict(VALID_LINES[0], invoice_number="A", quantity_kg="1", net_sales_value="1000.00"),
        dict(VALID_LINES[0], invoice_number="B", quantity_kg="1", net_sales_value="20000.00"),
        dict(VALID_LINES[0], invoice_number="C", quantity_kg="1", net_sales_value="20000.01"),
        dict(VALID_LINES[0], invoice_number="D", quantity_kg="1", net_sales_value="999.99"),
    ]
    result = check(records)
    assert result.flags["row"].tolist() == [4, 5]


# --- reading: encodings, delimiters, headers -------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="utf8"),
        pytest.param({"bom": True}, id="utf8-bom"),
        pytest.param({"delimiter": ";"}, id="semicolon"),
        pytest.param({"delimiter": ";", "bom": True}, id="semicolon-bom"),
        pytest.param({"newline": "\n"}, id="lf"),
    ],
)
def test_encoding_and_delimiter_variants_read_the_same(options):
    baseline, _ = read_upload(make_csv(VALID_LINES), "claim.csv")
    frame, offset = read_upload(make_csv(VALID_LINES, **options), "claim.csv")

    pd.testing.assert_frame_equal(frame, baseline)
    assert offset == 2
    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "invoice_number"] == "INV/27-28/0001"  # no BOM left on the first cell


def test_values_are_read_as_text_untouched():
    records = lines(
        (0, "hsn_code", "085051110"),
        (0, "quantity_kg", " 1250.500 "),
        (1, "buyer_name", "NA"),
        (2, "buyer_name", "null"),
    )
    frame, _ = read_upload(make_csv(records), "claim.csv")

    assert frame.loc[0, "hsn_code"] == "085051110"
    assert frame.loc[0, "quantity_kg"] == " 1250.500 "
    assert frame.loc[1, "buyer_name"] == "NA"
    assert frame.loc[2, "buyer_name"] == "null"
    assert all(frame[name].map(type).eq(str).all() for name in frame.columns)


def test_unicode_text_survives():
    records = lines((0, "buyer_name", "भारत मोटर्स — Müller & Söhne, “Ltd”"))
    frame, _ = read_upload(make_csv(records, delimiter=";"), "claim.csv")
    assert frame.loc[0, "buyer_name"] == "भारत मोटर्स — Müller & Söhne, “Ltd”"


def test_headers_match_ignoring_case_and_spaces():
    header = [" Invoice Number", "INVOICE_DATE", "Buyer name", "buyer-gstin", *HEADER[4:]]
    data = make_csv(
        [{h: VALID_LINES[0][name] for h, name in zip(header, HEADER, strict=True)}],
        header=header,
    )
    frame, _ = read_upload(data, "claim.csv")
    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "buyer_gstin"] == BUYER_GSTIN


def test_missing_and_unknown_columns_are_named_in_one_message():
    header = [name for name in HEADER if name not in ("invoice_date", "plant")]
    header += ["Invoice Dt", "GST No"]
    message = rejection(make_csv(VALID_LINES, header=header), "claim.csv")

    assert message == (
        "The header row of 'claim.csv' does not match the sales-claim template: missing required "
        "columns: invoice_date, plant; unknown columns: 'Invoice Dt', 'GST No'. Headers are "
        "matched ignoring case, spaces and underscores; the expected columns are "
        + ", ".join(HEADER)
        + "."
    )


def test_a_column_given_twice_is_refused():
    header = [*HEADER, "Plant"]
    message = rejection(make_csv(VALID_LINES, header=header), "claim.csv")
    assert "columns given twice: plant" in message


def test_optional_columns_may_be_left_out():
    header = [name for name in HEADER if name not in ("export_country", "credit_note_ref")]
    frame, _ = read_upload(make_csv([VALID_LINES[0]], header=header), "claim.csv")

    assert list(frame.columns) == list(HEADER)
    assert frame.loc[0, "export_country"] == ""
    assert validate(frame, CONTEXT).ok


def test_blank_lines_are_skipped_but_row_numbers_stay_true():
    data = make_csv(lines((2, "plant", ""))).replace(b"\r\nCN/", b"\r\n\r\n,,,,,,,,,,,\r\n CN/", 1)
    frame, _ = read_upload(data, "claim.csv")

    assert len(frame) == 3
    result = validate(frame, CONTEXT)
    assert reported(result) == [
        {"row": 6, "column": "plant", "value": "", "rule": "required_value"}
    ]


def test_empty_trailing_column_is_ignored_but_a_nameless_one_with_values_is_not():
    data = make_csv(VALID_LINES).replace(b"\r\n", b",\r\n")
    frame, _ = read_upload(data, "claim.csv")
    assert list(frame.columns) == list(HEADER)

    data = (
        make_csv(VALID_LINES).replace(b"Pune-1\r\n", b"Pune-1,x\r\n").replace(b"plant", b"plant,")
    )
    assert "an unnamed column M holding values" in rejection(data, "claim.csv")


def test_a_tab_separated_file_is_refused_with_a_hint():
    data = make_csv(VALID_LINES, delimiter="\t")
    assert rejection(data, "claim.csv") == (
        "'claim.csv' is separated by tabs. Save the sheet as 'CSV UTF-8 (comma delimited)' and "
        "upload that."
    )


def test_a_line_with_too_many_cells_is_named():
    data = make_csv(VALID_LINES).replace(b"Sakura Magnetics KK", b"Sakura, Magnetics KK")
    message = rejection(data, "claim.csv")
    assert message.startswith("Line 3 of 'claim.csv' has 13 cells but the header has 12.")


# --- reading: what is refused ----------------------------------------------------------------


@pytest.mark.parametrize("filename", ["claim.csv", "claim.xlsx"])
def test_an_empty_file_is_refused(filename):
    assert rejection(b"", filename) == f"'{filename}' is empty (0 bytes)."


def test_a_header_without_lines_is_refused():
    assert rejection(template_csv(), "claim.csv") == (
        "'claim.csv' has a header row but no sales lines below it."
    )


def test_other_extensions_are_refused():
    message = rejection(make_csv(VALID_LINES), "claim.txt")
    assert message.startswith("'claim.txt' is not a .csv or .xlsx file")


def test_a_png_named_csv_is_refused_at_its_first_byte():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    message = rejection(png, "claim.csv")
    assert message == (
        "'claim.csv' is not CSV text: the byte at offset 0 (0x89) is not valid UTF-8. It looks "
        "like a PNG image. Save the sheet as 'CSV UTF-8 (comma delimited)' and upload that."
    )


def test_a_nul_byte_in_csv_is_named_by_offset():
    data = make_csv(VALID_LINES)
    position = data.index(b"Sakura")
    data = data[:position] + b"\x00" + data[position + 1 :]
    message = rejection(data, "claim.csv")
    assert f"the byte at offset {position} is a NUL byte (0x00)" in message


def test_latin1_csv_is_refused_at_the_first_bad_byte_counting_the_bom():
    data = make_csv(lines((1, "buyer_name", "Müller")), bom=True)
    data = data.replace("ü".encode(), b"\xfc")
    offset = data.index(b"\xfc")
    message = rejection(data, "claim.csv")
    assert f"the byte at offset {offset} (0xFC) is not valid UTF-8" in message


def test_an_xlsx_named_csv_is_refused():
    message = rejection(make_xlsx([list(HEADER)]), "claim.csv")
    assert "It looks like a zip archive, such as an .xlsx workbook." in message


def test_a_csv_named_xlsx_is_refused():
    message = rejection(make_csv(VALID_LINES), "claim.xlsx")
    assert message == (
        "'claim.xlsx' is not an Excel workbook: an .xlsx file is a zip archive, and this one "
        "does not start like one (first bytes 69 6E 76 6F). It looks like text: if it is CSV, "
        "name it .csv."
    )


def test_an_old_xls_or_encrypted_workbook_is_refused():
    message = rejection(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "claim.xlsx")
    assert "old-style Excel file (.xls) or a password-protected workbook" in message


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_is_refused():
    docx = _zip(
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.openxmlformats-'
            b'officedocument.wordprocessingml.document.main+xml"/></Types>'
        }
    )
    assert "not an Excel workbook (it may be a Word" in rejection(docx, "claim.xlsx")
    assert "no Office content types" in rejection(_zip({"a.txt": b"hello"}), "claim.xlsx")


def test_a_macro_enabled_workbook_is_refused():
    xlsm = _zip(
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-excel.sheet'
            b'.macroEnabled.main+xml"/></Types>'
        }
    )
    assert "macro-enabled workbook" in rejection(xlsm, "claim.xlsx")


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(monkeypatch):
    bomb = _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/worksheets/sheet1.xml": b"<c>" + b"0" * (40 * 1024 * 1024) + b"</c>",
        }
    )
    assert len(bomb) < 100_000

    def refuse(*args, **kwargs):
        raise AssertionError("the archive was decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)
    monkeypatch.setattr(reading, "load_workbook", refuse)
    message = rejection(bomb, "claim.xlsx")

    assert message.startswith(
        "'claim.xlsx' was refused unopened: its part 'xl/worksheets/sheet1.xml' would unpack from"
    )
    assert "at most 100 is accepted" in message


def test_a_workbook_too_big_unpacked_is_refused_before_decompression(monkeypatch):
    workbook = make_xlsx([list(HEADER), list(VALID_LINES[0].values())])
    monkeypatch.setattr(reading, "load_workbook", lambda *a, **k: pytest.fail("opened"))
    message = rejection(workbook, "claim.xlsx", max_uncompressed_bytes=1000)
    assert "would unpack to" in message and "the limit is 1,000 bytes" in message


def test_a_formula_is_refused_with_its_cell():
    rows = [list(HEADER), list(VALID_LINES[0].values()), list(VALID_LINES[1].values())]
    rows[2][7] = "=100*3"  # quantity_kg of the second line: cell H3
    message = rejection(make_xlsx(rows), "claim.xlsx")
    assert message == (
        "Sheet 'Sheet' cell H3 holds a formula (=100*3). Formulas are not accepted: paste the "
        "sheet as values only (Paste Special > Values) and upload again."
    )


def test_size_and_row_limits_are_parameters():
    data = make_csv(VALID_LINES)
    assert rejection(data, "claim.csv", max_bytes=100) == (
        f"'claim.csv' is {len(data):,} bytes; the limit for one upload is 100 bytes."
    )
    assert rejection(data, "claim.csv", max_rows=2) == (
        "'claim.csv' has 3 sales lines; at most 2 may be uploaded at once."
    )
    workbook = make_xlsx([list(HEADER)] + [list(line.values()) for line in VALID_LINES])
    assert "more than 2 sales lines" in rejection(workbook, "claim.xlsx", max_rows=2)


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_typed_cells_read_as_the_text_the_firm_sees():
    line = dict(VALID_LINES[0])
    row = [line[name] for name in HEADER]
    row[HEADER.index("invoice_date")] = excel_datetime(2027, 4, 5)
    row[HEADER.index("hsn_code")] = 85051110
    row[HEADER.index("quantity_kg")] = 0.1
    row[HEADER.index("net_sales_value")] = 12345678.9
    row[HEADER.index("related_party")] = False
    frame, offset = read_upload(make_xlsx([list(HEADER), row]), "claim.xlsx")

    assert offset == 2
    assert frame.loc[0, "invoice_date"] == "2027-04-05"
    assert frame.loc[0, "hsn_code"] == "85051110"
    assert frame.loc[0, "quantity_kg"] == "0.1"
    assert frame.loc[0, "net_sales_value"] == "12345678.9"
    assert frame.loc[0, "related_party"] == "FALSE"
    result = validate(frame, CONTEXT)
    assert result.ok, reported(result)
    assert result.clean["quantity_g"].tolist() == [100]
    assert result.clean["net_sales_value_paise"].tolist() == [1_234_567_890]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0.1, "0.1"),
        (1e16, "10000000000000000"),
        (1.5e-05, "0.000015"),
        (85051110, "85051110"),
        (True, "TRUE"),
        (excel_datetime(2027, 4, 5), "2027-04-05"),
        (excel_datetime(2027, 4, 5, 10, 30), "2027-04-05 10:30:00"),
        (dt.time(10, 30), "10:30:00"),
    ],
)
def test_xlsx_cell_values_become_text_without_rounding(value, text):
    assert reading._cell_text(value) == text


def test_xlsx_blank_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    rows = [list(HEADER), list(VALID_LINES[0].values()), [None] * 12, list(VALID_LINES[1].values())]
    rows[3][HEADER.index("plant")] = None
    frame, _ = read_upload(make_xlsx(rows), "claim.xlsx")

    assert frame.index.tolist() == [0, 2]
    result = validate(frame, CONTEXT)
    assert reported(result) == [
        {"row": 4, "column": "plant", "value": "", "rule": "required_value"}
    ]


def test_a_filled_in_xlsx_template_validates():
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    sheet = workbook["Sales lines"]
    for line in VALID_LINES:
        sheet.append([line[name] for name in HEADER])
    buffer = io.BytesIO()
    workbook.save(buffer)

    frame, _ = read_upload(buffer.getvalue(), "claim.xlsx")
    assert validate(frame, CONTEXT).ok


# --- templates and the dictionary -----------------------------------------------------------


def test_the_dictionary_describes_every_column_once():
    assert [column.name for column in COLUMNS] == [
        "invoice_number",
        "invoice_date",
        "buyer_name",
        "buyer_gstin",
        "export_country",
        "hsn_code",
        "magnet_grade",
        "quantity_kg",
        "net_sales_value",
        "credit_note_ref",
        "related_party",
        "plant",
    ]
    for column in COLUMNS:
        assert column.label and column.type and column.format and column.description
        assert column.example, column.name
    assert len({header_key(column.name) for column in COLUMNS}) == len(COLUMNS)
    assert not RELATED_PARTY_YES & RELATED_PARTY_NO


def test_the_templates_carry_the_header():
    assert template_csv() == ("\ufeff" + ",".join(HEADER) + "\r\n").encode()
    workbook = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    assert workbook.sheetnames == ["Sales lines", "Column dictionary"]
    assert [cell.value for cell in workbook["Sales lines"][1]] == list(HEADER)
    dictionary = list(workbook["Column dictionary"].values)
    assert [row[0] for row in dictionary[1:]] == list(HEADER)


# --- the error report ----------------------------------------------------------------------


def test_error_reports_neutralise_formula_like_text():
    records = lines(
        (0, "net_sales_value", '=HYPERLINK("http://x")'),
        (1, "quantity_kg", "-300"),
        (1, "buyer_name", "ok"),
        (2, "magnet_grade", ""),
        (2, "related_party", "@maybe"),
    )
    result = check(records)
    values = result.errors["value"].tolist()
    assert '=HYPERLINK("http://x")' in values and "-300" in values and "@maybe" in values

    text = result.errors_csv().decode("utf-8-sig")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert {row["value"] for row in parsed} >= {'\'=HYPERLINK("http://x")', "'-300", "'@maybe"}
    assert all(row["row"].isdigit() for row in parsed)

    workbook = openpyxl.load_workbook(io.BytesIO(result.errors_xlsx()))
    cells = [cell for row in workbook["Errors"].iter_rows(min_row=2) for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert '\'=HYPERLINK("http://x")' in [cell.value for cell in cells]
    summary = {
        row[0]: row[1] for row in workbook["Summary"].values if row and row[0] in ERROR_RULES
    }
    assert summary == result.summary_by_rule


def test_control_characters_do_not_break_the_xlsx_report():
    result = check(lines((0, "related_party", "\x01maybe")))
    workbook = openpyxl.load_workbook(io.BytesIO(result.errors_xlsx()))
    values = [row[2] for row in workbook["Errors"].values][1:]
    assert values == ["\\x01maybe"]


def test_long_cell_text_is_shortened_in_messages_but_reported_whole():
    long_value = "9" * 200
    result = check(lines((0, "related_party", long_value)))
    assert result.errors["value"].tolist() == [long_value]
    assert result.errors["message"].tolist() == [
        "Related party '" + "9" * 57 + "...' must be Y or N (yes/no, true/false and 1/0 are "
        "accepted too)."
    ]


def test_tab_and_carriage_return_prefixes_are_neutralised():
    # Surrounding tabs and line breaks are spaces around a valid answer: they pass.
    assert check(lines((0, "related_party", "\tY"), (1, "related_party", "\rN"))).ok
    result = check(lines((0, "related_party", "\tmaybe"), (1, "related_party", "\rnope")))
    text = result.errors_csv().decode("utf-8-sig")
    values = [row["value"] for row in csv.DictReader(io.StringIO(text))]
    assert values == ["'\tmaybe", "'\rnope"]


# --- exact arithmetic and totals -------------------------------------------------------------


def test_decimal_text_is_summed_exactly_to_the_gram_and_paisa():
    records = [
        dict(VALID_LINES[0], invoice_number="A", quantity_kg="0.1", net_sales_value="0.10"),
        dict(VALID_LINES[0], invoice_number="B", quantity_kg="0.2", net_sales_value="0.20"),
    ]
    result = check(records)
    assert result.clean["quantity_g"].sum() == 300
    assert result.clean["net_sales_value_paise"].sum() == 30
    summed = totals(result.clean)
    assert summed["net_kg"] == Decimal("0.300") and str(summed["net_kg"]) == "0.300"
    assert summed["net_value"] == Decimal("0.30")


def test_largest_accepted_line_is_exact():
    records = lines(
        (0, "quantity_kg", "999999999.999"),
        (0, "net_sales_value", "9999999999.99"),
    )
    result = check(records)
    assert result.ok
    assert result.clean["quantity_g"].tolist()[0] == 999_999_999_999
    assert result.clean["net_sales_value_paise"].tolist()[0] == 999_999_999_999


def test_totals_net_credit_notes_and_break_down():
    extra = [
        dict(
            VALID_LINES[0],
            invoice_number="INV/27-28/0003",
            invoice_date="2027-05-01",
            buyer_gstin=OTHER_BUYER_GSTIN,
            buyer_name="Chennai Rotors",
            magnet_grade="n42sh",
            quantity_kg="100",
            net_sales_value="500000",
            related_party="Y",
        )
    ]
    result = check(lines(extra=extra))
    assert result.ok
    summed = totals(result.clean)

    assert summed["net_kg"] == Decimal("1600.000")  # 1250.5 + 300 - 50.5 + 100
    assert summed["net_value"] == Decimal("8150000.00")
    assert summed["by_month"] == {
        "2027-04": {"kg": Decimal("1250.500"), "value": Decimal("6252500.00")},
        "2027-05": {"kg": Decimal("400.000"), "value": Decimal("2150000.00")},
        "2027-06": {"kg": Decimal("-50.500"), "value": Decimal("-252500.00")},
    }
    assert summed["by_grade"] == {
        "N42SH": {"kg": Decimal("400.000"), "value": Decimal("2150000.00")},
        "N52": {"kg": Decimal("1200.000"), "value": Decimal("6000000.00")},
    }
    assert summed["by_buyer"] == {
        BUYER_GSTIN: {"kg": Decimal("1200.000"), "value": Decimal("6000000.00")},
        OTHER_BUYER_GSTIN: {"kg": Decimal("100.000"), "value": Decimal("500000.00")},
        "Sakura Magnetics KK (JP)": {"kg": Decimal("300.000"), "value": Decimal("1650000.00")},
    }
    assert summed["domestic"] == {"kg": Decimal("1300.000"), "value": Decimal("6500000.00")}
    assert summed["export"] == {"kg": Decimal("300.000"), "value": Decimal("1650000.00")}
    assert summed["related_party"] == {
        "kg": Decimal("100.000"),
        "value": Decimal("500000.00"),
        "kg_share": Decimal("0.0625"),
        "value_share": Decimal("0.0613"),  # 500000 / 8150000 = 0.061349...
    }


def test_short_dates_alone_in_a_file_parse():
    records = [dict(VALID_LINES[0], invoice_date="5/4/2027")]
    result = check(records)
    assert result.ok
    assert result.clean["invoice_date"].dt.date.tolist() == [dt.date(2027, 4, 5)]


def test_totals_of_no_lines_are_zero():
    result = validate(pd.DataFrame({name: pd.Series([], dtype=object) for name in HEADER}), CONTEXT)
    assert result.ok and result.clean is not None
    summed = totals(result.clean)
    assert summed["net_kg"] == 0 and summed["by_month"] == {}
    assert summed["related_party"]["kg_share"] == Decimal("0.0000")


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


# --- property: random valid files pass, and their numbers round-trip exactly ----------------

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@st.composite
def gstins(draw) -> str:
    state = draw(st.sampled_from([f"{n:02d}" for n in range(1, 39)] + ["97", "99"]))
    pan = (
        "".join(draw(st.lists(st.sampled_from(LETTERS), min_size=3, max_size=3)))
        + draw(st.sampled_from("CPHFATBLJG"))
        + draw(st.sampled_from(LETTERS))
        + f"{draw(st.integers(0, 9999)):04d}"
        + draw(st.sampled_from(LETTERS))
    )
    entity = draw(st.sampled_from("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    head = state + pan + entity + "Z"
    return head + gstin_check_character(head)


def decimal_text(units: int, places: int, style: int) -> str:
    """Write a count of 10**-places units as decimal text in one of several valid styles."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**places)
    digits = f"{fraction:0{places}d}"
    if style == 0:
        return f"{sign}{whole}.{digits}"
    if style == 1:
        trimmed = digits.rstrip("0")
        return f"{sign}{whole}" + (f".{trimmed}" if trimmed else "")
    return f"{sign}{whole}.{digits}00"  # zeros past the last place are harmless


DATE_WRITERS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{d.day}-{d.month:02d}-{d.year}",
]


@st.composite
def claim_lines(draw):
    count = draw(st.integers(1, 40))
    days = (CONTEXT.period_end - CONTEXT.period_start).days
    records, grams, paise, dates = [], [], [], []
    for index in range(count):
        invoices = [r["invoice_number"] for r in records if not r["credit_note_ref"]]
        is_credit = bool(invoices) and draw(st.booleans())
        quantity = draw(st.integers(1, 999_999_999_999))
        value = draw(st.integers(1, 999_999_999_999))
        if is_credit:
            quantity, value = -quantity, -value
        export = draw(st.integers(0, 4)) == 0
        day = CONTEXT.period_start + dt.timedelta(days=draw(st.integers(0, days)))
        records.append(
            {
                "invoice_number": f"{'CN' if is_credit else 'INV'}/{index:05d}",
                "invoice_date": draw(st.sampled_from(DATE_WRITERS))(day),
                "buyer_name": draw(st.text(min_size=1, max_size=20).filter(str.strip)),
                "buyer_gstin": "" if export else draw(gstins()),
                "export_country": draw(st.sampled_from(["JP", "de", "US", " KR "]))
                if export
                else "",
                "hsn_code": draw(st.sampled_from(["85051110", "85051190", "850511", "8505.11.90"])),
                "magnet_grade": draw(st.sampled_from(["N52", "N42SH", "n38uh", "N48H"])),
                "quantity_kg": decimal_text(quantity, 3, draw(st.integers(0, 2))),
                "net_sales_value": decimal_text(value, 2, draw(st.integers(0, 2))),
                "credit_note_ref": draw(st.sampled_from(invoices)) if is_credit else "",
                "related_party": draw(
                    st.sampled_from(sorted(RELATED_PARTY_YES | RELATED_PARTY_NO | {"Y", "No"}))
                ),
                "plant": draw(st.sampled_from(["Pune-1", "Vizag"])),
            }
        )
        grams.append(quantity)
        paise.append(value)
        dates.append(day)
    return records, grams, paise, dates


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claim_lines())
def test_random_valid_frames_pass_and_round_trip_exactly(generated):
    records, grams, paise, dates = generated
    frame = pd.DataFrame(records, columns=list(HEADER), dtype=object)

    result = validate(frame, CONTEXT)

    assert result.errors.empty, result.errors.to_dict("records")
    assert result.clean["quantity_g"].tolist() == grams
    assert result.clean["net_sales_value_paise"].tolist() == paise
    assert result.clean["invoice_date"].dt.date.tolist() == dates
    summed = totals(result.clean)
    assert summed["net_kg"] == Decimal(sum(grams)).scaleb(-3)
    assert summed["net_value"] == Decimal(sum(paise)).scaleb(-2)
    assert sum(pair["kg"] for pair in summed["by_month"].values()) == summed["net_kg"]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=25))
def test_any_text_either_parses_exactly_or_is_reported(text):
    """No cell text makes a quantity silently wrong: it is exact or it is an error."""
    record = dict(VALID_LINES[0], quantity_kg=text)
    result = validate(pd.DataFrame([record], columns=list(HEADER), dtype=object), CONTEXT)
    stripped = text.strip()
    plain = re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", stripped)
    if result.clean is not None:
        exact = Decimal(stripped) * 1000
        assert plain and exact == int(exact) and 0 < exact < 10**12
        assert result.clean["quantity_g"].tolist() == [int(exact)]
    else:
        assert set(result.errors["rule"]) <= {"required_value", "quantity_format", "sign"}
        assert result.error_count == 1


def test_flags_and_rules_have_distinct_codes():
    assert not set(ERROR_RULES) & set(FLAG_RULES)
