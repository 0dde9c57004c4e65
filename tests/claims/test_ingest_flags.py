"""Sales-claim flags: outlying unit values and related parties are marked, never blocking."""

from __future__ import annotations

from incentives.ingest.validate import ERROR_RULES, FLAG_RULES
from tests.claims.ingest_lines import VALID_LINES, check, lines


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


def test_flags_and_rules_have_distinct_codes():
    assert not set(ERROR_RULES) & set(FLAG_RULES)
