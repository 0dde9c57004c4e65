"""The sales claim's workflow through its services: each move audited, each refusal clear and changing nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives.claims import selectors, services
from incentives.claims.models import Claim, ClaimDocument, ClaimUpload, LineAdjustment
from incentives.models import SanctionRequest
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.claims.sales import AFTER_Q1, Q1_START, csv_bytes, line, lines_for, submit, uploaded
from tests.claims.workflow import (
    APPROVED_AT,
    FILED_KG,
    FILED_VALUE,
    PDF_BYTES,
    STARTED_AT,
    SUBMITTED_AT,
    VERIFIED_AT,
    WINDOW_CLOSES,
    certificate,
    declare,
    drafted,
    lapsed,
    staff,
    submitted,
    under_verification,
    verified,
)
from tests.factories import FirmUserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status


def events(claim: Claim, action: str) -> list[AuditEvent]:
    return list(selectors.history_of(claim).filter(action=action))


def moves(claim: Claim) -> list[tuple[str, str]]:
    return [
        (e.old_values["status"], e.new_values["status"])
        for e in selectors.history_of(claim)
        if e.old_values and "status" in e.old_values
    ]


# --- submission -------------------------------------------------------------------------------


def test_the_firm_submits_with_its_certificate_and_declaration(award, firm_user):
    claim = drafted(award, firm_user)

    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
        now=SUBMITTED_AT,
    )  # fmt: skip

    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    assert (claim.submitted_by, claim.submitted_at) == (firm_user, SUBMITTED_AT)
    assert (claim.declared_by, claim.declared_at) == (firm_user, SUBMITTED_AT)
    document = claim.certificate
    assert document.kind == ClaimDocument.Kind.CA_CERTIFICATE
    assert document.content_type == "application/pdf"
    assert document.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert document.file.read() == PDF_BYTES
    (move,) = events(claim, "claim.submitted")
    assert move.old_values == {"status": "draft"}
    assert move.new_values["certificate_sha256"] == document.sha256
    assert move.actor == firm_user
    assert events(claim, "claim.document_received")[0].new_values["sha256"] == document.sha256


def test_submitting_freezes_the_lines(award, firm_user):
    submitted(award, firm_user)

    with pytest.raises(ValidationError, match="can no longer be replaced"):
        services.receive_upload(
            actor=firm_user, award=award, period_start=Q1_START,
            upload=uploaded(csv_bytes(lines_for(Q1_START, 2, first=50))), now=SUBMITTED_AT,
            enqueue=False,
        )  # fmt: skip
    assert ClaimUpload.objects.count() == 1


def test_a_submitted_claim_cannot_be_submitted_again(award, firm_user):
    claim = submitted(award, firm_user)
    with pytest.raises(ValidationError, match="only a draft or a returned claim"):
        services.submit_claim(
            actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
            now=SUBMITTED_AT,
        )  # fmt: skip


REFUSED_SUBMISSIONS = [
    pytest.param({"certificate": None}, ValidationError, "Attach the chartered", id="no-certificate"),
    pytest.param({"declaration": False}, ValidationError, "Tick the declaration", id="no-declaration"),
    pytest.param(
        {"certificate": certificate(b"PK\x03\x04 a zip renamed", name="ca.pdf")},
        ValidationError, "must be a PDF file", id="renamed-non-pdf",
    ),
    pytest.param(
        {"certificate": certificate(b"", name="ca.pdf")}, ValidationError, "is empty", id="empty",
    ),
    pytest.param(
        {"now": dt.datetime.combine(WINDOW_CLOSES + dt.timedelta(days=1), dt.time(10), tzinfo=SUBMITTED_AT.tzinfo)},
        ValidationError, "closed on 28 Sep 2027", id="outside-the-window",
    ),
    pytest.param({"actor": "verifier"}, PermissionDenied, "Only Firm user", id="wrong-role"),
    pytest.param({"actor": "other-firm"}, PermissionDenied, "Only the award's own firm", id="wrong-firm"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "error", "message"), REFUSED_SUBMISSIONS)
def test_a_submission_is_refused_clearly_and_changes_nothing(
    award, firm_user, change, error, message
):
    claim = drafted(award, firm_user)
    given = {
        "actor": firm_user, "claim": claim, "certificate": certificate(), "declaration": True,
        "now": SUBMITTED_AT, **change,
    }  # fmt: skip
    if given["actor"] == "verifier":
        given["actor"] = staff(Role.VERIFIER)
    elif given["actor"] == "other-firm":
        given["actor"] = FirmUserFactory()
    audited = AuditEvent.objects.count()

    with pytest.raises(error, match=message):
        services.submit_claim(**given)

    claim.refresh_from_db()
    assert claim.status == S.DRAFT and claim.submitted_at is None and claim.certificate is None
    assert not ClaimDocument.objects.exists()
    assert AuditEvent.objects.count() == audited


# --- lapse and the one reopening --------------------------------------------------------------


def test_a_draft_not_submitted_in_its_window_lapses_with_the_reason(award, firm_user):
    claim = drafted(award, firm_user)
    on_the_last_day = dt.datetime.combine(WINDOW_CLOSES, dt.time(23), tzinfo=AFTER_Q1.tzinfo)

    assert services.lapse_overdue_claims(now=on_the_last_day) == []
    lapsed_ids = services.lapse_overdue_claims(now=on_the_last_day + dt.timedelta(hours=2))

    claim.refresh_from_db()
    assert lapsed_ids == [claim.pk] and claim.status == S.LAPSED and claim.lapsed_at
    (move,) = events(claim, "claim.lapsed")
    assert move.old_values == {"status": "draft"} and move.actor is None
    assert move.new_values["reason"] == "Not submitted by 28 Sep 2027, when its window closed."
    # the sweep runs daily: a second run finds nothing
    assert services.lapse_overdue_claims(now=on_the_last_day + dt.timedelta(days=1)) == []


def test_a_submitted_claim_never_lapses(award, firm_user):
    claim = submitted(award, firm_user)
    assert services.lapse_overdue_claims(now=AFTER_Q1 + dt.timedelta(days=200)) == []
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def test_an_official_reopens_a_lapsed_claim_once_with_a_new_window(settings, award, firm_user):
    settings.CLAIM_REOPEN_DAYS = 30
    claim = lapsed(award, firm_user)
    official = staff(Role.OFFICIAL)
    reopened_at = AFTER_Q1 + dt.timedelta(days=95)  # 13 Oct 2027
    reason = "The firm's accountant was in hospital during the last week of the window."

    services.reopen_claim(actor=official, claim=claim, reason=reason, now=reopened_at)

    claim.refresh_from_db()
    assert claim.status == S.DRAFT
    assert claim.window_closes_on == dt.date(2027, 11, 12)
    assert (claim.reopened_by, claim.reopened_at, claim.reopen_reason) == (
        official, reopened_at, reason,
    )  # fmt: skip
    (move,) = events(claim, "claim.reopened")
    assert move.old_values == {"status": "lapsed"} and move.new_values["reason"] == reason
    # the firm may submit in its new window
    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True,
        now=reopened_at + dt.timedelta(days=5),
    )  # fmt: skip
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED


def test_a_second_reopening_is_refused(award, firm_user):
    claim = lapsed(award, firm_user)
    official = staff(Role.OFFICIAL)
    reason = "The firm's accountant was in hospital during the last week of the window."
    services.reopen_claim(
        actor=official, claim=claim, reason=reason, now=AFTER_Q1 + dt.timedelta(days=95)
    )
    services.lapse_overdue_claims(now=AFTER_Q1 + dt.timedelta(days=200))
    claim.refresh_from_db()
    assert claim.status == S.LAPSED

    with pytest.raises(ValidationError, match="reopened at most once"):
        services.reopen_claim(
            actor=official, claim=claim, reason=reason, now=AFTER_Q1 + dt.timedelta(days=201)
        )
    claim.refresh_from_db()
    assert claim.status == S.LAPSED


@pytest.mark.parametrize(
    ("role", "reason", "error", "message"),
    [
        (Role.OFFICIAL, "late", ValidationError, "full sentence"),
        (Role.OFFICIAL, "   ", ValidationError, "full sentence"),
        (Role.VERIFIER, "The firm's accountant was in hospital all week.", PermissionDenied, "Only Ministry official"),
        (Role.AUDITOR, "The firm's accountant was in hospital all week.", PermissionDenied, "Only Ministry official"),
    ],
)  # fmt: skip
def test_a_reopening_needs_an_official_and_a_sentence(
    award, firm_user, role, reason, error, message
):
    claim = lapsed(award, firm_user)
    with pytest.raises(error, match=message):
        services.reopen_claim(
            actor=staff(role), claim=claim, reason=reason, now=AFTER_Q1 + dt.timedelta(days=95)
        )
    claim.refresh_from_db()
    assert claim.status == S.LAPSED and claim.reopened_at is None


def test_only_a_lapsed_claim_is_reopened(award, firm_user):
    claim = drafted(award, firm_user)
    with pytest.raises(ValidationError, match="only a lapsed claim"):
        services.reopen_claim(
            actor=staff(Role.OFFICIAL), claim=claim,
            reason="The firm asks for more time to gather its invoices.", now=SUBMITTED_AT,
        )  # fmt: skip


# --- verification -----------------------------------------------------------------------------


def test_the_verifier_takes_up_a_submitted_claim(award, firm_user):
    claim = submitted(award, firm_user)
    verifier = staff(Role.VERIFIER)
    services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)
    claim.refresh_from_db()
    assert claim.status == S.UNDER_VERIFICATION
    assert (claim.verification_started_by, claim.verification_started_at) == (verifier, STARTED_AT)
    assert moves(claim)[-1] == ("submitted", "under_verification")


@pytest.mark.parametrize("role", [Role.APPROVER, Role.OFFICIAL, Role.AUDITOR, Role.FIRM_USER])
def test_only_the_verifier_takes_a_claim_up(award, firm_user, role):
    claim = submitted(award, firm_user)
    actor = firm_user if role == Role.FIRM_USER else staff(role)
    with pytest.raises(PermissionDenied):
        services.start_verification(actor=actor, claim=claim, now=STARTED_AT)
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED


def test_adjustments_exclude_correct_and_restore_and_verified_totals_follow(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    assert selectors.verified_totals(claim) == (Decimal(FILED_KG), Decimal(FILED_VALUE))

    exclude = services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="exclude",
        reason="Invoice not in the GST returns.", now=STARTED_AT,
    )  # fmt: skip
    services.adjust_line(
        actor=verifier, claim=claim, row=3, kind="correct", quantity_kg=Decimal("90.125"),
        reason="The e-way bill shows 90.125 kg.", now=STARTED_AT,
    )  # fmt: skip
    services.adjust_line(
        actor=verifier, claim=claim, row=4, kind="correct", quantity_kg="100.001",
        net_sales_value="400000.01", reason="Price at arm's length per the transfer-pricing report.",
        now=STARTED_AT,
    )  # fmt: skip
    # 502.500 - 100.500 - (100.500 - 90.125) - (100.500 - 100.001); to the paisa likewise
    assert selectors.verified_totals(claim) == (Decimal("391.126"), Decimal("1907500.01"))
    assert (exclude.made_by, exclude.made_at, exclude.upload_id) == (
        verifier, STARTED_AT, claim.current_upload_id,
    )  # fmt: skip

    # a later adjustment counts: row 3 corrected again, row 2 restored
    services.adjust_line(
        actor=verifier, claim=claim, row=3, kind="correct", quantity_kg="95.000",
        reason="Weighbridge slip supersedes the e-way bill.", now=STARTED_AT,
    )  # fmt: skip
    services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="restore",
        reason="The GST return was found, filed late.", now=STARTED_AT,
    )  # fmt: skip
    assert selectors.verified_totals(claim) == (Decimal("496.501"), Decimal("2410000.01"))
    assert LineAdjustment.objects.filter(claim=claim).count() == 5  # nothing overwritten
    assert selectors.adjusted_line_count(claim) == 2
    assert len(events(claim, "claim.line_adjusted")) == 5
    last = events(claim, "claim.line_adjusted")[-1]
    assert last.old_values["kind"] == "exclude" and last.new_values["kind"] == "restore"
    assert last.new_values["reason"] == "The GST return was found, filed late."


def test_verified_totals_is_one_query_and_nets_a_corrected_credit_note(
    award, firm_user, django_assert_num_queries
):
    verifier = staff(Role.VERIFIER)
    invoice = line(1, dt.date(2027, 5, 12))
    credit = line(
        2, dt.date(2027, 5, 20), invoice_number="CN/1", credit_note_ref=invoice["invoice_number"],
        quantity_kg="-10.000", net_sales_value="-50000.00",
    )  # fmt: skip
    claim = declare(submit(award, firm_user, csv_bytes([invoice, credit])).claim, firm_user)
    claim = services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True, now=SUBMITTED_AT
    )
    services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)
    services.adjust_line(
        actor=verifier, claim=claim, row=3, kind="correct", quantity_kg="-20.500",
        net_sales_value="-102500.00", reason="The credit note covers 20.5 kg.", now=STARTED_AT,
    )  # fmt: skip
    claim.refresh_from_db()

    with django_assert_num_queries(1):
        totals = selectors.verified_totals(claim)

    assert totals == (Decimal("80.000"), Decimal("400000.00"))


REFUSED_ADJUSTMENTS = [
    pytest.param({"reason": "  "}, ValidationError, "Give the reason row 2 is adjusted", id="empty-reason"),
    pytest.param({"reason": "Duplicate"}, ValidationError, "reason row 2 is adjusted as at least a sentence", id="one-word-reason"),
    pytest.param({"reason": "A duplicate invoice\x1b[31m."}, ValidationError, "U\\+001B", id="control-character-reason"),
    pytest.param({"kind": "correct", "quantity_kg": "-5.000"}, ValidationError, "must be positive on an invoice", id="negative-kg-on-an-invoice"),
    pytest.param({"kind": "correct", "net_sales_value": "0"}, ValidationError, "must be positive on an invoice", id="zero-value"),
    pytest.param({"kind": "correct", "quantity_kg": "1.0005"}, ValidationError, "more than 3 decimals", id="too-precise"),
    pytest.param({"kind": "correct"}, ValidationError, "Give the corrected kg", id="correct-without-amounts"),
    pytest.param({"quantity_kg": "5.000"}, ValidationError, "takes no amounts", id="exclude-with-amounts"),
    pytest.param({"kind": "restore"}, ValidationError, "nothing to undo", id="restore-unadjusted"),
    pytest.param({"kind": "remove"}, ValidationError, "not one of exclude", id="unknown-kind"),
    pytest.param({"row": 99}, ValidationError, "Row 99 is not a line", id="unknown-row"),
    pytest.param({"actor": Role.APPROVER}, PermissionDenied, "Only Verifier", id="approver"),
    pytest.param({"actor": Role.AUDITOR}, PermissionDenied, "Only Verifier", id="auditor"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "error", "message"), REFUSED_ADJUSTMENTS)
def test_a_bad_adjustment_is_refused_clearly_and_keeps_nothing(
    award, firm_user, change, error, message
):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    given = {
        "actor": verifier, "claim": claim, "row": 2, "kind": "exclude",
        "reason": "Not in the GST returns.", "now": STARTED_AT, **change,
    }  # fmt: skip
    if given["actor"] != verifier:
        given["actor"] = staff(given["actor"])
    with pytest.raises(error, match=message):
        services.adjust_line(**given)
    assert not LineAdjustment.objects.exists()
    assert not events(claim, "claim.line_adjusted")


@pytest.mark.parametrize("at", ["submitted", "verified"])
def test_no_adjustment_outside_verification(award, firm_user, at):
    verifier = staff(Role.VERIFIER)
    claim = (submitted if at == "submitted" else verified)(
        award, firm_user, *([verifier] if at == "verified" else [])
    )
    with pytest.raises(ValidationError, match="only while it is under verification"):
        services.adjust_line(
            actor=verifier, claim=claim, row=2, kind="exclude", reason="Not in the GST returns.",
            now=VERIFIED_AT,
        )  # fmt: skip
    assert not LineAdjustment.objects.exists()


def test_the_database_keeps_adjustments_append_only_and_explained(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    adjustment = services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="exclude", reason="Not in the GST returns.",
        now=STARTED_AT,
    )  # fmt: skip
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LineAdjustment.objects.filter(pk=adjustment.pk).update(reason="changed")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        LineAdjustment.objects.filter(pk=adjustment.pk).delete()
    bad = LineAdjustment(
        claim=claim, upload_id=claim.current_upload_id, row=3, kind="exclude", reason="",
        made_by=verifier, made_at=STARTED_AT,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_the_verifier_returns_the_claim_and_the_firm_uploads_again_and_resubmits(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="exclude", reason="Not in the GST returns.",
        now=STARTED_AT,
    )  # fmt: skip
    reason = "Rows 2 and 4 lack e-way bills; upload the corrected lines."

    services.return_claim(actor=verifier, claim=claim, reason=reason, now=STARTED_AT)
    claim.refresh_from_db()
    assert claim.status == S.RETURNED and claim.decision_reason == reason
    assert events(claim, "claim.returned")[0].new_values["reason"] == reason

    # after the window closed, a returned claim still takes a corrected file
    late = dt.datetime.combine(
        WINDOW_CLOSES + dt.timedelta(days=10), dt.time(11), tzinfo=AFTER_Q1.tzinfo
    )
    corrected = submit(award, firm_user, csv_bytes(lines_for(Q1_START, 3, first=20)), now=late)
    assert corrected.status == ClaimUpload.Status.ACCEPTED
    claim.refresh_from_db()
    assert claim.status == S.RETURNED and claim.line_count == 3
    # the old upload's adjustments judged other lines: they no longer count
    assert selectors.verified_totals(claim) == (Decimal("301.500"), Decimal("1507500.00"))

    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True, now=late
    )
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.submitted_at == late
    assert claim.documents.count() == 2 and claim.decision_reason == ""
    assert moves(claim)[-2:] == [("under_verification", "returned"), ("returned", "submitted")]


@pytest.mark.parametrize("service", ["return_claim", "reject_claim"])
def test_return_and_reject_need_a_reason_and_a_claim_under_verification(award, firm_user, service):
    verifier = staff(Role.VERIFIER)
    claim = submitted(award, firm_user)
    act = getattr(services, service)
    with pytest.raises(ValidationError, match="only while it is under verification"):
        act(actor=verifier, claim=claim, reason="Not in the GST returns.", now=STARTED_AT)
    services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)
    with pytest.raises(ValidationError, match="Give the reason the claim is"):
        act(actor=verifier, claim=claim, reason=" ", now=STARTED_AT)
    for reason in ("Duplicates", "Invoices are not in\x00 the GST returns."):
        with pytest.raises(ValidationError, match="reason the claim is"):
            act(actor=verifier, claim=claim, reason=reason, now=STARTED_AT)
    with pytest.raises(PermissionDenied):
        act(actor=staff(Role.AUDITOR), claim=claim, reason="No.", now=STARTED_AT)
    assert Claim.objects.get(pk=claim.pk).status == S.UNDER_VERIFICATION


def test_the_verifier_rejects_with_reasons(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    services.reject_claim(
        actor=verifier, claim=claim, reason="The plant was not producing in this quarter.",
        now=VERIFIED_AT,
    )  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == S.REJECTED
    assert events(claim, "claim.rejected")[0].new_values["reason"].startswith("The plant")


def test_the_verifier_verifies_at_the_adjusted_totals(award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    services.adjust_line(
        actor=verifier, claim=claim, row=2, kind="exclude", reason="Not in the GST returns.",
        now=STARTED_AT,
    )  # fmt: skip
    # the declared oxide makes the filed 502.5 kg; 402 kg are verified: a mismatch to explain
    services.verify_claim(
        actor=verifier, claim=claim, remarks="Checked against GSTR-1.", now=VERIFIED_AT,
        feedstock_note="The excluded invoice's magnets are in stock, made from this oxide.",
    )  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == S.VERIFIED
    assert (claim.verified_by, claim.verified_at) == (verifier, VERIFIED_AT)
    assert claim.feedstock_conclusion == "mismatch_accepted"
    (move,) = events(claim, "claim.verified")
    assert move.new_values["verified_kg"] == "402.000" and move.new_values["adjusted_lines"] == 1


# --- approval: maker-checker, and the sanction asked for ---------------------------------------


def test_an_approver_approves_and_the_sanction_is_requested_in_the_same_transaction(
    award, firm_user, sli_kind
):
    claim = verified(award, firm_user)
    approver = staff(Role.APPROVER)

    services.approve_claim(actor=approver, claim=claim, now=APPROVED_AT)

    claim.refresh_from_db()
    assert claim.status == S.APPROVED
    assert (claim.approved_by, claim.approved_at) == (approver, APPROVED_AT)
    request = SanctionRequest.objects.get()
    assert (request.claim_type, request.claim_id, request.key) == (
        "sli_quarter", str(claim.pk), f"sli_quarter:{claim.pk}",
    )  # fmt: skip
    assert request.requested_by == approver
    assert moves(claim)[-1] == ("verified", "approved")


def test_the_verifier_may_not_approve_what_they_verified(award, firm_user, sli_kind):
    maker = staff(Role.VERIFIER)
    claim = verified(award, firm_user, maker)
    maker.role = Role.APPROVER  # promoted since
    maker.save()

    with pytest.raises(PermissionDenied, match="maker-checker"):
        services.approve_claim(actor=maker, claim=claim, now=APPROVED_AT)
    claim.refresh_from_db()
    assert claim.status == S.VERIFIED and not SanctionRequest.objects.exists()


def test_the_database_refuses_an_approval_by_the_verifier(award, firm_user):
    maker = staff(Role.VERIFIER)
    claim = verified(award, firm_user, maker)
    with pytest.raises(IntegrityError, match="claim_maker_checker"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(
            status=S.APPROVED, approved_by=maker, approved_at=APPROVED_AT
        )
    with pytest.raises(IntegrityError, match="claim_maker_checker"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status=S.APPROVED)  # nobody approved it


@pytest.mark.parametrize("role", [Role.VERIFIER, Role.OFFICIAL, Role.AUDITOR, Role.ADMIN])
def test_only_an_approver_approves(award, firm_user, sli_kind, role):
    claim = verified(award, firm_user)
    with pytest.raises(PermissionDenied):
        services.approve_claim(actor=staff(role), claim=claim, now=APPROVED_AT)
    assert Claim.objects.get(pk=claim.pk).status == S.VERIFIED


def test_only_a_verified_claim_is_approved(award, firm_user, sli_kind):
    claim = under_verification(award, firm_user)
    with pytest.raises(ValidationError, match="only a verified claim"):
        services.approve_claim(actor=staff(Role.APPROVER), claim=claim, now=APPROVED_AT)


def test_the_database_requires_a_complete_submission(award, firm_user):
    claim = drafted(award, firm_user)
    with pytest.raises(IntegrityError, match="claim_submitted_complete"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status=S.SUBMITTED)


# --- service levels ---------------------------------------------------------------------------


def test_the_verification_service_level_counts_days_from_submission(award, firm_user):
    claim = submitted(award, firm_user)  # 11 Jul 2027
    sla = selectors.verification_sla(claim, now=SUBMITTED_AT + dt.timedelta(days=45))
    assert (sla.days, sla.elapsed, sla.days_left, sla.overdue) == (60, 45, 15, False)
    assert sla.due_on == dt.date(2027, 9, 9)
    late = selectors.verification_sla(claim, now=SUBMITTED_AT + dt.timedelta(days=62))
    assert (late.days_left, late.days_late, late.overdue) == (-2, 2, True)

    official = staff(Role.OFFICIAL)
    assert selectors.overdue_verifications(official, now=SUBMITTED_AT + dt.timedelta(days=59)) == []
    assert selectors.overdue_verifications(official, now=SUBMITTED_AT + dt.timedelta(days=62)) == [
        claim
    ]
    assert (
        selectors.overdue_verifications(firm_user, now=SUBMITTED_AT + dt.timedelta(days=62)) == []
    )


def test_a_verified_claim_shows_how_long_verification_took(award, firm_user):
    claim = verified(award, firm_user)
    sla = selectors.verification_sla(claim, now=SUBMITTED_AT + dt.timedelta(days=300))
    assert (sla.pending, sla.elapsed, sla.overdue) == (False, 12, False)


def test_the_daily_beat_task_lapses_overdue_drafts(settings, award, firm_user, time_machine):
    from incentives.claims import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["claims-lapse-overdue"]
    assert entry["task"] == tasks.lapse_overdue_claims.name
    claim = drafted(award, firm_user)
    time_machine.move_to(AFTER_Q1 + dt.timedelta(days=90), tick=False)
    assert tasks.lapse_overdue_claims() == 1
    assert Claim.objects.get(pk=claim.pk).status == S.LAPSED
