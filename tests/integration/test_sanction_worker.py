"""An approval enqueues the sanction on commit; a real Celery worker issues the letter, once."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

import pytest
from django.db import transaction

from incentives import tasks
from incentives.capital import services as capital
from incentives.models import LedgerEntry, SanctionLetter, SanctionRequest
from repm_portal.roles import Role
from tests.capital.ledgers import certificate, firm_user, ledger_csv, line
from tests.factories import AwardFactory
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
NOW = dt.datetime(2028, 6, 10, 11, 0, tzinfo=dt.UTC)


def test_an_approval_is_sanctioned_by_a_real_worker_and_a_rerun_issues_nothing_more(
    rules, users, sanction_queue
):
    assert "MEDIA_ROOT" in os.environ
    award = AwardFactory(commissioned=True, allocated_mtpa=600)
    rows = [line("400"), line("5", head="R&D")]
    claim = capital.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv(rows),
        certificate_file=certificate(), now=NOW,
    )  # fmt: skip
    capital.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    capital.verify_claim(actor=users[Role.VERIFIER], claim=claim, exclusions={}, now=NOW)
    # when the approver approves (the task is sent when this transaction commits)
    with transaction.atomic():
        capital.approve_claim(actor=users[Role.APPROVER], claim=claim, now=NOW)
        assert not SanctionLetter.objects.exists()
    # then the worker numbers, posts and renders the letter
    letter = wait_for(
        lambda: SanctionLetter.objects.filter(status="issued").first(),
        timeout=90, every=0.5, what="the worker to issue the letter",
    )  # fmt: skip
    assert letter.amount > 0 and letter.claim_id == str(claim.pk)
    with letter.file.open("rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == letter.sha256
    # and running the task again through the worker issues nothing more
    request = SanctionRequest.objects.get(claim_id=str(claim.pk))
    again = tasks.issue_sanction.apply_async((request.pk,), queue=sanction_queue)
    assert again.get(timeout=90) == letter.number
    assert SanctionLetter.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="sanction").count() == 1
