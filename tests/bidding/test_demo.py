"""The demo seed replays a whole tender through the services, and running it twice changes nothing."""

from __future__ import annotations

import pytest

from beneficiaries import demo as beneficiaries_demo
from bidding import demo
from bidding.models import (
    AwardLetter,
    Bid,
    BidRanking,
    BidVersion,
    PerformanceBankGuarantee,
    Tender,
)
from repm_portal.audit import verify_chain
from repm_portal.models import AuditEvent
from tests.bidding import ocds_schema

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_whole_tender_and_is_idempotent(rules, client):
    beneficiaries_demo.seed()
    lines = demo.seed()

    main = Tender.objects.get(reference=demo.MAIN_REFERENCE)
    assert main.status == Tender.Status.AWARDED
    assert main.bids.count() == 8
    assert main.bids.filter(status=Bid.Status.DISQUALIFIED).count() == 1
    rankings = list(BidRanking.objects.filter(tender=main).order_by("rank"))
    assert [r.outcome for r in rankings] == ["allocated"] * 5 + ["waitlisted"] * 2
    assert any("larger bid capacity" in r.tie_note for r in rankings)
    assert (
        AwardLetter.objects.filter(award__tender=main, status=AwardLetter.Status.ISSUED).count()
        == 5
    )
    assert PerformanceBankGuarantee.objects.filter(award__tender=main).count() == 5
    assert (
        BidVersion.objects.filter(bid__tender=main, bid__firm__users__username="kaveri").count()
        == 2
    )
    assert main.versions.count() == 2  # as published, and one corrigendum
    retender = Tender.objects.get(reference=demo.RETENDER_REFERENCE)
    assert retender.status == Tender.Status.PUBLISHED and retender.bids.count() == 1
    # it offers again what the last-ranked winner frees when it exits
    assert retender.capacity_mtpa == main.awards.get(rank=5).allocated_mtpa
    assert any("waitlist" in line for line in lines)

    # Running it again adds nothing
    events = AuditEvent.objects.count()
    demo.seed()
    assert AuditEvent.objects.count() == events
    assert verify_chain().intact

    # And what it made is served: public page, OCDS, receipts
    assert client.get(f"/public/tenders/{main.pk}/").status_code == 200
    package = client.get(f"/api/tenders/{main.pk}/ocds/").json()
    assert ocds_schema.errors(package) == []
    client.force_login(main.bids.get(firm__users__username="kaveri").firm.users.first())
    version = BidVersion.objects.filter(
        bid__tender=main, bid__firm__users__username="kaveri"
    ).last()
    assert client.get(f"/receipts/{version.pk}/receipt.pdf").status_code == 200
