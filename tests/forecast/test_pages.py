"""The forecast read from the database: actuals equal the ledger, the page and CSV per role."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from incentives import ledger, sanctions
from incentives.forecast import selectors
from incentives.forecast.engine import Scenario, forecast
from incentives.models import EntryKind, Pool
from repm_portal.fiscal import FinancialYear
from repm_portal.roles import READ_ALL_ROLES, Role
from tests.factories import IST, AwardFactory
from tests.recovery.payouts import Payouts

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2029, 7, 20, 11, 0, tzinfo=IST)
FY28 = FinancialYear(2028)
FY29 = FinancialYear(2029)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)


def _post(award, rules, kind, pool, amount, key, at):
    return ledger.post(
        kind=kind,
        pool=pool,
        award=award,
        amount=Decimal(amount),
        source_key=f"test:{key}",
        rule_set=rules,
        document_ref=f"TEST/{key}",
        narration="test entry",
        now=at,
    )


@pytest.fixture
def payouts(rules):
    """Claim kinds of the test's own whose figure is the amount (as the recovery tests use)."""
    kinds = Payouts()
    for pool in Pool.values:
        sanctions.register(kinds.kind(pool))
    yield kinds
    for pool in Pool.values:
        sanctions._KINDS.pop(kinds.kind(pool).code, None)


@pytest.fixture
def booked(rules, users, payouts, media_root):
    """An award commissioned 15 Apr 2028 with entries either side of the FY 2028-29 / 2029-30 line."""
    award = AwardFactory(commissioned=True)
    # Rs 70 crore of capital subsidy sanctioned and paid on 30 May 2028 (FY 2028-29)
    payouts.pay(
        users,
        award,
        Pool.CAPITAL_SUBSIDY,
        "700000000.00",
        on=dt.date(2028, 5, 30),
        utr="SBIN28CS000001",
    )
    # Rs 1.2 crore of SLI sanctioned and paid on 1 Apr 2029 (FY 2029-30)
    payouts.pay(users, award, Pool.SLI, "12000000.00", on=dt.date(2029, 4, 1), utr="SBIN29SL000001")
    with transaction.atomic():
        # 31 Mar 2029, 23:30 IST is 18:00 UTC the same day: FY 2028-29.
        late = _post(
            award,
            rules,
            EntryKind.SANCTION,
            Pool.SLI,
            "12345678.91",
            "q4",
            dt.datetime(2029, 3, 31, 23, 30, tzinfo=IST),
        )
        # 1 Apr 2029, 00:30 IST is still 31 Mar in UTC: FY 2029-30 all the same.
        _post(
            award,
            rules,
            EntryKind.SANCTION,
            Pool.SLI,
            "1000000.00",
            "q4b",
            dt.datetime(2029, 4, 1, 0, 30, tzinfo=IST),
        )
        _post(
            award,
            rules,
            EntryKind.SANCTION,
            Pool.SLI,
            "20000000.05",
            "q1",
            dt.datetime(2029, 7, 10, 11, 0, tzinfo=IST),
        )
        # a correction in FY 2029-30 of the FY 2028-29 entry counts in the year it was posted
        ledger.reverse(
            late,
            source_key="test:q4-rev",
            reason="The slab was applied wrongly.",
            now=dt.datetime(2029, 7, 12, 11, 0, tzinfo=IST),
        )
        _post(
            award,
            rules,
            EntryKind.SANCTION,
            Pool.SLI,
            "12300000.00",
            "q4-again",
            dt.datetime(2029, 7, 12, 11, 5, tzinfo=IST),
        )
    return award


