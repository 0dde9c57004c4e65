"""In Chromium, with a real Celery worker: a quarter's sales claim from the firm's submission to the
rupee paid. The firm submits with its CA certificate; the verifier excludes a line over htmx and
verifies; the approver approves; the worker issues the SLI letter, netting a penalty; an official
records the payment; the firm downloads the letter, whose hash the portal vouches for, and sees
the claim paid."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from incentives.claims.models import Claim, ClaimDocument, LineAdjustment
from incentives.models import Payment, SanctionLetter
from incentives.sli.models import QUARTER_CLAIM_TYPE
from repm_portal.roles import Role
from tests.claims.sales import IST, sales_award
from tests.claims.workflow import matching_feedstock
from tests.e2e.pages import field, login
from tests.factories import PASSWORD, UserFactory, pdf_bytes
from tests.sli.money import Q1, penalty, quarter_claim
from tests.workers import start_worker, stop

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("private_cache"),
]

# Twelve days after Q1 FY 2027-28 (10 May to 30 Jun 2027) ends: inside its submission window.
# The browser's requests (this process, travelling) and the worker (started at the same moment)
# agree on the date, so the letter is dated the day its payment is recorded.
MOMENT = dt.datetime(2027, 7, 12, 11, 0, tzinfo=IST)
PENALTY = Decimal("50000.00")
# Four of the five lines of 100.5 kg at Rs 5,000/kg stay: 402 kg, Rs 20,10,000. At the award's
# Rs 2,150/kg that is Rs 8,64,300, over 40 % of the sales value (Rs 8,04,000); 85 % of the cap is
# released, and the Rs 50,000 penalty is netted from it.
RELEASED = Decimal("683400.00")
PAYABLE = RELEASED - PENALTY
UTR = "SBIN027193004512"
CERTIFICATE = pdf_bytes("CA certificate of Q1 FY 2027-28 sales")


@pytest.fixture
def worker(media_for_both):
    """The sanction worker (see `sanction_queue`), its clock at the test's moment."""
    queue = f"test-sli-e2e-{uuid.uuid4().hex[:8]}"
    process = start_worker(queue, REPM_CLOCK_AS_OF=MOMENT.isoformat())
    try:
        yield queue
    finally:
        stop(process)


def status_of(page):
    return page.locator("#claim-workflow .state")


def wait_for_page_text(page, url: str, text: str, *, timeout: int = 90_000) -> None:
    """Poll `url` from the page until its HTML holds `text` (a synchronous request: wait_for_function
    takes a returned promise as already true)."""
    page.wait_for_function(
        """([url, text]) => {
            const request = new XMLHttpRequest();
            request.open("GET", url, false);
            request.send();
            return request.responseText.includes(text);
        }""",
        arg=[url, text], polling=1000, timeout=timeout,
    )  # fmt: skip


