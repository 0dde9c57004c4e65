"""The sales-claim error report: neutralised against formulas, long text shortened in messages."""

from __future__ import annotations

import csv
import io

import openpyxl

from incentives.ingest.validate import ERROR_RULES
from tests.claims.ingest_lines import check, lines


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
