"""The forecast's input from a quarter sanctioned through the real pipeline: its held-back share."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from incentives.forecast import selectors
from incentives.forecast.engine import Scenario, forecast
from repm_portal.roles import Role
from tests.claims.sales import IST, sales_award
from tests.sli.money import Q1, RELEASE, after, quarter_claim, sanction

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 11, 1, 11, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)


def test_a_sanctioned_quarter_is_not_projected_again_and_its_held_back_share_is_due(
    rules, users, media_root, private_cache
):
    # given Q1 FY 2027-28 (10 May - 30 Jun 2027) sanctioned: 85 % of Rs 10,05,000 released
    award = sales_award()
    sanction(quarter_claim(award, Q1), users[Role.APPROVER], now=after(Q1[1], 20))
    # when the forecast reads the database
    source = selectors.forecast_input(users[Role.OFFICIAL], scenario=Scenario(), today=NOW.date())
    (read,) = source.data.awards
    # then the quarter is in the ledger, projections start on 1 Jul 2027, and the 15 % held
    # back (8,54,250.00 x 15 / 85 = 1,50,750.00) falls due when FY 2027-28's last claim window
    # closes: 31 Mar 2028 + 90 days = 29 Jun 2028
    assert read.sli_sanctioned == RELEASE
    assert read.sli_from == dt.date(2027, 7, 1)
    assert read.true_up_due == ((dt.date(2028, 6, 29), Decimal("150750.00")),)
    result = forecast(source.data)
    assert result.periods[0].starts_on == dt.date(2027, 7, 1)
    assert result.true_up_due == Decimal("150750.00")
