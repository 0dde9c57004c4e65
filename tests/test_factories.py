"""The factories build rows as the tender flow leaves them, so tests after bidding start from the real shape."""

from __future__ import annotations

import datetime as dt

import pytest

from bidding.models import BidParticipant
from tests.factories import AWARDED_AT, AwardFactory, PlantFactory

pytestmark = pytest.mark.django_db


def test_an_award_comes_with_its_tender_bid_sole_participant_firm_people_and_rule_set(rules):
    award = AwardFactory()

    firm = award.bid.firm
    assert award.tender == award.bid.tender and award.rule_set == award.tender.rule_set == rules
    assert award.awarded_at == award.tender.awarded_at == AWARDED_AT
    assert award.rank == 1 and award.awarded_by == award.tender.created_by
    participant = award.bid.participants.get()
    assert (participant.firm, participant.role) == (firm, BidParticipant.Role.SOLE)
    assert firm.users.count() == 1 and firm.bank_accounts.count() == 1
    assert award.pbg_valid_until_required == dt.date(2034, 4, 13)


def test_a_second_award_on_a_tender_takes_the_next_rank_and_a_firm_keeps_its_people(rules):
    first = AwardFactory()
    second = AwardFactory(tender=first.tender, allocated_mtpa=600)
    again = AwardFactory(firm=first.bid.firm)

    assert second.rank == 2 and second.tender.awards.count() == 2
    assert again.tender != first.tender
    assert first.bid.firm.users.count() == 1 and first.bid.firm.bank_accounts.count() == 1


def test_a_plant_is_in_gestation_for_two_years_unless_commissioned(rules):
    building = PlantFactory()
    assert building.gestation_starts_on == dt.date(2026, 4, 15)
    assert building.gestation_ends_on == dt.date(2028, 4, 15)
    assert building.commissioned_on is None and building.commissioned_mtpa is None

    award = AwardFactory(commissioned=True, allocated_mtpa=800)
    assert (award.plant.commissioned_on, award.plant.commissioned_mtpa) == (
        dt.date(2028, 4, 15),
        800,
    )
    early = AwardFactory(commissioned=True, plant__commissioned_on=dt.date(2027, 5, 10))
    assert early.plant.commissioned_on == dt.date(2027, 5, 10)
