"""The sanction pipeline: one letter per request however often it runs, gap-free numbers, the PDF's figures."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from pypdf import PdfReader

from incentives import ledger, sanctions, tasks
from incentives.models import (
    EntryKind,
    LedgerEntry,
    LetterSeries,
    Pool,
    SanctionLetter,
    SanctionRequest,
)
from repm_portal import jobs
from repm_portal.models import AuditEvent, Job
from repm_portal.money import crore
from tests.factories import AwardFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)


def _request(grants, users, award, claim_id, amount):
    grants.add(claim_id, award, amount)
    with transaction.atomic():
        return sanctions.request_sanction(
            claim_type=grants.code, claim_id=claim_id, actor=users["approver"], now=NOW
        )


def _pdf_text(letter: SanctionLetter) -> str:
    with letter.file.open("rb") as f:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(f.read())).pages)


def _fonts(letter: SanctionLetter) -> set[str]:
    with letter.file.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        names |= {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    return names


def test_a_request_is_sanctioned_posted_and_rendered(grants, users, award):
    request = _request(grants, users, award, "1", "75,12,34,567.89".replace(",", ""))
    letter = sanctions.issue(request.pk, now=NOW)
    assert letter.status == SanctionLetter.Status.ISSUED
    assert letter.number == "REPM/TG/2028-29/0001"
    assert letter.amount == Decimal("751234567.89")
    entry = LedgerEntry.objects.get(letter=letter)
    assert (entry.kind, entry.amount, entry.claim_id) == (EntryKind.SANCTION, letter.amount, "1")
    assert grants.results["1"] == letter
    assert len(letter.sha256) == 64 and letter.file.size == letter.size
    request.refresh_from_db()
    assert request.status == SanctionRequest.Status.SANCTIONED


def test_running_the_task_twice_issues_one_letter(grants, users, award):
    request = _request(grants, users, award, "2", crore(3))
    first = sanctions.issue(request.pk, now=NOW)
    second = sanctions.issue(request.pk, now=NOW + dt.timedelta(minutes=5))
    assert first.pk == second.pk and first.sha256 == second.sha256
    assert SanctionLetter.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.SANCTION).count() == 1
    assert LetterSeries.objects.get().last_serial == 1
    # and asking again for the same claim returns the first request
    with transaction.atomic():
        again = sanctions.request_sanction(
            claim_type=grants.code, claim_id="2", actor=users["approver"], now=NOW
        )
    assert again.pk == request.pk


def test_the_pdf_shows_the_figures_in_numbers_and_words(grants, users, award):
    request = _request(grants, users, award, "3", "750000000.00")
    letter = sanctions.issue(request.pk, now=NOW)
    text = " ".join(_pdf_text(letter).split())
    assert "REPM/TG/2028-29/0001" in text
    assert "Rs 75,00,00,000.00" in text
    assert "Rupees Seventy-Five Crore Only" in text
    assert f"version {award.rule_set.version}" in text
    assert award.bid.firm.legal_name in text
    assert award.bid.firm.bank_accounts.first().ifsc in text
    assert "Left in the pool" in text  # the computation, line by line
    assert f"/verify/letters/t/{letter.verify_token}/" in "".join(text.split())  # the QR's address
    # the Devanagari headings are set in a Devanagari font embedded in the file
    assert any("Noto-Sans-Devanagari" in name for name in _fonts(letter))


def test_numbers_are_gap_free_even_when_a_sanction_fails(grants, users, award):
    grants.award_cap = crore(10)
    ok = _request(grants, users, award, "a", crore(6))
    over = _request(grants, users, award, "b", crore(6))  # would pass the award's cap
    last = _request(grants, users, award, "c", crore(4))
    assert sanctions.issue(ok.pk, now=NOW).serial == 1
    with pytest.raises(ledger.LimitExceeded):
        sanctions.issue(over.pk, now=NOW)
    assert sanctions.issue(last.pk, now=NOW).serial == 2  # the failed attempt took no number
    assert list(SanctionLetter.objects.order_by("serial").values_list("serial", flat=True)) == [
        1,
        2,
    ]
    over.refresh_from_db()
    assert over.status == SanctionRequest.Status.REFUSED and "past its cap" in over.refusal
    # the refused request's job ends done, and the sweeper leaves it alone
    assert tasks.issue_sanction(over.pk) is None
    assert jobs.job_for(sanctions.ISSUE_TASK, over.pk).state == Job.State.DONE
    with time_machine.travel(NOW + dt.timedelta(minutes=10)):
        # ok's and last's letters' renderings, and the audit checkpoints their sanctions queued
        assert jobs.sweep() == {"queued": 4, "running": 0, "retrying": 0}
    assert SanctionLetter.objects.count() == 2


def test_a_new_financial_year_starts_a_new_series(grants, users, award):
    first = sanctions.issue(_request(grants, users, award, "y1", crore(1)).pk, now=NOW)
    april = dt.datetime(2029, 4, 1, 6, 0, tzinfo=dt.UTC)
    second = sanctions.issue(_request(grants, users, award, "y2", crore(1)).pk, now=april)
    assert (first.number, second.number) == ("REPM/TG/2028-29/0001", "REPM/TG/2029-30/0001")


def test_nothing_payable_issues_no_letter(grants, users, award):
    limit = ledger.pool_limit(award.rule_set, Pool.CAPITAL_SUBSIDY)
    spent = _request(grants, users, AwardFactory(), "all", limit)
    sanctions.issue(spent.pk, now=NOW)
    request = _request(grants, users, award, "late", crore(1))
    assert sanctions.issue(request.pk, now=NOW) is None
    request.refresh_from_db()
    assert request.status == SanctionRequest.Status.NIL
    assert grants.results["late"] is None
    assert AuditEvent.objects.filter(action="sanction.nil").exists()


def test_an_issued_letter_is_immutable(grants, users, award):
    letter = sanctions.issue(_request(grants, users, award, "imm", crore(2)).pk, now=NOW)
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        SanctionLetter.objects.filter(pk=letter.pk).update(amount=crore(3))
    with (
        pytest.raises(Exception, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM incentives_sanctionletter WHERE id = %s", [letter.pk])
    letter.refresh_from_db()
    assert letter.amount == crore(2)


def test_a_correction_issues_a_new_letter_that_reverses_the_old(grants, users, award):
    letter = sanctions.issue(_request(grants, users, award, "cor", crore(5)).pk, now=NOW)
    grants.add("cor", award, crore(4))  # the claim's figure, recomputed, is now lower
    with pytest.raises(ValidationError):
        sanctions.request_correction(letter=letter, actor=users["approver"], reason="  ")
    for reason in ("Ineligible", "An ineligible invoice\x00 was found."):
        with pytest.raises(ValidationError) as refused:
            sanctions.request_correction(letter=letter, actor=users["approver"], reason=reason)
        assert "reason the letter is corrected" in refused.value.message_dict["reason"][0]
    assert not letter.correction_requests.exists()
    request = sanctions.request_correction(
        letter=letter, actor=users["approver"], reason="ineligible invoice found", now=NOW
    )
    new = sanctions.issue(request.pk, now=NOW + dt.timedelta(hours=1))
    assert new.reverses == letter and new.amount == crore(4)
    assert new.content["corrects"]["number"] == letter.number
    assert Decimal(new.content["net_change"]) == -crore(1)
    assert ledger.sanctioned(Pool.CAPITAL_SUBSIDY, award) == crore(4)
    reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSAL)
    assert reversal.amount == -crore(5) and reversal.letter == new
    with pytest.raises(ValidationError, match="already been corrected"):
        sanctions.request_correction(
            letter=letter, actor=users["approver"], reason="The slab was applied again by mistake."
        )


def test_only_approvers_officials_and_admins_ask_for_a_sanction(grants, users, award):
    grants.add("p", award, crore(1))
    for role in ("firm_user", "verifier", "auditor", "evaluator"):
        with pytest.raises(Exception, match="Only"), transaction.atomic():
            sanctions.request_sanction(claim_type=grants.code, claim_id="p", actor=users[role])
    assert not SanctionRequest.objects.exists()


def test_the_sweeper_finds_lost_requests(grants, users, award):
    request = _request(grants, users, award, "lost", crore(1))
    job = jobs.job_for(sanctions.ISSUE_TASK, request.pk)
    assert (job.key, job.state) == (f"sanction:{request.key}", Job.State.QUEUED)
    with time_machine.travel(job.created_at + dt.timedelta(minutes=10)):
        assert jobs.sweep() == {"queued": 1, "running": 0, "retrying": 0}
    # when the worker runs it, it is done, the letter rendered through its own job
    assert tasks.issue_sanction(request.pk) == SanctionLetter.objects.get().number
    assert jobs.job_for(sanctions.ISSUE_TASK, request.pk).state == Job.State.DONE
    letter = SanctionLetter.objects.get()
    assert letter.render_job.state == Job.State.DONE and letter.status == "issued"
    with time_machine.travel(job.created_at + dt.timedelta(minutes=10)):  # the audit checkpoint
        assert jobs.sweep() == {"queued": 1, "running": 0, "retrying": 0}


def test_a_letter_whose_rendering_fails_keeps_its_figures_and_is_retried(
    grants, users, award, settings
):
    settings.JOBS_TASKS = {sanctions.RENDER_TASK: {"max_attempts": 2}}
    request = _request(grants, users, award, "pdf", crore(2))
    settings.SITE_URL = None  # the QR code's address cannot be built: rendering fails
    letter = sanctions.issue(request.pk, now=NOW)
    assert letter.status == SanctionLetter.Status.PENDING and letter.amount == crore(2)
    job = letter.render_job
    assert (job.state, job.attempts) == (Job.State.RETRYING, 1) and job.last_error
    settings.SITE_URL = "http://testserver"
    assert tasks.render_sanction_letter(letter.pk) == SanctionLetter.Status.ISSUED
    letter.refresh_from_db()
    assert letter.status == SanctionLetter.Status.ISSUED and len(letter.sha256) == 64
    assert letter.render_job.state == Job.State.DONE
