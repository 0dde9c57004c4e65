"""The claim from upload to sanction, through the services and the lead's sanction pipeline, for real."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives import ledger, sanctions
from incentives.capital import services
from incentives.capital.models import CapitalSubsidyClaim, ClaimDocument, InvestmentLine
from incentives.capital.reading import LedgerRejected
from incentives.models import EntryKind, LedgerEntry, SanctionLetter, SanctionRequest
from repm_portal.models import AuditEvent
from repm_portal.money import crore
from repm_portal.roles import Role
from tests.capital.ledgers import (
    NOW,
    certificate,
    firm_user,
    ledger_csv,
    line,
)
from tests.factories import AwardFactory, PlantFactory, UserFactory

Status = CapitalSubsidyClaim.Status
LATER = NOW + dt.timedelta(days=20)


def upload(award, rows, *, now=NOW, with_certificate=True, **kwargs):
    return services.upload_ledger(
        actor=firm_user(award),
        award=award,
        ledger_file=ledger_csv(rows, **kwargs),
        certificate_file=certificate() if with_certificate else None,
        now=now,
    )


def to_sanction(claim, users, *, exclusions=None, now=LATER):
    """Submit, verify, approve and issue: the letter (or None) and the claim as it ends."""
    award = claim.award
    services.submit_claim(actor=firm_user(award), claim=claim, now=now)
    services.verify_claim(
        actor=users[Role.VERIFIER], claim=claim, exclusions=exclusions or {}, now=now
    )
    services.approve_claim(actor=users[Role.APPROVER], claim=claim, now=now)
    request = SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}")
    letter = sanctions.issue(request.pk, now=now + dt.timedelta(hours=1))
    claim.refresh_from_db()
    return letter, claim


def counts():
    return (
        CapitalSubsidyClaim.objects.count(),
        ClaimDocument.objects.count(),
        InvestmentLine.objects.count(),
        AuditEvent.objects.count(),
    )


# Upload and judging


def test_an_upload_judges_each_line_with_its_reason(award):
    claim = upload(
        award,
        [
            line("400"),
            line("50", head="other", item="Land"),
            line("10", date="2025-03-31"),
            line("20", vendor="Shanti Thermal", invoice="DUP-1"),
            line("20", vendor=" shanti thermal", invoice="dup-1"),
        ],
    )
    lines = list(claim.lines.order_by("row_number"))

    assert claim.status == Status.DRAFT
    assert claim.allocated_mtpa == 1200
    assert [x.eligible for x in lines] == [True, False, False, True, False]
    assert "Head 'other'" in lines[1].reason
    assert "before 1 Apr 2025" in lines[2].reason
    assert lines[4].reason == "Repeats the vendor and invoice number of row 5"
    assert claim.claimed_total == crore(500)
    assert claim.eligible_total == crore(420)
    assert claim.ledger.sha256 and claim.certificate.sha256
    assert AuditEvent.objects.filter(
        action="capitalsubsidyclaim.ledger_uploaded", object_id=str(claim.pk)
    ).exists()


def test_the_plant_must_be_commissioned(rules):
    award = PlantFactory().award

    with pytest.raises(ValidationError, match="not commissioned"):
        upload(award, [line("400")])
    assert CapitalSubsidyClaim.objects.count() == 0


def test_only_the_award_firms_user_may_upload(award, users):
    with pytest.raises(PermissionDenied):
        services.upload_ledger(
            actor=users[Role.FIRM_USER], award=award, ledger_file=ledger_csv([line()]),
            certificate_file=certificate(), now=NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.upload_ledger(
            actor=users[Role.VERIFIER], award=award, ledger_file=ledger_csv([line()]),
            certificate_file=certificate(), now=NOW,
        )  # fmt: skip


def test_the_first_upload_needs_the_ca_certificate(award):
    with pytest.raises(ValidationError, match="chartered accountant"):
        upload(award, [line()], with_certificate=False)
    assert counts()[:3] == (0, 0, 0)


def test_a_certificate_that_is_not_a_pdf_is_refused(award):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(ValidationError, match="PDF"):
        services.upload_ledger(
            actor=firm_user(award), award=award, ledger_file=ledger_csv([line()]),
            certificate_file=SimpleUploadedFile("ca.pdf", b"GIF89a..."), now=NOW,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "header", "name", "rule", "row", "column"),
    [
        ([["A", "other", "V", "1", "2027-01-01", "5"]], ["item", "type", "vendor", "invoice", "date", "amount"], "l.csv", "unknown_column", 1, "type"),
        ([line(), ["A", "other", "V", "1", "2027-01-01", "-5"]], None, "l.csv", "negative", 3, "amount"),
        ([line(), ["A", "other", "V", "1", "2031-01-01", "5"]], None, "l.csv", "future_date", 3, "invoice_date"),
        ([line(), ["A", "machines", "V", "1", "2027-01-01", "5"]], None, "l.csv", "unknown_head", 3, "head"),
    ],
)  # fmt: skip
def test_a_bad_ledger_stores_nothing_and_names_row_column_and_rule(
    award, rows, header, name, rule, row, column
):
    before = counts()
    kwargs = {"header": header} if header else {}

    with pytest.raises(LedgerRejected) as caught:
        upload(award, rows, name=name, **kwargs)

    assert any((e.rule, e.row, e.column) == (rule, row, column) for e in caught.value.errors)
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "name", "text"),
    [
        (b"", "ledger.csv", "empty (0 bytes)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ledger.csv", "PNG image"),
        (b"%PDF-1.7\n%binary", "ledger.xlsx", "not an Excel workbook"),
    ],
)
def test_a_zero_byte_file_or_a_renamed_binary_stores_nothing(award, data, name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    with pytest.raises(LedgerRejected) as caught:
        services.upload_ledger(
            actor=firm_user(award), award=award, ledger_file=SimpleUploadedFile(name, data),
            certificate_file=certificate(), now=NOW,
        )  # fmt: skip

    assert text in caught.value.errors[0].message
    assert caught.value.errors[0].row is None
    assert counts() == before


def test_a_second_upload_to_a_draft_replaces_the_lines_and_keeps_the_old_file(award):
    first = upload(award, [line("400"), line("100")])
    second = services.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv([line("700")]), now=NOW
    )

    assert second.pk == first.pk
    assert second.line_count == 1 and second.eligible_total == crore(700)
    assert second.documents.filter(kind=ClaimDocument.Kind.LEDGER).count() == 2
    assert second.certificate_id == first.certificate_id  # kept when none is attached


def test_one_open_claim_per_award_in_the_database(award):
    claim = upload(award, [line("400")])

    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalSubsidyClaim.objects.create(
            award=award, sequence=2, reference="CS/X/2", rule_set=claim.rule_set,
            allocated_mtpa=1200, created_by=claim.created_by, created_at=NOW,
        )  # fmt: skip


def test_the_database_refuses_a_line_judged_ineligible_without_a_reason(award):
    claim = upload(award, [line("400")])
    row = claim.lines.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        InvestmentLine.objects.filter(pk=row.pk).update(eligible=False)


# The whole way, sanctioned for real


def test_a_claim_runs_from_upload_to_sanction_letter_and_ledger(award, users):
    claim = upload(award, [line("500"), line("200", head="R&D"), line("30", head="other")])

    letter, claim = to_sanction(claim, users)

    assert claim.status == Status.SANCTIONED
    assert claim.verified_eligible == crore(700)
    assert claim.sanctioned_amount == crore(105)  # 15 % of Rs 700 crore, under the Rs 150 crore cap
    assert claim.letter == letter
    assert letter.status == SanctionLetter.Status.ISSUED
    assert letter.number.startswith("REPM/CS/2028-29/")
    assert letter.content["claim_ref"] == claim.reference
    entry = LedgerEntry.objects.get(letter=letter, kind=EntryKind.SANCTION)
    assert entry.amount == crore(105)
    assert entry.award_cap == crore(150)
    assert ledger.sanctioned("capital_subsidy", award) == crore(105)
    assert AuditEvent.objects.filter(
        action="capitalsubsidyclaim.sanctioned", object_id=str(claim.pk)
    ).exists()


@pytest.mark.parametrize(
    ("capacity", "eligible_crore", "expected_crore"),
    [
        (600, "299.99", "0"),
        (600, "300", "45"),
        (600, "1000", "75"),
        (800, "399", "0"),
        (800, "401", "60.15"),
        (800, "800", "100"),
        (1000, "499.5", "0"),
        (1000, "500.5", "75.075"),
        (1000, "900", "125"),
        (1200, "599", "0"),
        (1200, "601", "90.15"),
        (1200, "1200", "150"),
    ],
)
def test_each_slab_edge_sanctioned_for_real(rules, users, capacity, eligible_crore, expected_crore):
    award = AwardFactory(commissioned=True, allocated_mtpa=capacity)
    claim = upload(award, [line(eligible_crore)])

    letter, claim = to_sanction(claim, users)

    expected = crore(expected_crore)
    assert claim.sanctioned_amount == expected
    if expected:
        assert claim.status == Status.SANCTIONED
        assert letter.amount == expected
    else:
        assert claim.status == Status.NIL and letter is None
        assert not LedgerEntry.objects.filter(award=award).exists()


def test_a_capacity_of_700_uses_the_700_to_800_slab(rules, users):
    award = AwardFactory(commissioned=True, allocated_mtpa=700)
    claim = upload(award, [line("900")])

    letter, claim = to_sanction(claim, users)

    assert claim.sanctioned_amount == crore(100)
    assert {
        "label": "Allocated capacity",
        "value": "700 MTPA",
        "note": "slab 700-800 MTPA",
    } in letter.content["lines"]


def _spend_pool(rules, leave: Decimal):
    """Another award takes all of the pool but `leave`, as an earlier sanction."""
    other = AwardFactory(commissioned=True, allocated_mtpa=600)
    with transaction.atomic():
        ledger.post(
            kind=EntryKind.SANCTION, pool="capital_subsidy", award=other,
            amount=rules.capital_subsidy_pool - leave, source_key="test:spend-pool",
            rule_set=rules, document_ref="test", narration="pool spent by others", now=NOW,
        )  # fmt: skip


def test_a_pool_nearly_spent_pays_what_is_left(rules, users, award):
    _spend_pool(rules, crore("2.5"))
    claim = upload(award, [line("700")])

    letter, claim = to_sanction(claim, users)

    assert claim.sanctioned_amount == crore("2.5")
    assert letter.content["lines"][-1]["note"] == "what is left in the pool"
    assert ledger.pool_headroom(rules, "capital_subsidy") == Decimal("0.00")


def test_a_spent_pool_closes_the_claim_nil(rules, users, award):
    _spend_pool(rules, Decimal("0"))
    claim = upload(award, [line("700")])

    letter, claim = to_sanction(claim, users)

    assert letter is None
    assert claim.status == Status.NIL
    assert claim.sanctioned_amount == Decimal("0.00")
    assert SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}").status == "nil"


def test_a_second_claim_gets_the_cap_left_and_its_repeats_are_judged(users, award):
    first = upload(award, [line("800", invoice="F-1")])
    to_sanction(first, users)  # Rs 120 crore of the Rs 150 crore cap

    second = upload(award, [line("800", invoice="F-1"), line("400", invoice="F-2")], now=LATER)
    repeat = second.lines.get(invoice_number="F-1")
    _, second = to_sanction(second, users, now=LATER + dt.timedelta(days=1))

    assert second.sequence == 2
    assert not repeat.eligible
    assert repeat.reason == f"Already claimed in claim {first.reference}"
    assert second.verified_eligible == crore(400)
    assert second.sanctioned_amount == crore(30)  # 60 at the rate, but only 30 of the cap is left
    assert ledger.sanctioned("capital_subsidy", award) == crore(150)


def test_a_rejected_claims_invoices_may_be_claimed_again(users, award):
    first = upload(award, [line("800", invoice="R-1")])
    services.submit_claim(actor=firm_user(award), claim=first, now=NOW)
    services.reject_claim(
        actor=users[Role.VERIFIER],
        claim=first,
        reason="The certificate is signed by the wrong CA.",
        now=NOW,
    )

    second = upload(award, [line("800", invoice="R-1")], now=LATER)

    assert second.lines.get().eligible


# Verification, maker-checker, return and reject


def test_the_verifier_excludes_lines_with_reasons_audited(users, award):
    claim = upload(award, [line("500"), line("300"), line("10", head="other")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    rows = list(claim.lines.order_by("row_number"))

    with pytest.raises(ValidationError, match="Give the reason row 3 is excluded"):
        services.verify_claim(actor=users[Role.VERIFIER], claim=claim, exclusions={rows[1].pk: " "})
    for why in ("Duplicate", "The invoice is a\x1b duplicate."):
        with pytest.raises(ValidationError, match="reason row 3 is excluded"):
            services.verify_claim(
                actor=users[Role.VERIFIER], claim=claim, exclusions={rows[1].pk: why}
            )
    claim.refresh_from_db()
    assert claim.status == "submitted" and not claim.lines.filter(excluded=True).exists()
    with pytest.raises(ValidationError, match="already judged not eligible"):
        services.verify_claim(actor=users[Role.VERIFIER], claim=claim, exclusions={rows[2].pk: "x"})
    services.verify_claim(
        actor=users[Role.VERIFIER],
        claim=claim,
        exclusions={rows[1].pk: "No bill of entry"},
        now=NOW,
    )

    claim.refresh_from_db()
    excluded = claim.lines.get(pk=rows[1].pk)
    assert claim.status == Status.VERIFIED
    assert claim.verified_eligible == crore(500)
    assert excluded.excluded and excluded.exclusion_reason == "No bill of entry"
    assert excluded.excluded_by == users[Role.VERIFIER]
    event = AuditEvent.objects.get(action="investmentline.excluded", object_id=str(rows[1].pk))
    assert event.new_values["exclusion_reason"] == "No bill of entry"


def test_the_verifier_may_not_approve_what_they_verified(users, award):
    claim = upload(award, [line("700")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    maker = UserFactory(role=Role.VERIFIER)
    services.verify_claim(actor=maker, claim=claim, now=NOW)
    maker.role = Role.APPROVER  # promoted since
    maker.save()

    with pytest.raises(PermissionDenied, match="maker-checker"):
        services.approve_claim(actor=maker, claim=claim, now=NOW)
    with pytest.raises(PermissionDenied):
        services.approve_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)
    claim.refresh_from_db()
    assert claim.status == Status.VERIFIED
    assert not SanctionRequest.objects.exists()


def test_the_database_refuses_approval_by_the_verifier(users, award):
    claim = upload(award, [line("700")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    services.verify_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        CapitalSubsidyClaim.objects.filter(pk=claim.pk).update(
            status=Status.APPROVED, approved_by=users[Role.VERIFIER], approved_at=NOW
        )


def test_a_returned_claim_is_corrected_and_resubmitted(users, award):
    claim = upload(award, [line("100")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    with pytest.raises(ValidationError, match="Give the reason the claim is returned"):
        services.return_claim(actor=users[Role.VERIFIER], claim=claim, reason="")
    for reason in ("Incomplete", "The ledger is\u202e incomplete."):
        with pytest.raises(ValidationError, match="reason the claim is returned"):
            services.return_claim(actor=users[Role.VERIFIER], claim=claim, reason=reason)
    claim.refresh_from_db()
    assert claim.status == "submitted"
    services.return_claim(
        actor=users[Role.VERIFIER],
        claim=claim,
        reason="The ledger misses the March invoices.",
        now=NOW,
    )
    claim.refresh_from_db()
    assert claim.status == Status.RETURNED

    claim = services.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv([line("700")]), now=LATER
    )
    services.submit_claim(actor=firm_user(award), claim=claim, now=LATER)

    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED
    assert claim.eligible_total == crore(700)
    assert list(
        AuditEvent.objects.filter(
            object_type="capital.capitalsubsidyclaim", object_id=str(claim.pk)
        )
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "capitalsubsidyclaim.created",
        "capitalsubsidyclaim.ledger_uploaded",
        "capitalsubsidyclaim.submitted",
        "capitalsubsidyclaim.returned",
        "capitalsubsidyclaim.draft",
        "capitalsubsidyclaim.ledger_uploaded",
        "capitalsubsidyclaim.submitted",
    ]


def test_a_submitted_claim_takes_no_new_ledger(award):
    claim = upload(award, [line("100")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)

    with pytest.raises(ValidationError, match="submitted for verification"):
        upload(award, [line("700")])


def test_the_approver_sends_back_or_rejects_and_the_verifier_cannot_reject_a_verified_claim(
    users, award
):
    claim = upload(award, [line("700")])
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    services.verify_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)
    services.send_back(
        actor=users[Role.APPROVER], claim=claim, reason="Check the invoice on row 2 again.", now=NOW
    )
    claim.refresh_from_db()
    assert claim.status == Status.SUBMITTED and claim.verified_eligible is None
    services.verify_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)

    with pytest.raises(PermissionDenied):
        services.reject_claim(
            actor=users[Role.VERIFIER], claim=claim, reason="The line is not an investment."
        )
    services.reject_claim(
        actor=users[Role.APPROVER],
        claim=claim,
        reason="The line is not an investment in the plant.",
        now=NOW,
    )

    claim.refresh_from_db()
    assert claim.status == Status.REJECTED
    assert claim.decision_reason == "The line is not an investment in the plant."


def test_an_illegal_move_raises(users, award):
    claim = upload(award, [line("700")])

    with pytest.raises(ValidationError, match="only a submitted claim is verified"):
        services.verify_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)
    with pytest.raises(ValidationError, match="only a verified claim is approved"):
        services.approve_claim(actor=users[Role.APPROVER], claim=claim, now=NOW)


def test_issuing_twice_issues_one_letter(users, award):
    claim = upload(award, [line("700")])
    letter, claim = to_sanction(claim, users)
    request = SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}")

    again = sanctions.issue(request.pk, now=LATER)

    assert again.pk == letter.pk
    assert LedgerEntry.objects.filter(award=award).count() == 1


def test_a_claim_below_the_minimum_is_nil_and_a_top_up_past_it_is_paid_on_the_whole(users, award):
    first = upload(award, [line("500", invoice="T-1")])
    letter, first = to_sanction(first, users)
    assert letter is None and first.status == Status.NIL

    second = upload(award, [line("200", invoice="T-2")], now=LATER)
    letter, second = to_sanction(second, users, now=LATER + dt.timedelta(days=1))

    assert second.sanctioned_amount == crore(105)  # 15 % of Rs 700 crore
    assert any(
        x["label"] == "Eligible investment in earlier claims of the award"
        for x in letter.content["lines"]
    )
