"""The capital subsidy demo: sanctioned claims for the commissioned awards, one left for the verifier."""

from __future__ import annotations

import datetime as dt

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo as bidding_demo
from bidding.models import Award
from incentives.capital import demo
from incentives.capital.models import CapitalSubsidyClaim
from incentives.models import LedgerEntry, SanctionLetter
from repm_portal.audit import verify_chain
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.models import AuditEvent
from tests.factories import PlantFactory

pytestmark = pytest.mark.django_db

# As the gestation demo commissions them (HELPERS.md): NeoMag-Sakura early, Deccan late.
COMMISSIONED = {
    1: dt.date(2028, 5, 12),
    2: dt.date(2028, 7, 20),
    3: dt.date(2028, 10, 6),
    4: dt.date(2028, 7, 24),
}


@pytest.fixture
def awards(rules, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    beneficiaries_demo.seed()
    bidding_demo.seed()
    awards = list(Award.objects.filter(tender__reference=demo.MAIN_REFERENCE).order_by("rank"))
    for award in awards:
        start = award.awarded_at.date()
        on = COMMISSIONED.get(award.rank)  # the fifth is still being built
        PlantFactory(
            award=award,
            name=f"Plant {award.label}",
            gestation_ends_on=start + dt.timedelta(days=730),
            commissioned=on is not None,
            commissioned_on=on,
        )
    return awards


def test_the_demo_sanctions_most_leaves_one_for_the_verifier_and_is_idempotent(awards):
    lines = demo.seed()

    claims = {c.award.rank: c for c in CapitalSubsidyClaim.objects.select_related("award")}
    assert sorted(claims) == [1, 2, 3, 4]  # the uncommissioned award is skipped
    assert claims[3].status == CapitalSubsidyClaim.Status.SUBMITTED  # Deccan, last to commission
    for rank in (1, 2, 4):
        claim = claims[rank]
        assert claim.status == CapitalSubsidyClaim.Status.SANCTIONED
        assert claim.letter.status == SanctionLetter.Status.ISSUED
        assert claim.letter.created_at < DEMO_AS_OF
        assert claim.lines.filter(eligible=False).count() == 3  # other, too early, repeated
    assert claims[2].lines.filter(excluded=True).count() == 1
    # paid: L1 in full, L2 in two tranches, L4 in part; the late claimant files near the demo's date
    paid = {rank: sum(p.amount for p in claims[rank].letter.payments.all()) for rank in (1, 2, 4)}
    assert paid[1] == claims[1].letter.amount and paid[2] == claims[2].letter.amount
    assert 0 < paid[4] < claims[4].letter.amount
    assert claims[3].submitted_at > DEMO_AS_OF - dt.timedelta(days=30)
    assert LedgerEntry.objects.filter(claim_type="capital_subsidy", kind="sanction").count() == 3
    assert any("waiting for the verifier" in line for line in lines)

    events = AuditEvent.objects.count()
    assert demo.seed() == ["Capital subsidy claims already seeded."]
    assert AuditEvent.objects.count() == events
    assert verify_chain().intact


def test_without_commissioning_the_demo_makes_no_claim(rules):
    assert demo.seed() == ["No commissioned award yet: no capital subsidy claim."]
    assert not CapitalSubsidyClaim.objects.exists()
