"""Template filters show money the Indian way and never break a page."""

from decimal import Decimal

import pytest
from django.template import Context, Template


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        ("{{ v|inr }}", Decimal("12345678"), "Rs 1,23,45,678.00"),
        ("{{ v|crore }}", Decimal("6450000000"), "Rs 645.00 crore"),
        ("{{ v|lakh }}", Decimal("1250000"), "Rs 12.50 lakh"),
        ("{{ v|indian_number }}", 6000, "6,000"),
        ("{{ v|indian_number:2 }}", Decimal("2150"), "2,150.00"),
        ("{{ v|amount_in_words }}", Decimal("750000000"), "Rupees Seventy-Five Crore Only"),
        ("{{ v|inr }}", None, "—"),
        ("{{ v|inr }}", "not money", "not money"),
    ],
)
def test_filters(template, value, expected):
    assert Template(template).render(Context({"v": value})) == expected


def test_as_json_renders_audit_values_as_json():
    rendered = Template("{{ v|as_json }}").render(Context({"v": {"b": True, "a": None}}))
    assert rendered == "{\n &quot;a&quot;: null,\n &quot;b&quot;: true\n}"
    assert Template("{{ v|as_json }}").render(Context({"v": None})) == "—"
