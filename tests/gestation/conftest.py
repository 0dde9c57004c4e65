"""Fixtures for gestation tests: uploads in a temporary media folder, an award with its plant."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bidding import services as bidding_services
from incentives.gestation import services
from repm_portal.roles import Role
from tests.factories import AwardFactory, FirmUserFactory, UserFactory
from tests.gestation.milestones import AWARDED_AT, at


@pytest.fixture(autouse=True)
def _own_media_and_cache(media_root, private_cache):
    """Every test here stores uploads in its own folder and keeps its own cache (tests/conftest.py)."""


@pytest.fixture
def people(users):
    """The ministry's people, plus a second verifier and approver for maker-checker cases."""
    return {
        **users,
        "verifier2": UserFactory(role=Role.VERIFIER, username="the_verifier2"),
        "approver2": UserFactory(role=Role.APPROVER, username="the_approver2"),
    }


@pytest.fixture
def award(rules):
    return AwardFactory(allocated_mtpa=800, awarded_at=AWARDED_AT)


@pytest.fixture
def firm_user(award):
    return award.bid.firm.users.order_by("pk").first()


@pytest.fixture
def other_firm_user(db):
    return FirmUserFactory(username="someone_else")


@pytest.fixture
def guarantee(award, people):
    return bidding_services.record_pbg(
        actor=people[Role.OFFICIAL],
        award=award,
        amount=Decimal("400000000.00"),
        bank_name="Canara Bank",
        guarantee_number="CNRB/PBG/1",
        issued_on=dt.date(2026, 3, 1),
        valid_until=award.pbg_valid_until_required,
        now=at(dt.date(2026, 3, 2)),
    )


@pytest.fixture
def plant(award, people):
    return services.open_gestation(
        actor=people[Role.OFFICIAL], award=award, now=at(dt.date(2026, 3, 1))
    )