def test_actuals_equal_the_ledger_year_by_year(booked, users):
    source = selectors.forecast_input(users[Role.OFFICIAL], scenario=Scenario(), today=NOW.date())
    actuals = {a.financial_year: a for a in source.data.actuals}
    assert actuals[FY28].sli_sanctioned == Decimal("12345678.91")
    assert actuals[FY28].sli_paid == Decimal("0.00")
    assert actuals[FY28].capital_sanctioned == Decimal("700000000.00")
    assert actuals[FY28].capital_paid == Decimal("700000000.00")
    # 10,00,000.00 + 1,20,00,000.00 + 2,00,00,000.05 - 1,23,45,678.91 (reversed) + 1,23,00,000.00
    assert actuals[FY29].sli_sanctioned == Decimal("32954321.14")
    assert actuals[FY29].sli_paid == Decimal("12000000.00")
    # and in all they are the ledger's balances, pool by pool
    for pool, prefix in ((Pool.SLI, "sli"), (Pool.CAPITAL_SUBSIDY, "capital")):
        balances = ledger.balances(pool=pool)
        assert (
            sum(getattr(a, f"{prefix}_sanctioned") for a in actuals.values()) == balances.sanctioned
        )
        assert sum(getattr(a, f"{prefix}_paid") for a in actuals.values()) == balances.paid
    # the forecast's rows carry them unchanged, and its cumulative starts from them
    rows = {row.financial_year: row for row in forecast(source.data).rows}
    assert rows[FY28].sli_sanctioned == Decimal("12345678.91") and not rows[FY28].current
    assert rows[FY29].sli_sanctioned == Decimal("32954321.14") and rows[FY29].current
    assert rows[FY29].sli_cumulative == Decimal("45300000.05") + rows[FY29].sli_projected


def test_the_input_reads_the_award_its_plant_and_the_ledger(booked, users, rules):
    source = selectors.forecast_input(users[Role.AUDITOR], scenario=Scenario(), today=NOW.date())
    (award,) = source.data.awards
    assert award.award_id == booked.pk
    assert award.capacity_mtpa == 1200 and award.rate == Decimal("2150.00")
    assert award.commissioned and award.commissioning_on == dt.date(2028, 4, 15)
    assert award.sli_sanctioned == Decimal("45300000.05")
    # no capital claim of its own, but Rs 70 crore sanctioned: its slab cap (Rs 150 crore) less that
    assert award.capital_unclaimed == Decimal("800000000.00")
    assert source.data.sli_pool == rules.sli_pool
    assert source.data.capital_pool == rules.capital_subsidy_pool


