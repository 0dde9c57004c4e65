"""Template filters show money the Indian way and never break a page."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation


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


@pytest.mark.parametrize("language", ["en", "hi"])
@pytest.mark.parametrize("fmt", ["j M Y", "j M", "Y-m-d"])
@pytest.mark.parametrize(
    "value",
    [
        dt.date(2028, 7, 18),
        dt.date(812, 1, 2),
        dt.datetime(2028, 12, 31, 20, 30, tzinfo=dt.UTC),  # 1 Jan 2029 in India
        dt.datetime(2028, 5, 4, 21, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        None,
        "",
        "not a date",
    ],
)
def test_short_date_writes_what_the_date_filter_writes(language, fmt, value):
    """The list pages' `short_date` is Django's `date` filter made cheap, not a new format."""
    context = Context({"v": value, "f": fmt})
    with translation.override(language):
        ours = Template("{% load repm_dates %}{{ v|short_date:f }}").render(context)
        django = Template("{{ v|date:f }}").render(context)
    assert ours == django
