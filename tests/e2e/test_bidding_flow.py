"""In Chromium: a firm submits a sealed bid; the committee opens it, officials evaluate and award.

The portal's clock decides every step, so the test moves it (time_machine, process-wide: the live
server's thread sees it too) from bidding to the technical and then the financial opening.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from bidding import services
from bidding.models import AwardLetter, Tender
from repm_portal.roles import Role
from tests.e2e.pages import field, login
from tests.factories import PASSWORD, FirmUserFactory, UserFactory, pdf_bytes

PDF = pdf_bytes("Bid document")


def upload(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF + name.encode()}


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def passphrase_of(user) -> str:
    return f"{user.username} keeps this opening passphrase"


def set_up_opening_key(page, base_url: str, user) -> None:
    """The member sets up their own opening key on their page, before the tender is published."""
    login(page, base_url, user.username, PASSWORD)
    page.goto(f"{base_url}/opening-key/")
    expect(page.get_by_text("What you must keep")).to_be_visible()
    field(page, "New passphrase (at least 12 characters)").fill(passphrase_of(user))
    field(page, "The new passphrase again").fill(passphrase_of(user))
    page.get_by_role("button", name="Set up my opening key").click()
    expect(page.locator(".messages")).to_contain_text("Your opening key is set up")
    log_out(page)


def confirm_opening(page, base_url: str, user, tender: Tender, stage: str) -> None:
    login(page, base_url, user.username, PASSWORD)
    page.goto(f"{base_url}/tenders/{tender.pk}/opening/")
    if stage == "financial":
        # A wrong passphrase unlocks nothing and says so; the member's own one adds their share
        page.get_by_label("Your opening-key passphrase").fill("not my passphrase at all")
        page.get_by_role("button", name=f"Confirm the {stage} opening").click()
        expect(page.locator(".messages")).to_contain_text("does not unlock your opening key")
        page.get_by_label("Your opening-key passphrase").fill(passphrase_of(user))
    page.get_by_role("button", name=f"Confirm the {stage} opening").click()
    expect(page.locator(".messages")).to_be_visible()
    log_out(page)


@pytest.mark.django_db(transaction=True)
def test_a_firm_bids_and_officials_open_evaluate_and_award(live_server, page, rules):
    base = live_server.url
    # Given a published tender, open for bids by the real clock, and its people
    official = UserFactory(role=Role.OFFICIAL, username="e2e_official", first_name="Vikram")
    committee = [
        UserFactory(role=Role.APPROVER, username="e2e_member_a"),
        UserFactory(role=Role.EVALUATOR, username="e2e_member_b"),
    ]
    evaluator = UserFactory(role=Role.EVALUATOR, username="e2e_evaluator")
    bidder = FirmUserFactory(username="e2e_bidder", firm__legal_name="Chromium Magnetics Limited")
    start = timezone.now() - dt.timedelta(days=1)
    timeline = {
        "queries_due": start + dt.timedelta(days=10),
        "prebid_meeting_at": start + dt.timedelta(days=12),
        "replies_due": start + dt.timedelta(days=15),
        "bids_due": start + dt.timedelta(days=30),
        "technical_opening_at": start + dt.timedelta(days=31),
        "financial_opening_at": start + dt.timedelta(days=40),
    }
    from django.core.files.uploadedfile import SimpleUploadedFile

    # and each committee member sets up their own opening key
    for member in committee:
        set_up_opening_key(page, base, member)
    tender = services.create_tender(
        actor=official, reference="E2E/2026/01", title="Browser tender", capacity_mtpa=6000,
        slots=5, timeline=timeline, committee=committee,
        documents=[("RFP", SimpleUploadedFile("rfp.pdf", PDF))], now=start,
    )  # fmt: skip
    services.publish_tender(actor=official, tender=tender, now=start)

    # When the firm submits its bid through the form
    login(page, base, bidder.username, PASSWORD)
    page.goto(f"{base}/tenders/{tender.pk}/")
    page.get_by_role("link", name="Submit a bid").click()
    field(page, "Bid capacity (MTPA)").fill("1000")
    page.get_by_label("I accept a partial award").check()
    field(page, "Audited net worth (Rs crore)").fill("400")
    field(page, "Net worth audited as of").fill("2025-03-31")
    page.locator("input[name=dpr]").set_input_files(upload("dpr.pdf"))
    page.locator("input[name=eligibility_documents]").set_input_files(
        [upload("net-worth.pdf"), upload("incorporation.pdf")]
    )
    field(page, "Quoted SLI rate (Rs/kg)").fill("1987.43")
    page.get_by_role("button", name="Submit and seal").click()

    # Then it lands on its receipt: a commitment, and no rate anywhere on the page
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bid receipt RCPT-")
    expect(page.get_by_text("This version counts")).to_be_visible()
    commitment = tender.bids.get().versions.get().commitment
    expect(page.get_by_text(commitment)).to_be_visible()
    assert "1987.43" not in page.content() and "1,987.43" not in page.content()
    log_out(page)

    # When the technical opening time comes, two committee members confirm it
    with time_machine.travel(timeline["technical_opening_at"] + dt.timedelta(minutes=5), tick=True):
        confirm_opening(page, base, committee[0], tender, "technical")
        tender.refresh_from_db()
        assert tender.status == Tender.Status.PUBLISHED  # one confirmation opens nothing
        confirm_opening(page, base, committee[1], tender, "technical")
        tender.refresh_from_db()
        assert tender.status == Tender.Status.TECHNICAL_OPENED

        # and the evaluator records a pass on every criterion, with reasons
        login(page, base, evaluator.username, PASSWORD)
        page.goto(f"{base}/tenders/{tender.pk}/evaluation/")
        page.get_by_role("link", name="Evaluate").click()
        for legend in (
            "Eligibility documents",
            "Audited net worth against the slab minimum",
            "Bidder and consortium structure",
            "Detailed project report (technical committee)",
        ):
            group = page.get_by_role("group", name=legend)
            group.get_by_label("Pass").check()
            group.get_by_label("Reason").fill("Verified against the RFP.")
        page.get_by_role("button", name="Record the evaluation").click()
        expect(page.locator(".messages")).to_contain_text("a second official must approve it")
        # the evaluator is offered no approval of their own evaluation
        expect(page.get_by_role("button", name="Approve")).to_have_count(0)
        log_out(page)

        # and a second official approves it
        login(page, base, committee[1].username, PASSWORD)
        page.goto(f"{base}/tenders/{tender.pk}/evaluation/")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".messages")).to_contain_text("approved")
        log_out(page)

    # When the financial opening time comes, the committee opens the qualified financial covers
    with time_machine.travel(timeline["financial_opening_at"] + dt.timedelta(minutes=5), tick=True):
        confirm_opening(page, base, committee[0], tender, "financial")
        tender.refresh_from_db()
        assert tender.status == Tender.Status.TECHNICAL_EVALUATED  # one share opens nothing
        confirm_opening(page, base, committee[1], tender, "financial")

        # Then the official sees the rate and rank in the comparative statement, and awards
        login(page, base, official.username, PASSWORD)
        page.goto(f"{base}/tenders/{tender.pk}/statement/")
        row = page.get_by_role("row", name=re.compile("Chromium Magnetics Limited"))
        expect(row).to_contain_text("1,987.43")
        expect(row).to_contain_text("L1")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Award and issue Letters of Award").click()
        expect(page.locator(".messages")).to_contain_text("1 award(s) made")
        page.get_by_role("link", name="L1").click()
        status = page.get_by_role("status")
        expect(status).to_contain_text("is being rendered")

        # and when the worker's task renders the letter, the page updates by itself
        letter = AwardLetter.objects.get()
        from bidding import tasks

        assert tasks.render_award_letter(letter.pk) == AwardLetter.Status.ISSUED
        expect(page.get_by_role("link", name=re.compile(r"LoA.+PDF"))).to_be_visible(timeout=10_000)

        # and the public page shows the commitment, matched at both openings, and the result
        page.goto(f"{base}/public/tenders/{tender.pk}/")
        commitments = page.locator("#commitments")
        expect(commitments).to_contain_text(commitment)
        expect(commitments.get_by_text("matches")).to_have_count(2)
        expect(page.locator("#results")).to_contain_text("Chromium Magnetics Limited")
