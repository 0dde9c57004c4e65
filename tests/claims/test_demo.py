"""The claims demo, after the bidding and gestation demos: every quarter claimed, submitted, verified and approved; a few exceptions."""

from __future__ import annotations

import datetime as dt

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo as bidding_demo
from incentives.claims import demo, feedstock
from incentives.claims.models import Claim, ClaimUpload, LineAdjustment
from incentives.gestation import demo as gestation_demo
from incentives.recovery.demo import EXIT_ON, EXITING_RANK
from repm_portal.audit import verify_chain
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_without_a_commissioned_award_the_demo_does_nothing_and_says_so(rules):
    assert demo.seed() == [
        "No award is commissioned yet (the gestation demo commissions them): no claims."
    ]
    assert not ClaimUpload.objects.exists()


def test_the_demo_claims_every_quarter_and_walks_the_workflow_and_is_idempotent(rules):
    beneficiaries_demo.seed()
    bidding_demo.seed()
    gestation_demo.seed()
    lines = demo.seed()

    claims = list(
        Claim.objects.select_related("award", "rule_set").order_by("award__rank", "period_start")
    )
    by_rank: dict[int, list[Claim]] = {}
    for claim in claims:
        by_rank.setdefault(claim.award.rank, []).append(claim)
    assert sorted(by_rank) == [1, 2, 3, 4, 5], lines
    for rank, mine in by_rank.items():
        assert all(c.period_end < DEMO_AS_OF.date() for c in mine)
        assert all(12 <= c.line_count <= 30 and c.eligible_kg > 0 for c in mine)
        assert all(c.certificate_id and c.declared_at for c in mine)
        if rank != EXITING_RANK:  # every quarter to the one before the demo's date
            assert mine[-1].quarter_label == "Q1 FY 2031-32", rank
    # the exiting award claims nothing after its exit
    assert all(c.created_at.date() < EXIT_ON for c in by_rank[EXITING_RANK])
    # approved, but for the two latest quarters left in the officials' queues
    assert [c.status for c in claims if c.status != Claim.Status.APPROVED] == [
        "submitted",
        "verified",
    ]
    assert by_rank[3][-1].status == "submitted" and by_rank[4][-1].status == "verified"
    assert all(c.approved_by_id != c.verified_by_id for c in claims if c.approved_by_id)
    # claims of periods ending from 1 Jan 2030 are computed under the amendment (turnover cap 30 %)
    for claim in claims:
        expected = 2 if claim.period_end >= dt.date(2030, 1, 1) else 1
        assert claim.rule_set.version == expected
    # one line excluded, one kg corrected, each with its reason; one claim returned and resubmitted
    adjustments = {a.kind: a for a in LineAdjustment.objects.all()}
    assert set(adjustments) == {"exclude", "correct"}
    assert all(len(a.reason) > 40 for a in adjustments.values())
    returned = AuditEvent.objects.get(action="claim.returned")
    assert Claim.objects.get(pk=returned.object_id).status == "approved"
    refused = ClaimUpload.objects.filter(status=ClaimUpload.Status.REJECTED)
    assert refused.count() == 1
    assert refused.get().summary_by_rule == {
        "hsn_prefix": 1, "date_in_period": 1, "duplicate_in_file": 1,
    }  # fmt: skip
    assert any("refused first and corrected" in line for line in lines)
    assert verify_chain().intact
    # every claim declares its oxide by source; the import share falls over the years
    assert all(c.feedstock.exists() for c in claims)
    shares = feedstock.source_shares_by_quarter(min_awards=1)
    first, last = shares[0], shares[-1]
    # the public view leaves out the first quarter, in which only NeoMag had a verified claim
    public = feedstock.source_shares_by_quarter()
    assert [q.label for q in public] == [q.label for q in shares[1:]]
    assert all(q.awards >= 2 for q in public)
    assert first.import_share_pct >= 80 and last.import_share_pct <= 55, [
        (q.label, q.import_share_pct) for q in shares
    ]
    assert last.share_pct["irel"] > first.share_pct["irel"]
    assert last.share_pct["recycled"] > first.share_pct["recycled"]
    assert all(sum(q.share_pct.values()) == 100 for q in shares)
    assert set(last.imported_by_country) == {"CN", "MY"}
    # the verifier's check flags two claims, each accepted with its reason; the rest fit
    flagged = [c for c in claims if c.feedstock_conclusion == "mismatch_accepted"]
    assert [(c.award.rank, c.quarter_label) for c in flagged] == [
        (2, "Q3 FY 2029-30"), (4, "Q1 FY 2029-30"),
    ]  # fmt: skip
    assert all(len(c.feedstock_note) > 40 for c in flagged)
    verified = [c for c in claims if c.status in Claim.VERIFIED_STATUSES]
    assert all(c.feedstock_conclusion for c in verified)
    assert any(line.startswith("Feedstock of verified claims") for line in lines)

    # running it again adds nothing
    before = AuditEvent.objects.count()
    demo.seed()
    assert AuditEvent.objects.count() == before
