"""The gestation demo: every award through gestation, one commissioned late with its penalty; twice is once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo as bidding_demo
from incentives.gestation import demo
from incentives.gestation.models import Milestone, MilestoneEvidence, Plant
from incentives.models import LedgerEntry
from repm_portal.audit import verify_chain
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_demo_commissions_every_award_deccan_late_and_is_idempotent(rules):
    beneficiaries_demo.seed()
    bidding_demo.seed()
    lines = demo.seed()

    plants = {
        p.award.bid.firm.users.order_by("pk").first().username: p
        for p in Plant.objects.select_related("award__bid__firm")
    }
    assert set(plants) == {"neomag", "bharatre", "deccan", "kaveri", "vidarbha"}
    assert all(p.commissioned_on for p in plants.values())
    assert not Milestone.objects.exclude(status=Milestone.Status.ACCEPTED).exists()
    assert all(m.verified_by_id != m.accepted_by_id for m in Milestone.objects.all())
    # NeoMag-Sakura early, Deccan late (October 2028) and the only one with a penalty
    assert plants["neomag"].commissioned_on < dt.date(2028, 6, 1)
    deccan = plants["deccan"]
    assert deccan.commissioned_on.month == 10 and deccan.commissioned_on.year == 2028
    penalty = LedgerEntry.objects.get(kind="penalty")
    assert penalty.award == deccan.award
    days = (deccan.commissioned_on - deccan.gestation_ends_on).days
    assert (
        penalty.amount == Decimal(days) * deccan.award.guarantees.get(status="active").amount / 1000
    )
    assert penalty.posted_at < DEMO_AS_OF
    # Deccan's equipment milestone was returned once, then accepted on better evidence
    assert AuditEvent.objects.filter(action="milestone.returned").count() == 1
    assert MilestoneEvidence.objects.filter(content_type="image/png").exists()
    assert any("days late: penalty" in line for line in lines)

    events = AuditEvent.objects.count()
    demo.seed()
    assert AuditEvent.objects.count() == events
    assert verify_chain().intact