def switch_user(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    login(page, base, username, PASSWORD)


def test_a_quarter_claim_goes_from_submission_to_paid_in_the_browser(
    live_server, page, rules, sanction_queue
):
    # given a commissioned plant, its accepted Q1 claim of five lines and a penalty waiting
    award = sales_award()
    claim = quarter_claim(award, Q1)
    firm_user = award.bid.firm.users.get()
    penalty(award, PENALTY, now=MOMENT - dt.timedelta(days=30))
    verifier = UserFactory(role=Role.VERIFIER, username="sli_verifier")
    approver = UserFactory(role=Role.APPROVER, username="sli_approver", first_name="Asha")
    official = UserFactory(role=Role.OFFICIAL, username="sli_official", first_name="Meera")
    excluded = claim.lines.order_by("row")[2]
    base = live_server.url
    claim_url = f"{base}/claims/{claim.pk}/"

    with time_machine.travel(MOMENT, tick=True):
        # when the firm opens its claim, attaches the CA certificate, declares and submits
        login(page, base, firm_user.username, PASSWORD)
        page.goto(f"{base}/claims/")
        page.get_by_role("link", name=re.compile(r"^Draft\b.*the claim for")).click()
        expect(page).to_have_url(claim_url)
        # it declares the oxide the quarter used (what makes the magnets the verifier will count)
        irel, imported = matching_feedstock(claim, claim.eligible_kg - excluded.quantity_kg)
        declaration = page.locator("#feedstock-form")
        field(declaration, "Oxide (t) 1").fill(str(irel["tonnes"]))
        field(declaration, "Country 3").fill("CN")
        field(declaration, "Oxide (t) 3").fill(str(imported["tonnes"]))
        declaration.get_by_role("button", name="Keep the declaration").click()
        expect(page.get_by_text("its feedstock declaration is kept")).to_be_visible()
        expect(page.locator("#feedstock-declared tfoot")).to_contain_text("0.134")
        field(page, "Chartered accountant's certificate (PDF)").set_input_files(
            {"name": "ca-certificate.pdf", "mimeType": "application/pdf", "buffer": CERTIFICATE}
        )
        page.get_by_role("checkbox", name=re.compile(r"^I declare that these lines")).check()
        page.get_by_role("button", name="Submit the claim").click()
        # then the page says it is submitted, and the certificate is kept with its hash
        expect(page.get_by_text("submitted for verification; its lines are frozen")).to_be_visible()
        expect(status_of(page)).to_have_text("Submitted")
        expect(page.locator("#claim-documents")).to_contain_text("ca-certificate.pdf")
        claim.refresh_from_db()
        assert claim.status == Claim.Status.SUBMITTED and claim.submitted_by == firm_user
        document = ClaimDocument.objects.get(claim=claim)
        assert document.pk == claim.certificate_id
        assert document.sha256 == hashlib.sha256(CERTIFICATE).hexdigest()

        # when the verifier takes it up and excludes one line, with its reason
        switch_user(page, base, verifier.username)
        page.goto(claim_url)
        page.get_by_role("button", name="Take up for verification").click()
        expect(status_of(page)).to_have_text("Under verification")
        verified = page.locator("#verified-totals tr.changed")
        expect(verified).to_contain_text("502.500")
        page.evaluate("window.sameDocument = true")  # gone if the page reloads
        adjust = page.locator("#adjust-form")
        field(adjust, "Row in the file").fill(str(excluded.row))
        field(adjust, "Adjustment").select_option(label="Excluded")
        reason = "The buyer's goods receipt for this invoice is missing."
        # By name: the return form's reason above also has id "id_reason", so this form's label
        # names that field, not its own.
        adjust.locator("textarea[name=reason]").fill(reason)
        adjust.get_by_role("button", name="Keep this adjustment").click()
        # then the totals change in place (htmx), and the adjustment is listed with its maker
        expect(verified).to_contain_text("402.000")
        # and the feedstock check, flagged against the filed kg, now finds the oxide consistent
        expect(page.locator("#feedstock-result")).to_contain_text("Within the tolerance")
        expect(verified).to_contain_text("Rs 20,10,000.00")
        row = page.locator("#adjustments tbody tr")
        expect(row).to_have_count(1)
        for text in (str(excluded.row), "Excluded", reason, verifier.username):
            expect(row).to_contain_text(text)
        assert page.evaluate("window.sameDocument") is True
        adjustment = LineAdjustment.objects.get(claim=claim)
        assert (adjustment.row, adjustment.kind, adjustment.reason, adjustment.made_by) == (
            excluded.row, LineAdjustment.Kind.EXCLUDE, reason, verifier,
        )  # fmt: skip

        # when the verifier verifies at those totals
        field(page.locator("#verify-form"), "Remarks").fill("Checked against the CA certificate.")
        page.get_by_role("button", name="Verify", exact=True).click()
        expect(status_of(page)).to_have_text("Verified")
        claim.refresh_from_db()
        assert claim.status == Claim.Status.VERIFIED and claim.verified_by == verifier

        # when the approver, seeing the verified totals, approves
        switch_user(page, base, approver.username)
        page.goto(claim_url)
        expect(page.locator("#approve-form")).to_contain_text("402.000 kg, Rs 20,10,000.00")
        expect(page.locator("#verified-totals")).to_contain_text("Adjustments (1 line)")
        page.get_by_role("button", name="Approve", exact=True).click()
        expect(page.get_by_text("approved; its sanction letter is being issued")).to_be_visible()
        # then the worker issues the letter and the claim is sanctioned: poll the claim's page
        wait_for_page_text(page, claim_url, "state--sanctioned")
        page.reload()
        expect(status_of(page)).to_have_text("Sanctioned")
        letter = SanctionLetter.objects.get(claim_type=QUARTER_CLAIM_TYPE, claim_id=str(claim.pk))
        assert (letter.amount, letter.deducted, letter.payable) == (RELEASED, PENALTY, PAYABLE)
        assert letter.dated == MOMENT.date() and letter.number.startswith("REPM/SLI/")
        claim.refresh_from_db()
        assert claim.status == Claim.Status.SANCTIONED and claim.approved_by == approver

        # when an official opens the letter, waits for its PDF and records the payable as paid
        switch_user(page, base, official.username)
        page.get_by_role("link", name="Sanctions", exact=True).first.click()
        page.get_by_role("link", name=letter.number).click()
        expect(page.get_by_role("link", name=re.compile(r"\(PDF, "))).to_be_visible(
            timeout=90_000
        )  # the status panel polls itself over htmx until the PDF is rendered
        # The payment form is offered only for an issued letter, and the panel's swap does not
        # bring it: reload once the letter is issued.
        page.reload()
        expect(page.get_by_text("Rs 6,83,400.00").first).to_be_visible()
        # the letter's working: the verified totals, cut to the turnover cap, less the penalty
        expect(
            page.get_by_text(re.compile(r"40 % of net sales value Rs 20,10,000.00"))
        ).to_be_visible()
        expect(
            page.get_by_role("row", name=re.compile(r"Deduction netted -Rs 50,000\.00"))
        ).to_be_visible()
        expect(field(page, "Amount paid (Rs)")).to_have_value("633400.00")
        field(page, "Paid on").fill(MOMENT.date().isoformat())
        field(page, "UTR reference").fill(UTR)
        field(page, "Amount paid (Rs)").fill(str(PAYABLE))
        page.get_by_role("button", name="Record payment").click()
        # then the payment is listed and nothing is pending
        expect(page.get_by_text(f"Payment {UTR} recorded.")).to_be_visible()
        expect(page.get_by_role("cell", name=UTR, exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Record payment")).to_have_count(0)
        expect(page.locator("dt:text-is('Paid') + dd")).to_have_text("Rs 6,33,400.00")
        expect(page.locator("dt:text-is('Pending') + dd")).to_have_text("Rs 0.00")
        payment = Payment.objects.get(letter=letter)
        assert (payment.amount, payment.utr, payment.paid_on, payment.recorded_by) == (
            PAYABLE, UTR, MOMENT.date(), official,
        )  # fmt: skip
        claim.refresh_from_db()
        assert claim.status == Claim.Status.PAID
        letter.refresh_from_db()

        # when the firm finds the letter among its sanctions and downloads the PDF
        switch_user(page, base, firm_user.username)
        page.get_by_role("link", name="Sanctions", exact=True).first.click()
        page.get_by_role("link", name=letter.number).click()
        expect(page.get_by_text("Rs 6,83,400.00").first).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download", exact=True).click()
        body = open(download.value.path(), "rb").read()  # noqa: SIM115
        # then its hash is the letter's as issued, which the portal also states on the PDF view
        pdf = page.request.get(f"{base}/sanctions/{letter.pk}/letter.pdf")
        assert body.startswith(b"%PDF")
        assert hashlib.sha256(body).hexdigest() == letter.sha256 == pdf.headers["x-content-sha256"]
        expect(page.get_by_text(letter.sha256)).to_be_visible()
        # and the claim shows as paid
        page.get_by_role("link", name=re.compile(r"^SLI-\d{6} ")).click()
        expect(page).to_have_url(claim_url)
        expect(status_of(page)).to_have_text("Paid")
