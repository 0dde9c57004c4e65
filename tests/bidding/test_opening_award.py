"""Opening by quorum, technical then financial; four-eyes evaluation; ranking, award, letters, PBG."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from pypdf import PdfReader

from bidding import selectors, services
from bidding.models import (
    Award,
    AwardLetter,
    Bid,
    BidRanking,
    CoverOpening,
    Criterion,
    OpenedCover,
    OpeningConfirmation,
    PbgReminder,
    PerformanceBankGuarantee,
    Stage,
    TechnicalEvaluation,
    Tender,
)
from repm_portal.money import crore
from tests.bidding.builders import (
    FIN_TIME,
    TECH_TIME,
    TL,
    all_pass,
    evaluate,
    make_bidder,
    make_tender,
    open_stage,
    run_to_financial,
    submit,
)
from tests.bidding.unchanged import unchanged
from tests.oncommit import own

pytestmark = pytest.mark.django_db

OPENING_MODELS = (OpeningConfirmation, CoverOpening, OpenedCover)


@pytest.fixture
def tender_with_bids(staff):
    tender = make_tender(staff)
    bidders = [make_bidder(f"Bidder {n} Magnetics Limited") for n in range(3)]
    versions = [
        submit(bidders[0], tender, capacity=1200, rate="1850.00"),
        submit(bidders[1], tender, capacity=1000, rate="1900.00"),
        submit(bidders[2], tender, capacity=800, rate="1900.00"),
    ]
    return tender, bidders, versions


# Opening


def test_an_opening_before_its_time_is_refused(staff, tender_with_bids):
    tender, _, _ = tender_with_bids
    early = TL["technical_opening_at"] - dt.timedelta(seconds=1)
    with unchanged(*OPENING_MODELS), pytest.raises(ValidationError) as info:
        services.confirm_opening(
            actor=staff.committee[0], tender=tender, stage=Stage.TECHNICAL, now=early
        )
    assert "The technical opening is scheduled for" in info.value.messages[0]
    assert "It can be confirmed only from that time." in info.value.messages[0]


def test_one_member_alone_cannot_open(staff, tender_with_bids):
    tender, _, _ = tender_with_bids
    first = services.confirm_opening(
        actor=staff.committee[0], tender=tender, stage=Stage.TECHNICAL, now=TECH_TIME
    )
    assert first is None
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert not CoverOpening.objects.exists() and not OpenedCover.objects.exists()
    # and confirming again does not make a quorum of one
    with (
        unchanged(*OPENING_MODELS),
        pytest.raises(ValidationError, match="another committee member must confirm"),
    ):
        services.confirm_opening(
            actor=staff.committee[0], tender=tender, stage=Stage.TECHNICAL, now=TECH_TIME
        )


def test_only_the_committee_confirms(staff, tender_with_bids):
    tender, bidders, _ = tender_with_bids
    for outsider in (staff.official, staff.admin, bidders[0]):
        with unchanged(*OPENING_MODELS), pytest.raises(PermissionDenied):
            services.confirm_opening(
                actor=outsider, tender=tender, stage=Stage.TECHNICAL, now=TECH_TIME
            )


def test_financial_covers_never_open_before_the_technical(staff, tender_with_bids):
    tender, _, _ = tender_with_bids
    with unchanged(*OPENING_MODELS), pytest.raises(ValidationError) as info:
        services.confirm_opening(
            actor=staff.committee[0], tender=tender, stage=Stage.FINANCIAL, now=FIN_TIME
        )
    assert info.value.messages == [
        "Financial covers are opened only after the technical covers, never before."
    ]
    # nor after the technical opening while evaluations are pending
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    with (
        unchanged(*OPENING_MODELS),
        pytest.raises(ValidationError, match="every technical evaluation is approved"),
    ):
        services.confirm_opening(
            actor=staff.committee[0], tender=tender, stage=Stage.FINANCIAL, now=FIN_TIME
        )
    # and the database refuses a financial opening row with no technical one before it
    other = make_tender(staff, reference="MHI/REPM/GTE/2026/09")
    with (
        pytest.raises(IntegrityError, match="cannot open before its technical covers"),
        transaction.atomic(),
    ):
        CoverOpening.objects.create(tender=other, stage=Stage.FINANCIAL, opened_at=FIN_TIME)


def test_a_quorum_opens_the_technical_covers_and_checks_each_against_its_commitment(
    staff, tender_with_bids
):
    # Given three bids; staff cannot see them yet
    tender, _, versions = tender_with_bids
    assert not selectors.bids_visible_to(staff.official).exists()

    # When two different committee members confirm after the scheduled time
    opening = open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)

    # Then the technical covers are open, each checked against its published commitment
    assert opening.stage == Stage.TECHNICAL
    assert tender.status == Tender.Status.TECHNICAL_OPENED
    covers = list(opening.covers.order_by("bid_version_id"))
    assert [c.bid_version_id for c in covers] == [v.pk for v in versions]
    assert all(c.matches_commitment and c.quoted_rate is None for c in covers)
    # and the public log says who confirmed and when
    [technical, financial] = selectors.openings(tender)
    assert [c.member for c in technical.confirmations] == staff.committee[:2]
    assert technical.opening.opened_at == TECH_TIME + dt.timedelta(minutes=1)
    assert financial.opening is None
    # and staff now see the bids
    assert selectors.bids_visible_to(staff.official).count() == 3


def test_a_document_altered_at_rest_fails_its_commitment_and_the_bid_is_excluded(
    staff, tender_with_bids
):
    tender, _, versions = tender_with_bids
    document = versions[1].documents.filter(kind="dpr").get()
    with open(document.file.path, "ab") as handle:
        handle.write(b"tampered")
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    cover = OpenedCover.objects.get(bid_version=versions[1])
    assert not cover.matches_commitment
    assert "no longer matches its SHA-256" in cover.detail
    assert Bid.objects.get(pk=versions[1].bid_id).status == Bid.Status.EXCLUDED


# Evaluation


def test_the_evaluator_cannot_approve_their_own_evaluation(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    bid = versions[0].bid
    evaluation = services.record_evaluation(
        actor=staff.evaluator, bid=bid, results=all_pass(), now=TECH_TIME
    )
    with unchanged(TechnicalEvaluation, Bid), pytest.raises(ValidationError) as info:
        services.approve_evaluation(actor=staff.evaluator, evaluation=evaluation, now=TECH_TIME)
    assert info.value.messages == [
        "You recorded this evaluation; a second official must approve it (four eyes)."
    ]
    evaluation.refresh_from_db()
    assert evaluation.status == TechnicalEvaluation.Status.RECORDED
    # and the database refuses it too
    with pytest.raises(IntegrityError, match="evaluation_four_eyes"), transaction.atomic():
        TechnicalEvaluation.objects.filter(pk=evaluation.pk).update(
            status="approved", approved_by=staff.evaluator, approved_at=TECH_TIME
        )


def test_every_criterion_needs_a_result_and_a_reason(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    results = all_pass()
    results[Criterion.DPR] = (False, "  ")
    del results[Criterion.NET_WORTH]
    with unchanged(TechnicalEvaluation), pytest.raises(ValidationError) as info:
        services.record_evaluation(
            actor=staff.evaluator, bid=versions[0].bid, results=results, now=TECH_TIME
        )
    errors = info.value.message_dict
    assert errors["dpr"] == [
        "Give the reason for the result on detailed project report (technical committee)."
    ]
    assert errors["net_worth"] == [
        "Record pass or fail on audited net worth against the slab minimum."
    ]


def test_a_failed_criterion_is_explained_in_a_sentence(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    for reason, problem in (
        ("Insufficient", "at least a sentence"),
        ("The DPR\x1b is incomplete.", "U+001B"),
    ):
        results = all_pass()
        results[Criterion.ELIGIBILITY] = (False, reason)
        with unchanged(TechnicalEvaluation), pytest.raises(ValidationError) as info:
            services.record_evaluation(
                actor=staff.evaluator, bid=versions[0].bid, results=results, now=TECH_TIME
            )
        [message] = info.value.message_dict["eligibility"]
        assert problem in message and "reason the bid fails on" in message


def test_only_evaluators_record_and_only_before_approval(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    with pytest.raises(ValidationError, match="after the technical opening"):
        services.record_evaluation(
            actor=staff.evaluator, bid=versions[0].bid, results=all_pass(), now=TECH_TIME
        )
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    with pytest.raises(PermissionDenied):
        services.record_evaluation(
            actor=staff.official, bid=versions[0].bid, results=all_pass(), now=TECH_TIME
        )


def test_a_returned_evaluation_is_recorded_again_then_approved(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    bid = versions[0].bid
    evaluation = services.record_evaluation(
        actor=staff.evaluator, bid=bid, results=all_pass(), now=TECH_TIME
    )
    for reason in ("Recheck", "Check the CA\u202e certificate date."):
        with unchanged(TechnicalEvaluation), pytest.raises(ValidationError) as refused:
            services.return_evaluation(
                actor=staff.approver, evaluation=evaluation, reason=reason, now=TECH_TIME
            )
        assert "reason the evaluation is returned" in refused.value.message_dict["reason"][0]
    evaluation.refresh_from_db()
    assert evaluation.status == TechnicalEvaluation.Status.RECORDED
    services.return_evaluation(
        actor=staff.approver,
        evaluation=evaluation,
        reason="Check the CA certificate date.",
        now=TECH_TIME,
    )
    with pytest.raises(ValidationError, match="only a recorded one"):
        services.approve_evaluation(actor=staff.approver, evaluation=evaluation, now=TECH_TIME)
    again = services.record_evaluation(
        actor=staff.evaluator, bid=bid, results=all_pass("Rechecked."), now=TECH_TIME
    )
    assert again.pk == evaluation.pk and again.status == TechnicalEvaluation.Status.RECORDED
    services.approve_evaluation(actor=staff.approver, evaluation=again, now=TECH_TIME)
    assert Bid.objects.get(pk=bid.pk).status == Bid.Status.QUALIFIED


def test_a_disqualified_bidder_sees_its_reasons_once_approved(staff, tender_with_bids):
    tender, bidders, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    bid = Bid.objects.get(pk=versions[2].bid_id)
    results = all_pass()
    results[Criterion.DPR] = (
        False,
        "DPR shows no in-house alloy stage; the plant is not integrated.",
    )
    evaluation = services.record_evaluation(
        actor=staff.evaluator, bid=bid, results=results, now=TECH_TIME
    )
    assert selectors.evaluation_for_bid(bidders[2], bid) is None  # not before approval
    services.approve_evaluation(actor=staff.evaluator2, evaluation=evaluation, now=TECH_TIME)
    seen = selectors.evaluation_for_bid(bidders[2], Bid.objects.get(pk=bid.pk))
    assert seen is not None and not seen.qualified
    failed = [r.reason for r in seen.results.all() if not r.passed]
    assert failed == ["DPR shows no in-house alloy stage; the plant is not integrated."]
    assert Bid.objects.get(pk=bid.pk).status == Bid.Status.DISQUALIFIED


# Financial opening, ranking and award


def test_only_qualified_financial_covers_open_and_are_ranked_least_cost(staff, tender_with_bids):
    # Given three bids, the third disqualified
    tender, _, versions = tender_with_bids
    opening = run_to_financial(tender, staff, fail={versions[2].bid_id: "The DPR is incomplete."})

    # Then only the two qualified covers were opened, each matching its commitment
    assert tender.status == Tender.Status.FINANCIAL_OPENED
    covers = {c.bid_version_id: c for c in opening.covers.all()}
    assert set(covers) == {versions[0].pk, versions[1].pk}
    assert covers[versions[0].pk].quoted_rate == Decimal("1850.00")
    assert all(c.matches_commitment and len(c.nonce) == 64 for c in covers.values())
    # and they are ranked by the Least Cost System
    rankings = list(BidRanking.objects.filter(tender=tender).order_by("rank"))
    assert [(r.label, r.bid_id, r.allocated_mtpa) for r in rankings] == [
        ("L1", versions[0].bid_id, 1200),
        ("L2", versions[1].bid_id, 1000),
    ]
    assert rankings[0].oxide_mtpa + rankings[1].oxide_mtpa == Decimal("500.000")
    assert tender.allocation.explanation[-2].startswith("Total allocated 2,200 MTPA of 6,000 MTPA")


def test_a_tie_on_rate_is_broken_by_the_rule_sets_order(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    run_to_financial(tender, staff)
    by_bid = {r.bid_id: r for r in BidRanking.objects.filter(tender=tender)}
    # Bids 2 and 3 quoted the same rate; 1,000 MTPA ranks above 800 MTPA (larger capacity first)
    assert (by_bid[versions[1].bid_id].rank, by_bid[versions[2].bid_id].rank) == (2, 3)
    assert (
        "ranked above it on larger bid capacity (1,000 vs 800 MTPA)"
        in by_bid[versions[1].bid_id].tie_note
    )


def test_a_financial_cover_altered_at_rest_is_excluded_not_ranked(staff, tender_with_bids):
    tender, _, versions = tender_with_bids
    open_stage(tender, staff, Stage.TECHNICAL, TECH_TIME)
    evaluate(tender, staff)
    blob = bytes(versions[0].sealed_financial)
    with connection.cursor() as cursor:  # an intruder with database access, past the triggers
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE bidding_bidversion DISABLE TRIGGER bidding_bidversion_append_only"
        )
        cursor.execute(
            "UPDATE bidding_bidversion SET sealed_financial = %s WHERE id = %s",
            [blob[:-1] + bytes([blob[-1] ^ 1]), versions[0].pk],
        )
        cursor.execute(
            "ALTER TABLE bidding_bidversion ENABLE TRIGGER bidding_bidversion_append_only"
        )
    open_stage(tender, staff, Stage.FINANCIAL, FIN_TIME)
    assert Bid.objects.get(pk=versions[0].bid_id).status == Bid.Status.EXCLUDED
    assert not BidRanking.objects.filter(bid_id=versions[0].bid_id).exists()
    assert BidRanking.objects.filter(tender=tender).count() == 2


def test_award_issues_letters_rendered_once_with_their_hash(
    staff, tender_with_bids, django_capture_on_commit_callbacks
):
    tender, bidders, _ = tender_with_bids
    run_to_financial(tender, staff)

    # When the official awards
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        awards = services.award_tender(
            actor=staff.official, tender=tender, now=FIN_TIME + dt.timedelta(days=3)
        )

    # Then each winner has an award with the rule set's PBG terms and a letter queued for rendering
    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED
    assert [a.rank for a in awards] == [1, 2, 3]
    first = awards[0]
    assert first.pbg_amount_required == crore(60)  # Rs 5 crore per 100 MTPA x 1,200 MTPA
    assert first.pbg_valid_until_required == dt.date(2033, 8, 22)  # 22 Feb 2026 + 84 + 6 months
    assert AwardLetter.objects.filter(status=AwardLetter.Status.PENDING).count() == 3
    # the three letters' renderings and a checkpoint of the audit chain (and the public pages' bump)
    assert len(own(callbacks)) == 4

    # When the task's service renders a letter (twice, as a retried task would)
    letter = services.render_award_letter(letter_id=first.letter.pk)
    again = services.render_award_letter(letter_id=first.letter.pk)

    # Then one PDF is stored with its SHA-256, and the second call changed nothing
    assert letter.status == AwardLetter.Status.ISSUED
    assert (again.sha256, again.file.name) == (letter.sha256, letter.file.name)
    data = letter.file.open("rb").read()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == letter.sha256
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "LETTER OF AWARD" in text.upper()
    assert bidders[0].firm.legal_name in text
    assert "1,850.00" in text and "1,200" in text
    # and the winner can read it, another firm cannot
    assert selectors.letter_for(bidders[0], first.pk) == letter
    with pytest.raises(PermissionDenied):
        selectors.letter_for(bidders[1], first.pk)


def test_a_tender_awards_once(staff, tender_with_bids):
    tender, _, _ = tender_with_bids
    run_to_financial(tender, staff)
    services.award_tender(actor=staff.official, tender=tender, now=FIN_TIME)
    with unchanged(Award), pytest.raises(ValidationError, match="it can be awarded only after"):
        services.award_tender(actor=staff.official, tender=tender, now=FIN_TIME)


def test_a_pbg_must_meet_the_rule_sets_amount_and_validity(staff, tender_with_bids):
    tender, bidders, _ = tender_with_bids
    run_to_financial(tender, staff)
    award_day = FIN_TIME + dt.timedelta(days=1)
    award = services.award_tender(actor=staff.official, tender=tender, now=award_day)[0]
    args = {
        "bank_name": "State Bank of India",
        "guarantee_number": "BG/2026/001",
        "issued_on": award_day.date(),
    }
    with unchanged(PerformanceBankGuarantee), pytest.raises(ValidationError) as info:
        services.record_pbg(
            actor=bidders[0], award=award, amount=crore(59), valid_until=award.pbg_valid_until_required - dt.timedelta(days=1),
            now=award_day, **args,
        )  # fmt: skip
    errors = info.value.message_dict
    assert errors["amount"] == [
        "The guarantee must be for at least Rs 60,00,00,000.00 (Rs 60.00 crore): Rs 5.00 crore per 100 MTPA of the 1,200 MTPA awarded."
    ]
    assert "valid until at least 20 Aug 2033" in errors["valid_until"][0]
    # another firm cannot record it
    with pytest.raises(PermissionDenied):
        services.record_pbg(
            actor=bidders[1],
            award=award,
            amount=crore(60),
            valid_until=award.pbg_valid_until_required,
            now=award_day,
            **args,
        )
    pbg = services.record_pbg(
        actor=bidders[0],
        award=award,
        amount=crore(60),
        valid_until=award.pbg_valid_until_required,
        now=award_day,
        **args,
    )
    assert pbg.status == PerformanceBankGuarantee.Status.ACTIVE
    # a replacement supersedes it
    newer = services.record_pbg(
        actor=staff.official, award=award, amount=crore(60), valid_until=award.pbg_valid_until_required + dt.timedelta(days=30),
        now=award_day, **(args | {"guarantee_number": "BG/2026/002"}),
    )  # fmt: skip
    pbg.refresh_from_db()
    assert (pbg.status, newer.status) == ("superseded", "active")


def test_expiry_reminders_go_once_per_threshold(staff, tender_with_bids):
    tender, bidders, _ = tender_with_bids
    run_to_financial(tender, staff)
    award_day = FIN_TIME + dt.timedelta(days=1)
    award = services.award_tender(actor=staff.official, tender=tender, now=award_day)[0]
    pbg = services.record_pbg(
        actor=bidders[0], award=award, amount=crore(60), bank_name="Bank of Baroda", guarantee_number="BOB-1",
        issued_on=award_day.date(), valid_until=award.pbg_valid_until_required, now=award_day,
    )  # fmt: skip
    expiry = dt.datetime.combine(pbg.valid_until, dt.time(9), tzinfo=TECH_TIME.tzinfo)
    assert services.send_pbg_expiry_reminders(now=expiry - dt.timedelta(days=120)) == 0
    mail.outbox.clear()
    assert services.send_pbg_expiry_reminders(now=expiry - dt.timedelta(days=80)) == 1
    assert services.send_pbg_expiry_reminders(now=expiry - dt.timedelta(days=79)) == 0
    assert bidders[0].email in mail.outbox[0].to and staff.official.email in mail.outbox[0].to
    assert "expires in 80 days" in mail.outbox[0].subject
    assert services.send_pbg_expiry_reminders(now=expiry - dt.timedelta(days=25)) == 1
    assert list(
        PbgReminder.objects.order_by("-days_before").values_list("days_before", flat=True)
    ) == [90, 30]


def test_a_retender_of_forfeited_capacity_is_decided_by_the_partial_award_rule(staff):
    # Given an awarded main tender whose capacity was partly forfeited
    main = make_tender(staff)
    submit(make_bidder(), main, capacity=1200, rate="1800.00")
    run_to_financial(main, staff)
    services.award_tender(actor=staff.official, tender=main, now=FIN_TIME)
    main.refresh_from_db()
    later = FIN_TIME + dt.timedelta(days=30)
    retender = make_tender(
        staff, reference="MHI/REPM/GTE/2026/02", capacity_mtpa=900, slots=2,
        kind=Tender.Kind.RETENDER, parent=main, now=later,
    )  # fmt: skip
    assert retender.oxide_mtpa == 0

    # And three bids: L1 too large and refusing partial award, L2 too large but accepting it
    from tests.bidding import builders

    t = builders.timeline(later)
    before_due = t["bids_due"] - dt.timedelta(hours=1)
    l1 = submit(
        make_bidder("Whole Or Nothing Limited"),
        retender,
        capacity=1200,
        rate="1700.00",
        now=before_due,
    )
    l2 = submit(
        make_bidder("Flexible Magnets Limited"),
        retender,
        capacity=1200,
        rate="1750.00",
        partial=True,
        now=before_due,
    )
    l3 = submit(
        make_bidder("Small Sinter Limited"), retender, capacity=600, rate="1800.00", now=before_due
    )

    # When the covers are opened and ranked
    builders.open_stage(retender, staff, Stage.TECHNICAL, t["technical_opening_at"])
    builders.evaluate(retender, staff, now=t["technical_opening_at"])
    builders.open_stage(retender, staff, Stage.FINANCIAL, t["financial_opening_at"])

    # Then L1 is passed over, L2 gets the 900 MTPA as a partial award, L3 waits
    rows = {r.bid_id: r for r in BidRanking.objects.filter(tender=retender)}
    assert (rows[l1.bid_id].outcome, rows[l1.bid_id].waitlist_reason_code) == (
        "waitlisted",
        "partial_not_accepted",
    )
    assert "partial award of 900 MTPA not accepted by bidder" in rows[l1.bid_id].waitlist_reason
    assert (rows[l2.bid_id].allocated_mtpa, rows[l2.bid_id].is_partial) == (900, True)
    assert (rows[l3.bid_id].outcome, rows[l3.bid_id].waitlist_reason_code) == (
        "waitlisted",
        "target_fully_allocated",
    )
    awards = services.award_tender(
        actor=staff.official, tender=retender, now=t["financial_opening_at"] + dt.timedelta(days=1)
    )
    assert [(a.bid_id, a.allocated_mtpa, a.is_partial, a.pbg_amount_required) for a in awards] == [
        (l2.bid_id, 900, True, crore(45))
    ]


def test_the_sweep_renders_letters_whose_task_never_ran(staff, tender_with_bids):
    import time_machine

    from bidding import tasks
    from repm_portal import jobs
    from repm_portal.models import Job

    tender, _, _ = tender_with_bids
    run_to_financial(tender, staff)
    services.award_tender(actor=staff.official, tender=tender, now=FIN_TIME)
    assert AwardLetter.objects.filter(status=AwardLetter.Status.PENDING).count() == 3
    # every letter's rendering is a job, and a sweep a while later sends the three again
    letter_jobs = Job.objects.filter(task=AwardLetter.RENDER_TASK)
    assert letter_jobs.count() == 3
    later = letter_jobs.first().created_at + dt.timedelta(minutes=10)
    # and the audit chain's checkpoints: at the technical and financial openings and the award
    checkpoints = Job.objects.filter(task="repm_portal.tasks.checkpoint_audit_chain").count()
    assert checkpoints == 3
    with time_machine.travel(later):  # the three letters, the publication notice, the checkpoints
        assert jobs.sweep() == {"queued": 4 + checkpoints, "running": 0, "retrying": 0}
    # when the worker runs them, the letters are issued and the sweep finds nothing more
    for letter in AwardLetter.objects.all():
        assert tasks.render_award_letter(letter.pk) == AwardLetter.Status.ISSUED
    assert AwardLetter.objects.filter(status=AwardLetter.Status.ISSUED).count() == 3
    with time_machine.travel(later):  # only the notice and checkpoints, no worker sent them here
        assert jobs.sweep() == {"queued": 1 + checkpoints, "running": 0, "retrying": 0}


def test_an_issued_letter_and_an_award_cannot_be_edited_even_in_the_database(
    staff, tender_with_bids
):
    from django.db import ProgrammingError

    tender, _, _ = tender_with_bids
    run_to_financial(tender, staff)
    award = services.award_tender(actor=staff.official, tender=tender, now=FIN_TIME)[0]
    letter = services.render_award_letter(letter_id=award.letter.pk)
    with pytest.raises(ProgrammingError, match="is issued: UPDATE refused"), transaction.atomic():
        AwardLetter.objects.filter(pk=letter.pk).update(sha256="0" * 64)
    with pytest.raises(ProgrammingError, match="is issued: DELETE refused"), transaction.atomic():
        AwardLetter.objects.filter(pk=letter.pk).delete()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        Award.objects.filter(pk=award.pk).update(allocated_mtpa=600)