def test_a_firm_may_not_read_the_forecast(booked, users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        selectors.forecast_input(users[Role.FIRM_USER], scenario=Scenario(), today=NOW.date())


@pytest.mark.parametrize("role", sorted(READ_ALL_ROLES))
def test_every_staff_role_opens_the_page_and_the_csv(client, users, booked, role):
    client.force_login(users[role])
    assert client.get(reverse("forecast")).status_code == 200
    assert client.get(reverse("forecast_csv")).status_code == 200


def test_a_firm_gets_403_and_a_visitor_is_sent_to_log_in(client, users, booked):
    client.force_login(booked.bid.firm.users.first())
    assert client.get(reverse("forecast")).status_code == 403
    assert client.get(reverse("forecast_csv")).status_code == 403
    client.logout()
    response = client.get(reverse("forecast"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def _table(html: str) -> dict[str, dict[str, str]]:
    found = {}
    for year, body in re.findall(r'<tr data-year="([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        found[year] = dict(re.findall(r'data-figure="(\w+)" data-value="([-0-9.]+)"', body))
    return found


def test_the_page_shows_the_table_its_chart_data_and_the_risk(client, users, booked):
    client.force_login(users[Role.OFFICIAL])
    response = client.get(
        reverse("forecast"),
        {"ramp_quarters": 4, "utilisation_pct": 80, "price_per_kg": 7000, "payment_lag_months": 2},
    )
    html = response.content.decode()
    table = _table(html)
    # the award's SLI term ends 60 months after gestation (15 Apr 2033): FY 2028-29 to FY 2033-34
    assert list(table) == [f"FY {y}-{(y + 1) % 100:02d}" for y in range(2028, 2034)]
    assert table["FY 2028-29"]["sli_sanctioned"] == "12345678.91"
    assert table["FY 2029-30"]["sli_paid"] == "12000000.00"
    assert "Rs 1,23,45,678.91" in html  # the Indian way
    chart = json.loads(
        re.search(
            r'<script id="forecast-chart-data" type="application/json">(.*?)</script>', html, re.S
        )[1]
    )
    assert chart["labels"] == list(table)
    assert chart["sli_cumulative"] == [row["sli_cumulative"] for row in table.values()]
    # one award at 80 % of 1,200 MTPA cannot use up Rs 6,450 crore
    assert 'data-pool="sli" data-exhausted="no"' in html
    assert "would not run out" in html
    assert "<script>" not in html  # no inline script


def _amended(rules, **changes):
    """A later rule-set version in force from 1 Jan 2029 (rule sets are append-only: a new row)."""
    slabs = list(rules.slabs.all())
    amended = copy.copy(rules)
    amended.pk = None
    amended._state.adding = True
    amended.version = rules.version + 1
    amended.effective_from = dt.date(2029, 1, 1)
    amended.notification = "TEST amendment"
    for field, value in changes.items():
        setattr(amended, field, value)
    amended.save()
    for slab in slabs:
        slab.pk = None
        slab._state.adding = True
        slab.rule_set = amended
        slab.save()
    return amended


def test_a_scenario_that_exhausts_the_pool_says_so_and_in_which_year(client, users, booked, rules):
    _amended(rules, sli_pool=Decimal("1000000000.00"))  # Rs 100 crore
    client.force_login(users[Role.OFFICIAL])
    html = client.get(reverse("forecast")).content.decode()
    # 1,200 MTPA x 80 % x Rs 2,150/kg is about Rs 206 crore a year at full ramp: the first
    # projected year, FY 2029-30, takes the cumulative past Rs 100 crore
    assert 'data-pool="sli" data-exhausted="yes"' in html
    assert "would run out in FY 2029-30" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("utilisation_pct", "150", "Must be a percentage above 0 and at most 100, not 150."),
        ("ramp_quarters", "40", "Must be from 0 to 20, not 40."),
        ("payment_lag_months", "-1", "Must be from 0 to 24, not -1."),
        ("price_per_kg", "0", "Must be above Rs 0/kg, not 0."),
        ("price_per_kg", "abc", "Enter a number."),
    ],
)
def test_a_bad_scenario_gives_its_error_and_no_forecast(
    client, users, booked, field, value, message
):
    client.force_login(users[Role.OFFICIAL])
    query = {
        "ramp_quarters": 4,
        "utilisation_pct": 80,
        "price_per_kg": 7000,
        "payment_lag_months": 2,
    }
    response = client.get(reverse("forecast"), {**query, field: value})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "forecast-table" not in html
    csv_response = client.get(reverse("forecast_csv"), {**query, field: value})
    assert csv_response.status_code == 400 and message in csv_response.content.decode()


def test_the_csv_holds_the_table_and_says_how_it_was_made(client, users, booked):
    client.force_login(users[Role.AUDITOR])
    page = _table(client.get(reverse("forecast")).content.decode())
    response = client.get(reverse("forecast_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    header, body = lines[0], [line for line in lines[1:] if line and line[0].startswith("FY ")]
    assert header[0] == "Financial year"
    assert [line[0] for line in body] == list(page)
    sanctioned = header.index("SLI sanctioned (ledger)")
    cumulative = header.index("SLI cumulative")
    for line in body:
        assert line[sanctioned] == page[line[0]]["sli_sanctioned"]
        assert line[cumulative] == page[line[0]]["sli_cumulative"]
    assert body[0][1] == "actual" and body[1][1] == "actual to date and projected"
    assert "by the_auditor" in lines[-1][0] and "utilisation 80 %" in lines[-1][2]
