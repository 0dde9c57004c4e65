"""In Chromium, with a real Celery worker: the approver approves a capital subsidy claim; the worker
issues the sanction letter; the firm finds it and downloads the PDF, whose hash the portal vouches for."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incentives.capital import services as capital
from incentives.models import SanctionLetter
from repm_portal.roles import Role
from tests.capital.ledgers import certificate, firm_user, ledger_csv, line
from tests.e2e.pages import login
from tests.factories import PASSWORD, AwardFactory, UserFactory

IST = ZoneInfo("Asia/Kolkata")
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(11), tzinfo=IST)


def test_an_approval_in_the_browser_ends_in_a_letter_the_firm_downloads(
    live_server,
    page,
    rules,
    sanction_queue,
):
    # given a plant commissioned two months ago and its investment ledger verified
    today = timezone.localdate()
    award = AwardFactory(
        commissioned=True, allocated_mtpa=800, plant__commissioned_on=today - dt.timedelta(days=60)
    )
    verifier = UserFactory(role=Role.VERIFIER, username="e2e_verifier")
    approver = UserFactory(role=Role.APPROVER, username="e2e_approver", first_name="Asha")
    rows = [line("450", date=(today - dt.timedelta(days=200)).isoformat()), line("60", head="R&D")]
    rows[1][4] = (today - dt.timedelta(days=150)).isoformat()
    claim = capital.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv(rows),
        certificate_file=certificate(), now=at(today - dt.timedelta(days=20)),
    )  # fmt: skip
    capital.submit_claim(actor=firm_user(award), claim=claim, now=at(today - dt.timedelta(days=19)))
    capital.verify_claim(
        actor=verifier, claim=claim, exclusions={}, now=at(today - dt.timedelta(days=10))
    )

    # when the approver approves it in the browser
    login(page, live_server.url, approver.username, PASSWORD)
    page.goto(f"{live_server.url}/capital/claims/{claim.pk}/")
    approve = page.get_by_role("button", name="Approve and sanction")
    approve.click()
    expect(approve).to_have_count(0)  # the approved claim's page has loaded
    # then the worker issues the letter, and the claim's page shows it once reloaded: poll the page
    # (a synchronous request: wait_for_function takes a returned promise as already true)
    page.wait_for_function(
        """url => {
            const request = new XMLHttpRequest();
            request.open("GET", url, false);
            request.send();
            return request.responseText.includes("(PDF, ");
        }""",
        arg=page.url, polling=1000, timeout=90_000,
    )  # fmt: skip
    page.reload()
    expect(page.get_by_role("link", name=re.compile(r"\(PDF, "))).to_be_visible()
    letter = SanctionLetter.objects.get(claim_id=str(claim.pk))
    # (15 % of Rs 510 crore is Rs 76.5 crore, under the 700-800 MTPA slab's Rs 100 crore cap)
    assert letter.amount == 765_000_000

    # and the firm finds it among its sanctions and downloads the PDF
    page.context.clear_cookies()
    login(page, live_server.url, firm_user(award).username, PASSWORD)
    page.get_by_role("link", name="Sanctions", exact=True).first.click()
    page.get_by_role("link", name=letter.number).click()
    expect(page.get_by_text("Rs 76,50,00,000.00").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download", exact=True).click()
    body = open(download.value.path(), "rb").read()  # noqa: SIM115
    assert body.startswith(b"%PDF") and hashlib.sha256(body).hexdigest() == letter.sha256
