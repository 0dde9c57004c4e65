"""Tenders: drafting, publication, corrigenda that keep every version, pre-bid queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from bidding import selectors, services
from bidding.models import PreBidQuery, Tender, TenderDocument, TenderVersion
from repm_portal.models import AuditEvent
from tests.bidding.builders import T0, TL, make_bidder, make_tender, pdf, timeline
from tests.bidding.unchanged import unchanged
from tests.oncommit import own

pytestmark = pytest.mark.django_db


def test_publishing_keeps_the_timeline_as_version_one_and_tells_firms(
    staff, django_capture_on_commit_callbacks
):
    # Given a drafted tender and two registered firms
    firms = [make_bidder(), make_bidder()]
    tender = make_tender(staff, publish=False)
    assert tender.status == Tender.Status.DRAFT
    assert selectors.tenders_visible_to(firms[0]).filter(pk=tender.pk).count() == 0

    # When the official publishes it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = services.publish_tender(actor=staff.official, tender=tender, now=T0)

    # Then its timeline is version 1, it is visible to firms, and a notice is queued
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert tender.published_at == T0
    assert version.number == 1 and version.bids_due == TL["bids_due"]
    assert selectors.tenders_visible_to(firms[0]).filter(pk=tender.pk).exists()
    assert len(own(callbacks)) == 1
    # and the notice (the task's service) mails every firm user
    sent = services.notify_firms_of_tender_version(version_id=version.pk)
    assert sent == 2
    assert {m.to[0] for m in mail.outbox} == {f.email for f in firms}
    assert "Tender published: MHI/REPM/GTE/2026/01" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="tender.published", object_id=str(tender.pk)).exists()


def test_rfp_documents_are_hashed_and_typed_from_their_bytes(staff):
    tender = make_tender(staff, publish=False)
    document = tender.documents.get()
    assert document.content_type == "application/pdf"
    assert len(document.sha256) == 64
    # A PNG named .pdf is refused, and nothing is stored
    fake = SimpleUploadedFile("rfp.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    with unchanged(TenderDocument), pytest.raises(ValidationError, match="must be a PDF file"):
        services.add_tender_document(
            actor=staff.official, tender=tender, title="Annex", upload=fake, now=T0
        )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"bids_due": TL["replies_due"] - dt.timedelta(hours=1)},
            "bids_due",
            "must come after replies",
        ),
        ({"queries_due": T0 - dt.timedelta(days=1)}, "queries_due", "must be after now"),
        (
            {"financial_opening_at": TL["technical_opening_at"]},
            "financial_opening_at",
            "must come after technical",
        ),
    ],
)
def test_a_tender_with_dates_out_of_order_is_refused(staff, change, field, message):
    bad = timeline() | change
    with unchanged(Tender, TenderDocument), pytest.raises(ValidationError) as info:
        services.create_tender(
            actor=staff.official, reference="X/1", title="Bad dates", capacity_mtpa=6000, slots=5,
            timeline=bad, committee=staff.committee, documents=[("RFP", pdf())], now=T0,
        )  # fmt: skip
    assert message in " ".join(info.value.message_dict[field])


def test_a_committee_needs_two_members_and_an_offer_follows_the_rules(staff):
    with unchanged(Tender), pytest.raises(ValidationError) as info:
        services.create_tender(
            actor=staff.official, reference="X/2", title="Too small", capacity_mtpa=650, slots=6,
            timeline=timeline(), committee=[staff.official2], documents=[("RFP", pdf())], now=T0,
        )  # fmt: skip
    errors = info.value.message_dict
    assert "at least 2 different members" in errors["committee"][0]
    assert "multiple of 100 MTPA" in errors["capacity_mtpa"][0]
    assert "Slots must be 1 to 5" in errors["slots"][0]


def test_only_officials_create_tenders(staff):
    bidder = make_bidder()
    with pytest.raises(PermissionDenied):
        services.create_tender(
            actor=bidder, reference="X/3", title="No", capacity_mtpa=6000, slots=5,
            timeline=timeline(), committee=staff.committee, now=T0,
        )  # fmt: skip


def test_publishing_after_the_query_deadline_is_refused(staff):
    tender = make_tender(staff, publish=False)
    with unchanged(TenderVersion), pytest.raises(ValidationError, match="query deadline"):
        services.publish_tender(actor=staff.official, tender=tender, now=TL["queries_due"])
    tender.refresh_from_db()
    assert tender.status == Tender.Status.DRAFT


def test_a_corrigendum_moves_dates_and_keeps_the_old_version(staff):
    # Given a published tender
    tender = make_tender(staff)
    make_bidder()
    new_due = TL["bids_due"] + dt.timedelta(days=7)

    # When a corrigendum moves the due date and revises the RFP
    rfp = tender.documents.get()
    version = services.issue_corrigendum(
        actor=staff.official,
        tender=tender,
        summary="Bid due date extended on requests at the pre-bid meeting.",
        timeline={"bids_due": new_due, "technical_opening_at": new_due + dt.timedelta(hours=18)},
        documents=[("Request for proposal, revision 1", pdf("rfp-r1.pdf", "r1"), rfp)],
        now=T0 + dt.timedelta(days=13),
    )

    # Then the tender runs on the new dates, version 1 still shows the old ones
    tender.refresh_from_db()
    assert tender.bids_due == new_due
    versions = selectors.versions_of(tender)
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].bids_due == TL["bids_due"]
    assert versions[1].bids_due == new_due
    assert (
        versions[1]
        .changes["bids_due"]["old"]
        .startswith(TL["bids_due"].astimezone(dt.UTC).date().isoformat())
    )
    # and the revised document supersedes, never overwrites, the original
    revised = version.documents.get()
    assert revised.supersedes == rfp
    assert TenderDocument.objects.filter(tender=tender).count() == 2
    rfp.refresh_from_db()
    assert rfp.file.read().startswith(b"%PDF")
    # and firms are told about the corrigendum by e-mail
    assert services.notify_firms_of_tender_version(version_id=version.pk) >= 1
    assert "Corrigendum 1 to MHI/REPM/GTE/2026/01" in mail.outbox[-1].subject
    assert "extended on requests" in mail.outbox[-1].body


def test_a_corrigendum_cannot_move_a_date_that_has_passed(staff):
    tender = make_tender(staff)
    after_queries = TL["queries_due"] + dt.timedelta(hours=1)
    with unchanged(TenderVersion), pytest.raises(ValidationError) as info:
        services.issue_corrigendum(
            actor=staff.official, tender=tender, summary="Reopen queries",
            timeline={"queries_due": after_queries + dt.timedelta(days=1)}, now=after_queries,
        )  # fmt: skip
    assert "has passed; it cannot move" in info.value.message_dict["queries_due"][0]
    tender.refresh_from_db()
    assert tender.queries_due == TL["queries_due"]


def test_a_corrigendum_must_change_something(staff):
    tender = make_tender(staff)
    with unchanged(TenderVersion), pytest.raises(ValidationError, match="must change a date"):
        services.issue_corrigendum(
            actor=staff.official, tender=tender, summary="Nothing", now=T0 + dt.timedelta(days=2)
        )


def test_a_document_is_revised_once_then_its_revision_is_revised(staff):
    tender = make_tender(staff)
    rfp = tender.documents.get()
    later = T0 + dt.timedelta(days=2)
    services.issue_corrigendum(
        actor=staff.official,
        tender=tender,
        summary="r1",
        documents=[("r1", pdf(salt="1"), rfp)],
        now=later,
    )
    with (
        unchanged(TenderDocument, TenderVersion),
        pytest.raises(ValidationError, match="already revised"),
    ):
        services.issue_corrigendum(
            actor=staff.official,
            tender=tender,
            summary="r2",
            documents=[("r2", pdf(salt="2"), rfp)],
            now=later,
        )


def test_queries_are_answered_to_all_and_the_asker_stays_anonymous(staff):
    # Given a published tender and a firm with a question
    tender = make_tender(staff)
    asker, other = make_bidder("Asker Magnets Limited"), make_bidder()
    query = services.ask_query(
        actor=asker,
        tender=tender,
        question="Is recycled feedstock eligible?",
        now=T0 + dt.timedelta(days=2),
    )

    # Then before the answer, other firms see nothing; the asker sees its own question
    assert list(selectors.queries_for(other, tender)) == []
    assert list(selectors.queries_for(asker, tender)) == [query]

    # When an official answers
    services.answer_query(
        actor=staff.official,
        query=query,
        answer="Yes, if processed in the integrated plant.",
        now=T0 + dt.timedelta(days=11),
    )

    # Then every firm and the public see question and answer, but not who asked
    public = list(selectors.answered_queries(tender))
    assert [q.question for q in public] == ["Is recycled feedstock eligible?"]
    assert list(selectors.queries_for(other, tender)) == []  # a firm's list is its own questions
    assert list(selectors.queries_for(None, tender)) == public
    # and an answer stands once published
    with pytest.raises(ValidationError, match="already answered"):
        services.answer_query(
            actor=staff.official, query=query, answer="No", now=T0 + dt.timedelta(days=12)
        )


def test_a_late_query_is_refused(staff):
    tender = make_tender(staff)
    asker = make_bidder()
    with unchanged(PreBidQuery), pytest.raises(ValidationError, match="Pre-bid queries closed"):
        services.ask_query(
            actor=asker,
            tender=tender,
            question="Late?",
            now=TL["queries_due"] + dt.timedelta(seconds=1),
        )


def test_a_tender_is_cancelled_only_before_its_covers_open(staff):
    from bidding.models import Stage
    from tests.bidding.builders import TECH_TIME, open_stage, submit

    tender = make_tender(staff)
    with pytest.raises(ValidationError, match="Give the reason"):
        services.cancel_tender(actor=staff.official, tender=tender, reason=" ", now=T0)
    for reason in ("Revision", "Guidelines are revised\x1b[2J now."):
        with unchanged(Tender), pytest.raises(ValidationError) as refused:
            services.cancel_tender(actor=staff.official, tender=tender, reason=reason, now=T0)
        assert "reason the tender is cancelled" in refused.value.message_dict["reason"][0]
        tender.refresh_from_db()
        assert tender.status != Tender.Status.CANCELLED
    services.cancel_tender(
        actor=staff.official, tender=tender, reason="Scheme guidelines under revision.", now=T0
    )
    tender.refresh_from_db()
    assert tender.status == Tender.Status.CANCELLED
    event = AuditEvent.objects.get(action="tender.cancelled", object_id=str(tender.pk))
    assert event.new_values["reason"] == "Scheme guidelines under revision."
    with pytest.raises(ValidationError, match="not open for bids"):
        submit(make_bidder(), tender)

    opened = make_tender(staff, reference="MHI/REPM/GTE/2026/05")
    submit(make_bidder(), opened)
    open_stage(opened, staff, Stage.TECHNICAL, TECH_TIME)
    with pytest.raises(
        ValidationError, match="technical covers opened; it cannot become cancelled"
    ):
        services.cancel_tender(
            actor=staff.official,
            tender=opened,
            reason="The covers were opened too late.",
            now=TECH_TIME,
        )
