"""The claims demo, after the bidding and gestation demos: quarters of claims per commissioned award, one refused first."""

from __future__ import annotations

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo as bidding_demo
from incentives.claims import demo
from incentives.claims.models import Claim, ClaimUpload
from incentives.gestation import demo as gestation_demo
from repm_portal.audit import verify_chain
from repm_portal.demo_clock import DEMO_AS_OF

pytestmark = pytest.mark.django_db


def test_without_a_commissioned_award_the_demo_does_nothing_and_says_so(rules):
    assert demo.seed() == [
        "No award is commissioned yet (the gestation demo commissions them): no claims."
    ]
    assert not ClaimUpload.objects.exists()


def test_the_demo_claims_every_quarter_to_the_one_before_its_date_and_is_idempotent(rules):
    beneficiaries_demo.seed()
    bidding_demo.seed()
    gestation_demo.seed()
    lines = demo.seed()

    claims = Claim.objects.select_related("award").order_by("award__rank", "period_start")
    awards = {claim.award_id for claim in claims}
    assert len(awards) == 5, lines
    for award_id in awards:
        mine = [c for c in claims if c.award_id == award_id]
        assert len(mine) >= 4, (award_id, len(mine))
        assert all(c.period_end < DEMO_AS_OF.date() for c in mine)
        assert all(c.line_count >= 150 and c.eligible_kg > 0 for c in mine)
    refused = ClaimUpload.objects.filter(status=ClaimUpload.Status.REJECTED)
    assert refused.count() == 1
    assert refused.get().summary_by_rule == {
        "hsn_prefix": 1, "date_in_period": 1, "duplicate_in_file": 1,
    }  # fmt: skip
    assert ClaimUpload.objects.filter(status=ClaimUpload.Status.ACCEPTED).count() == claims.count()
    assert any("refused first and corrected" in line for line in lines)
    assert verify_chain().intact

    # running it again adds nothing
    before = ClaimUpload.objects.count()
    demo.seed()
    assert ClaimUpload.objects.count() == before
