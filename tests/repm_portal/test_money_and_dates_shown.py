"""Rupees the Indian way where the audit trail and the amendment form showed them raw, and the one
date format of the documents (repm_portal/templatetags/repm_dates.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from incentives.models import LedgerEntry
from repm_portal.forms import RuleSetAmendmentForm, SlabForm
from repm_portal.models import RuleSet
from repm_portal.roles import Role
from repm_portal.templatetags.repm_dates import format_date, format_datetime
from tests.factories import UserFactory


def test_a_ledger_entry_names_its_amount_in_rupees_as_the_audit_trail_shows_it():
    entry = LedgerEntry(kind="payment", amount=Decimal("750000000.00"), source_key="utr:ABC1")
    assert str(entry) == "Payment Rs 75,00,00,000.00 (utr:ABC1)"


@pytest.mark.django_db
def test_the_amendment_form_shows_rupees_grouped_and_takes_them_back(rules, client):
    client.force_login(UserFactory(role=Role.OFFICIAL))
    html = client.get(reverse("rule_set_amend")).content.decode()
    grouped = "72,80,00,00,000.00"
    assert RuleSet.objects.get(pk=rules.pk).total_outlay == Decimal("72800000000.00")
    assert f'value="{grouped}"' in html
    assert 'value="72800000000.00"' not in html
    form = RuleSetAmendmentForm()
    assert form.fields["total_outlay"].clean(f"Rs {grouped}") == Decimal("72800000000.00")
    assert form.fields["total_outlay"].clean("72800000000") == Decimal("72800000000")
    assert SlabForm().fields["min_net_worth"].clean("1,00,00,000.00") == Decimal("10000000.00")


def test_a_bad_amount_is_refused_with_a_clear_error():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Enter a number"):
        RuleSetAmendmentForm().fields["total_outlay"].clean("seventy crore")


IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (dt.date(2028, 7, 18), "en", "18 Jul 2028"),
        (dt.date(2028, 7, 18), "hi", "18 जुलाई 2028"),
        ("2026-07-28", "en", "28 Jul 2026"),  # as stored letter contents hold dates
        (dt.date(2029, 2, 3), "hi", "3 फ़रवरी 2029"),
        (dt.datetime(2028, 7, 18, 20, 0, tzinfo=dt.UTC), "en", "19 Jul 2028"),  # India time
        (None, "en", ""),
        ("not a date", "en", "not a date"),
    ],
)
def test_one_date_format(value, lang, shown):
    assert format_date(value, lang) == shown


def test_a_moment_is_written_in_india_time():
    moment = dt.datetime(2026, 6, 2, 10, 34, 5, tzinfo=dt.UTC)
    assert format_datetime(moment) == "2 Jun 2026, 16:04 IST"
    assert format_datetime(moment, seconds=True) == "2 Jun 2026, 16:04:05 IST"
    assert format_datetime(moment.astimezone(IST), "hi") == "2 जून 2026, 16:04 IST"
