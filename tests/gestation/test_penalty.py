"""The delay penalty accrues live from the day after gestation ends, across months and leap days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from incentives.gestation import selectors
from repm_portal.roles import Role
from tests.factories import PASSWORD
from tests.gestation.milestones import IST

# The plant fixture's gestation ends on 15 Feb 2028; the PBG basis is Rs 40 crore (0.1 %: Rs 4 lakh a day).


@pytest.mark.parametrize(
    ("moment", "days", "amount", "shown"),
    [
        (dt.datetime(2028, 2, 15, 23, 59, tzinfo=IST), 0, "0.00", None),
        (dt.datetime(2028, 2, 16, 0, 1, tzinfo=IST), 1, "400000.00", "Rs 4,00,000.00"),
        (dt.datetime(2028, 2, 29, 12, 0, tzinfo=IST), 14, "5600000.00", "Rs 56,00,000.00"),
        (dt.datetime(2028, 3, 1, 9, 0, tzinfo=IST), 15, "6000000.00", "Rs 60,00,000.00"),
        (dt.datetime(2029, 3, 1, 9, 0, tzinfo=IST), 380, "152000000.00", "Rs 15,20,00,000.00"),
    ],
    ids=["last-day-of-gestation", "first-day-late", "leap-day", "across-the-month", "a-year-on"],
)
def test_the_live_penalty_on_the_plant_page(client, plant, people, moment, days, amount, shown):
    # The clock is read in Indian Standard Time: 00:01 IST on 16 Feb is 15 Feb in UTC
    with time_machine.travel(moment, tick=False):
        client.login(username=people[Role.OFFICIAL].username, password=PASSWORD)
        penalty = selectors.delay_penalty(plant)
        response = client.get(reverse("plant_penalty", args=[plant.pk]))
    assert (penalty.days, penalty.amount) == (days, Decimal(amount))
    body = response.content.decode()
    assert response.status_code == 200
    if shown:
        assert shown in body
        assert f"{days} days of delay" in body
        assert 'hx-trigger="every 60s"' in body  # it keeps accruing on screen
    else:
        assert "Nothing accrues: gestation runs until 15 Feb 2028" in body


def test_the_penalty_is_a_share_of_the_active_guarantee_once_one_is_held(plant, guarantee):
    from bidding import services as bidding_services

    bidding_services.record_pbg(
        actor=guarantee.recorded_by, award=plant.award, amount=Decimal("450000000.00"),
        bank_name="Canara Bank", guarantee_number="CNRB/PBG/2", issued_on=dt.date(2026, 4, 1),
        valid_until=plant.award.pbg_valid_until_required, now=dt.datetime(2026, 4, 2, tzinfo=IST),
    )  # fmt: skip
    plant.award.refresh_from_db()
    with time_machine.travel(dt.datetime(2028, 2, 20, 12, tzinfo=IST), tick=False):
        penalty = selectors.delay_penalty(plant)
    assert (penalty.pbg_amount, penalty.amount) == (Decimal("450000000.00"), Decimal("2250000.00"))
    assert "CNRB/PBG/2" in selectors.pbg_basis(plant.award).source


def test_once_commissioned_the_penalty_stops_at_the_commissioning_date(plant):
    plant.commissioned_on, plant.commissioned_mtpa = dt.date(2028, 3, 1), 800
    with time_machine.travel(dt.datetime(2029, 11, 20, 10, tzinfo=IST), tick=False):
        penalty = selectors.delay_penalty(plant)
    assert (penalty.days, penalty.amount) == (15, Decimal("6000000.00"))
