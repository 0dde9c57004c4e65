"""Bids: rule-set validation, versions until the due date, the server's clock, sealed covers."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, ProgrammingError, connection, transaction

from bidding import sealing, selectors, services
from bidding.models import Bid, BidDocument, BidParticipant, BidVersion
from repm_portal.models import AuditEvent
from repm_portal.money import crore
from tests.bidding.builders import (
    AFTER_DUE,
    BEFORE_DUE,
    TL,
    make_bidder,
    make_consortium,
    make_tender,
    pdf,
    rebuild_tender_key,
    submit,
)
from tests.bidding.unchanged import unchanged
from tests.factories import FirmFactory

pytestmark = pytest.mark.django_db

RATE = "1987.43"
RATE_FORMS = ("1987.43", "1,987.43")
BID_MODELS = (Bid, BidVersion, BidDocument, BidParticipant)


def test_a_bid_is_sealed_and_its_receipt_commits_to_both_covers(staff):
    # Given a published tender and a bidder
    tender = make_tender(staff)
    bidder = make_bidder()

    # When the bidder submits
    version = submit(bidder, tender, rate=RATE, capacity=1000, partial=True)

    # Then there is one bid, version 1, with a commitment over both covers
    bid = version.bid
    assert (bid.status, version.number) == (Bid.Status.SUBMITTED, 1)
    assert version.commitment == sealing.commitment(
        version.technical_digest, version.financial_digest
    )
    assert (
        sealing.technical_digest(services.technical_cover_of(version)) == version.technical_digest
    )
    # and the rate exists nowhere in clear: not in the sealed bytes, the audit row or the receipt
    sealed = bytes(version.sealed_financial)
    assert all(form.encode() not in sealed for form in RATE_FORMS)
    event = AuditEvent.objects.get(action="bid.submitted", object_id=str(bid.pk))
    assert all(form not in json.dumps(event.new_values) for form in RATE_FORMS)
    receipt = selectors.receipt(version)
    assert receipt["commitment"] == version.commitment and receipt["counts"] is True
    assert all(form not in json.dumps(receipt) for form in RATE_FORMS)
    # and only the tender's key, rebuilt from a quorum's shares, opens it, giving back the rate
    private = rebuild_tender_key(tender, staff.committee[:2])
    cover = sealing.unseal_with_private(
        sealed, private_key=private, tender_id=tender.pk, bid_id=bid.pk, version=1
    )
    assert str(cover.quoted_rate) == RATE
    assert sealing.financial_digest(cover) == version.financial_digest
    assert RATE not in repr(cover)


def test_a_sealed_cover_cannot_be_moved_to_another_bid_or_altered(staff):
    tender = make_tender(staff)
    version = submit(make_bidder(), tender)
    args = {
        "private_key": rebuild_tender_key(tender, staff.committee[1:]),
        "tender_id": tender.pk,
    }
    blob = bytes(version.sealed_financial)
    with pytest.raises(sealing.SealError, match="altered, or sealed for another bid"):
        sealing.unseal_with_private(blob, bid_id=version.bid_id + 1, version=1, **args)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(sealing.SealError):
        sealing.unseal_with_private(tampered, bid_id=version.bid_id, version=1, **args)
    assert sealing.unseal_with_private(blob, bid_id=version.bid_id, version=1, **args)


def test_a_modification_is_a_new_version_and_the_last_counts(staff):
    tender = make_tender(staff)
    bidder = make_bidder()
    first = submit(bidder, tender, capacity=1000, now=BEFORE_DUE - dt.timedelta(days=3))

    # When the bidder changes its capacity and rate, uploading nothing new
    second = services.submit_bid(
        actor=bidder, tender=tender, capacity_mtpa=1200, accepts_partial=True,
        net_worth=crore(400), net_worth_as_of=dt.date(2025, 3, 31), quoted_rate="1950.00",
        now=BEFORE_DUE,
    )  # fmt: skip

    # Then both versions are kept, the documents carried over, and the receipts say which counts
    assert (second.bid_id, second.number) == (first.bid_id, 2)
    assert set(second.documents.all()) == set(first.documents.all())
    assert second.commitment != first.commitment
    assert selectors.receipt(first)["counts"] is False
    assert selectors.receipt(second)["counts"] is True
    assert (
        AuditEvent.objects.filter(action="bid.modified", object_id=str(first.bid_id)).count() == 1
    )


def test_a_late_bid_is_refused_and_changes_nothing(staff):
    tender = make_tender(staff)
    bidder = make_bidder()
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(bidder, tender, now=TL["bids_due"])
    assert "Bids were due at" in info.value.messages[0]
    assert "no bid can be submitted, modified or withdrawn" in info.value.messages[0]


def test_the_servers_clock_decides_when_no_time_is_given(staff):
    tender = make_tender(staff)
    bidder = make_bidder()
    submit(bidder, tender, now=BEFORE_DUE)
    with time_machine.travel(AFTER_DUE, tick=False):
        # Then the modification is refused by the real clock, whatever the client believes
        with unchanged(*BID_MODELS), pytest.raises(ValidationError, match="Bids were due at"):
            services.submit_bid(
                actor=bidder, tender=tender, capacity_mtpa=1000, accepts_partial=False,
                net_worth=crore(400), net_worth_as_of=dt.date(2025, 3, 31), quoted_rate="1900",
            )  # fmt: skip
        with pytest.raises(ValidationError, match="can no longer be withdrawn"):
            services.withdraw_bid(actor=bidder, bid=Bid.objects.get())
    assert Bid.objects.get().status == Bid.Status.SUBMITTED


@pytest.mark.parametrize("rate", ["2150.01", "0", "-5", "99999"])
def test_a_rate_outside_zero_to_the_ceiling_is_refused_without_echoing_it(staff, rate):
    tender = make_tender(staff)
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(make_bidder(), tender, rate=rate)
    # The same words whatever was typed, so the message can never carry a rate
    assert info.value.message_dict["quoted_rate"] == [
        "The quoted rate must be above zero and at most the ceiling of Rs 2,150.00/kg (rule set v1)."
    ]


def test_the_ceiling_itself_is_a_valid_rate(staff):
    tender = make_tender(staff)
    assert submit(make_bidder(), tender, rate="2150.00").number == 1


@pytest.mark.parametrize("rate", ["1987.435", "abc", ""])
def test_a_rate_that_is_not_rupees_and_paise_is_refused(staff, rate):
    tender = make_tender(staff)
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(make_bidder(), tender, rate=rate)
    assert "quoted_rate" in info.value.message_dict


@pytest.mark.parametrize("capacity", [650, 500, 1300])
def test_a_capacity_off_the_rule_sets_steps_is_refused(staff, capacity):
    tender = make_tender(staff)
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(make_bidder(), tender, capacity=capacity)
    assert info.value.message_dict["capacity_mtpa"] == [
        f"Bid capacity must be 600 MTPA to 1,200 MTPA in steps of 100 MTPA (rule set v1); {capacity:,} MTPA is not."
    ]


def test_net_worth_below_the_slab_minimum_is_refused(staff):
    tender = make_tender(staff)
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(make_bidder(), tender, capacity=800, net_worth_crore=244)
    assert info.value.message_dict["net_worth"] == [
        "Audited net worth Rs 244.00 crore is below the minimum of Rs 245.00 crore for a "
        "800 MTPA bid (slab 700-800 MTPA, rule set v1)."
    ]
    # and the slab's own minimum is enough
    assert submit(make_bidder(), tender, capacity=800, net_worth_crore=245).number == 1


def test_a_firm_may_not_bid_alone_and_in_a_consortium(staff):
    tender = make_tender(staff)
    lead = make_bidder("Lead Magnets Limited")
    partner_user = make_bidder("Partner Alloys Limited")
    consortium = make_consortium(lead, partner_user.firm)
    # Given the partner already bids alone
    submit(partner_user, tender)
    # Then the consortium's bid is refused, naming the partner
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(lead, tender, consortium=consortium)
    assert info.value.message_dict["consortium"] == [
        "Partner Alloys Limited already takes part in another bid on this tender; "
        "a firm may bid once, either alone or in one consortium."
    ]


def test_a_consortium_member_may_not_then_bid_alone(staff):
    tender = make_tender(staff)
    lead = make_bidder()
    partner_user = make_bidder("Partner Two Limited")
    consortium = make_consortium(lead, partner_user.firm)
    version = submit(lead, tender, consortium=consortium)
    assert [p.role for p in version.bid.participants.order_by("id")] == ["lead", "member"]
    with (
        unchanged(*BID_MODELS),
        pytest.raises(ValidationError, match="Partner Two Limited already takes part"),
    ):
        submit(partner_user, tender)
    # and the database agrees, should a service ever forget
    with pytest.raises(IntegrityError), transaction.atomic():
        BidParticipant.objects.create(
            tender=tender, bid=version.bid, firm=partner_user.firm, role="sole"
        )


def test_only_the_lead_bids_for_a_consortium(staff):
    tender = make_tender(staff)
    lead, partner_user = make_bidder(), make_bidder()
    consortium = make_consortium(lead, partner_user.firm)
    with unchanged(*BID_MODELS), pytest.raises(PermissionDenied):
        submit(partner_user, tender, consortium=consortium)


def test_staff_cannot_bid(staff):
    tender = make_tender(staff)
    with pytest.raises(PermissionDenied):
        services.submit_bid(
            actor=staff.official, tender=tender, capacity_mtpa=600, accepts_partial=False,
            net_worth=crore(200), net_worth_as_of=dt.date(2025, 3, 31), quoted_rate="1000",
        )  # fmt: skip


def test_documents_are_required_and_typed(staff):
    tender = make_tender(staff)
    bidder = make_bidder()
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        submit(bidder, tender, documents=False)
    assert info.value.message_dict["dpr"] == ["Attach the detailed project report (PDF)."]
    assert info.value.message_dict["eligibility_documents"] == ["Attach the eligibility documents."]
    with unchanged(*BID_MODELS), pytest.raises(ValidationError) as info:
        services.submit_bid(
            actor=bidder, tender=tender, capacity_mtpa=600, accepts_partial=False,
            net_worth=crore(200), net_worth_as_of=dt.date(2025, 3, 31), quoted_rate="1000",
            dpr=SimpleUploadedFile("dpr.pdf", b"\xff\xd8\xff" + b"x" * 10),
            eligibility_documents=[SimpleUploadedFile("e.exe", b"MZ" + b"x" * 10)], now=BEFORE_DUE,
        )  # fmt: skip
    assert info.value.message_dict["dpr"] == ["The DPR must be a PDF file; this one is not."]
    assert "must be a PDF, PNG, JPEG file" in info.value.message_dict["eligibility_documents"][0]


def test_a_bid_is_withdrawn_before_the_due_date_and_cannot_come_back(staff):
    tender = make_tender(staff)
    bidder = make_bidder()
    version = submit(bidder, tender)
    services.withdraw_bid(actor=bidder, bid=version.bid, now=BEFORE_DUE + dt.timedelta(hours=1))
    bid = Bid.objects.get()
    assert bid.status == Bid.Status.WITHDRAWN
    with unchanged(*BID_MODELS), pytest.raises(ValidationError, match="cannot be resubmitted"):
        submit(bidder, tender, now=BEFORE_DUE + dt.timedelta(hours=2))
    assert selectors.receipt(BidVersion.objects.get(pk=version.pk))["counts"] is False


def test_another_firm_cannot_withdraw_a_bid(staff):
    tender = make_tender(staff)
    version = submit(make_bidder(), tender)
    with pytest.raises(PermissionDenied):
        services.withdraw_bid(actor=make_bidder(), bid=version.bid, now=BEFORE_DUE)


def test_a_firm_sees_only_its_own_bids_and_staff_none_before_opening(staff):
    tender = make_tender(staff)
    alice, bob = make_bidder(), make_bidder()
    mine = submit(alice, tender).bid
    submit(bob, tender)
    assert list(selectors.bids_visible_to(alice)) == [mine]
    assert list(selectors.bids_visible_to(staff.official)) == []
    assert list(selectors.bids_visible_to(staff.admin)) == []
    with pytest.raises(PermissionDenied):
        selectors.version_for(bob, mine.versions.get().pk)


def test_the_database_refuses_late_versions_and_edits_of_old_ones(staff):
    tender = make_tender(staff)
    version = submit(make_bidder(), tender)
    # A late row, inserted behind the services' back
    with pytest.raises(IntegrityError, match="Bid version refused"), transaction.atomic():
        BidVersion.objects.create(
            bid=version.bid, number=2, submitted_at=TL["bids_due"], submitted_by=version.submitted_by,
            capacity_mtpa=1000, accepts_partial=False, net_worth=version.net_worth,
            net_worth_as_of=version.net_worth_as_of, technical_digest="a" * 64,
            financial_digest="b" * 64, commitment="c" * 64, sealed_financial=b"x",
        )  # fmt: skip
    # An edit of a kept version
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        BidVersion.objects.filter(pk=version.pk).update(capacity_mtpa=1200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT capacity_mtpa FROM bidding_bidversion WHERE id = %s", [version.pk])
        assert cursor.fetchone()[0] == 1000


def test_full_clean_refuses_an_evaluation_approved_by_its_evaluator(staff):
    from bidding.models import TechnicalEvaluation

    evaluation = TechnicalEvaluation(
        bid_id=1, bid_version_id=1, status="approved", qualified=True,
        evaluated_by=staff.evaluator, evaluated_at=BEFORE_DUE,
        approved_by=staff.evaluator, approved_at=BEFORE_DUE,
    )  # fmt: skip
    with pytest.raises(ValidationError) as info:
        evaluation.full_clean(exclude=["bid", "bid_version"])
    assert "evaluation_four_eyes" in str(info.value)


def test_firm_factory_is_unused_guard():
    assert FirmFactory is not None
    assert pdf().read().startswith(b"%PDF")
