"""Pages and API of bidding: the browser's paths call the same services, and never echo a rate."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from bidding.models import AwardLetter, Bid, BidVersion, Stage, Tender
from tests.bidding import builders
from tests.bidding.builders import bid_post, give_opening_keys, make_bidder, pdf, submit

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def live_tender(staff):
    """A tender open for bids by the real clock."""
    start = timezone.now() - dt.timedelta(days=1)
    tender = builders.make_tender(staff, reference="LIVE/2026/01", now=start)
    return tender, builders.timeline(start)


def test_a_firm_bids_through_the_page_and_lands_on_its_receipt(live_tender):
    tender, _ = live_tender
    bidder = make_bidder("Page Bidder Limited")
    client = client_for(bidder)
    assert client.get(f"/tenders/{tender.pk}/bid/").status_code == 200

    response = client.post(f"/tenders/{tender.pk}/bid/", bid_post())

    version = BidVersion.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/receipts/{version.pk}/"
    assert version.documents.count() == 3
    receipt = client.get(f"/receipts/{version.pk}/")
    assert version.commitment in receipt.content.decode()
    assert "1987.43" not in receipt.content.decode() and "1,987.43" not in receipt.content.decode()
    as_json = client.get(f"/receipts/{version.pk}/receipt.json").json()
    assert as_json["commitment"] == version.commitment
    from pypdf import PdfReader

    as_pdf = client.get(f"/receipts/{version.pk}/receipt.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(as_pdf.content)).pages)
    assert version.commitment[:32] in text.replace("\n", "")


def test_a_refused_bid_shows_the_rules_and_never_the_rate_typed(live_tender):
    tender, _ = live_tender
    client = client_for(make_bidder())
    response = client.post(
        f"/tenders/{tender.pk}/bid/",
        bid_post(capacity_mtpa="650", quoted_rate="2150.01", net_worth_crore="100"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "650 MTPA is not" in page
    assert "at most the ceiling of Rs 2,150.00/kg" in page
    assert "2150.01" not in page
    assert not Bid.objects.exists()


def test_a_late_bid_through_the_page_is_refused_by_the_servers_clock(live_tender):
    tender, timeline = live_tender
    bidder = make_bidder()
    with time_machine.travel(timeline["bids_due"] + dt.timedelta(seconds=1), tick=False):
        client = client_for(bidder)  # a session opened now: the travel outlasts older ones
        page = client.get(f"/tenders/{tender.pk}/bid/").content.decode()
        assert "no bid can be submitted, modified or withdrawn now" in page
        response = client.post(f"/tenders/{tender.pk}/bid/", bid_post())
    assert "Bids were due at" in response.content.decode()
    assert not Bid.objects.exists()


def test_an_official_drafts_and_publishes_a_tender_through_the_pages(staff):
    client = client_for(staff.official)
    start = timezone.localtime() + dt.timedelta(days=1)
    moments = {
        name: (start + dt.timedelta(days=n)).strftime("%Y-%m-%dT%H:%M")
        for n, name in enumerate(
            [
                "queries_due",
                "prebid_meeting_at",
                "replies_due",
                "bids_due",
                "technical_opening_at",
                "financial_opening_at",
            ]
        )
    }
    response = client.post(
        "/tenders/new/",
        {
            "reference": "PAGE/2026/7", "title": "Page tender", "description": "", "kind": "main",
            "capacity_mtpa": "6000", "slots": "5", "prebid_meeting_place": "Udyog Bhawan",
            "committee": [u.pk for u in staff.committee], "rfp_title": "RFP", "rfp_file": pdf("rfp.pdf"),
            **moments,
        },
    )  # fmt: skip
    tender = Tender.objects.get(reference="PAGE/2026/7")
    assert response.status_code == 302
    assert timezone.localtime(tender.bids_due).strftime("%Y-%m-%dT%H:%M") == moments["bids_due"]
    give_opening_keys(staff.committee)  # each member on their own page, before publication
    client.post(f"/tenders/{tender.pk}/publish/")
    tender.refresh_from_db()
    assert tender.status == Tender.Status.PUBLISHED
    assert Client().get(f"/public/tenders/{tender.pk}/").status_code == 200


def test_an_official_issues_a_corrigendum_through_the_page(staff, live_tender):
    tender, timeline = live_tender
    rfp = tender.documents.get()
    moved = ("bids_due", "technical_opening_at", "financial_opening_at")
    moments = {
        name: timezone.localtime(value + dt.timedelta(days=7 if name in moved else 0))
        for name, value in timeline.items()
    }
    response = client_for(staff.official).post(
        f"/tenders/{tender.pk}/corrigenda/new/",
        {
            "summary": "Openings a week later; the venue moves; RFP revised.",
            **{name: value.strftime("%Y-%m-%dT%H:%M") for name, value in moments.items()},
            "prebid_meeting_place": "Vigyan Bhawan",
            "document_title": "RFP, revision 1",
            "document_file": pdf("rfp-r1.pdf", "r1"),
            "supersedes": rfp.pk,
        },
    )
    assert response.status_code == 302
    tender.refresh_from_db()
    version = tender.versions.get(number=2)
    assert tender.prebid_meeting_place == "Vigyan Bhawan"
    assert timezone.localtime(tender.technical_opening_at).strftime("%Y-%m-%dT%H:%M") == (
        moments["technical_opening_at"].strftime("%Y-%m-%dT%H:%M")
    )
    assert version.documents.get().supersedes == rfp


def test_the_committee_opens_through_the_page_and_the_evaluator_cannot_approve_their_own(staff):
    tender = builders.make_tender(staff)
    submit(make_bidder(), tender)
    with time_machine.travel(builders.TECH_TIME, tick=False):
        first = client_for(staff.committee[0]).post(
            f"/tenders/{tender.pk}/opening/", {"stage": "technical"}, follow=True
        )
        assert "another committee member must confirm" in first.content.decode()
        second = client_for(staff.committee[1]).post(
            f"/tenders/{tender.pk}/opening/", {"stage": "technical"}, follow=True
        )
        assert "Quorum reached: the technical covers are open." in second.content.decode()
        bid = Bid.objects.get()
        evaluator = client_for(staff.evaluator)
        form = {f"{c}_result": "pass" for c in ("eligibility", "net_worth", "consortium", "dpr")}
        form |= {
            f"{c}_reason": "In order." for c in ("eligibility", "net_worth", "consortium", "dpr")
        }
        evaluator.post(f"/bids/{bid.pk}/evaluate/", form)
        evaluation = bid.evaluation
        own = evaluator.post(
            f"/evaluations/{evaluation.pk}/decide/", {"decision": "approve"}, follow=True
        )
        assert "a second official must approve it" in own.content.decode()
        client_for(staff.approver).post(
            f"/evaluations/{evaluation.pk}/decide/", {"decision": "approve"}
        )
    assert Bid.objects.get().status == Bid.Status.QUALIFIED


def test_statement_exports_neutralise_formula_text_and_show_rates_after_opening(staff):
    tender = builders.make_tender(staff)
    submit(make_bidder('=HYPERLINK("http://evil")'), tender, rate="1850.00", capacity=1200)
    submit(make_bidder("Plain Magnets Limited"), tender, rate="1900.00", capacity=1000)
    builders.run_to_financial(tender, staff)
    client = client_for(staff.official)

    page = client.get(f"/tenders/{tender.pk}/statement/?sort=-rate").content.decode()
    assert page.index("Plain Magnets Limited") < page.index("HYPERLINK")
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(f"/tenders/{tender.pk}/statement.csv").streaming_content
                ).decode("utf-8-sig")
            )
        )
    )
    assert (
        rows[1][1] == '\'=HYPERLINK("http://evil")'
        and rows[1][12] == "1850.00"
        and rows[1][13] == "L1"
    )
    book = load_workbook(io.BytesIO(client.get(f"/tenders/{tender.pk}/statement.xlsx").content))
    sheet = book.active
    assert sheet["B4"].value == '\'=HYPERLINK("http://evil")'
    assert sheet["M4"].value == 1850 and sheet["N4"].value == "L1"
    # a firm cannot read the statement
    assert client_for(make_bidder()).get(f"/tenders/{tender.pk}/statement/").status_code == 403


def test_award_page_polls_until_the_letter_is_rendered(staff):
    tender = builders.make_tender(staff)
    winner = make_bidder("Winner Magnets Limited")
    submit(winner, tender, rate="1850.00", capacity=1200)
    builders.run_to_financial(tender, staff)
    client_for(staff.official).post(f"/tenders/{tender.pk}/award/")
    award = tender.awards.get()
    page = client_for(winner).get(f"/awards/{award.pk}/").content.decode()
    assert "is being rendered" in page and f'hx-get="/awards/{award.pk}/letter/status/"' in page
    assert client_for(winner).get(f"/awards/{award.pk}/letter.pdf").status_code == 404

    from bidding import tasks

    assert tasks.render_award_letter(award.letter.pk) == AwardLetter.Status.ISSUED
    partial = client_for(winner).get(f"/awards/{award.pk}/letter/status/").content.decode()
    assert "hx-trigger" not in partial and "letter.pdf" in partial
    letter = client_for(winner).get(f"/awards/{award.pk}/letter.pdf")
    award.letter.refresh_from_db()
    assert letter["X-Content-SHA256"] == award.letter.sha256


def test_anyone_checks_a_receipt_on_the_public_page(staff):
    tender = builders.make_tender(staff)
    version = submit(make_bidder(), tender)
    url = f"/public/tenders/{tender.pk}/?commitment={version.commitment}"
    with time_machine.travel(builders.BEFORE_DUE, tick=False):
        assert (
            "published when bids fall due"
            in Client().get(url, HTTP_HX_REQUEST="true").content.decode()
        )
    with time_machine.travel(builders.AFTER_DUE, tick=False):
        found = Client().get(url, HTTP_HX_REQUEST="true").content.decode()
        assert f"Listed: bid {version.bid_id}, version 1; the version that counts." in found
        missing = Client().get(
            f"/public/tenders/{tender.pk}/?commitment={'0' * 64}", HTTP_HX_REQUEST="true"
        )
        assert "not among the bids received" in missing.content.decode()
        page = Client().get(f"/public/tenders/{tender.pk}/").content.decode()
        assert version.commitment in page
    builders.open_stage(tender, staff, Stage.TECHNICAL, builders.TECH_TIME)
    with time_machine.travel(builders.TECH_TIME + dt.timedelta(hours=1), tick=False):
        checked = Client().get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "technical cover matched at opening" in checked


def test_dashboards_show_the_bidding_panels(staff, live_tender):
    tender, _ = live_tender
    bidder = make_bidder()
    submit(bidder, tender, now=timezone.now())
    firm_page = client_for(bidder).get("/dashboard/").content.decode()
    assert "Tenders and your bids" in firm_page and tender.reference in firm_page
    staff_page = client_for(staff.official).get("/dashboard/").content.decode()
    assert "Tenders in progress" in staff_page


def test_a_bid_through_the_api_answers_with_the_receipt_only(live_tender):
    tender, _ = live_tender
    bidder = make_bidder()
    api = APIClient()
    api.force_authenticate(bidder)
    response = api.post(
        f"/api/tenders/{tender.pk}/bid/",
        {
            "capacity_mtpa": 800, "accepts_partial": "true", "net_worth_crore": "300",
            "net_worth_as_of": "2025-03-31", "quoted_rate": "1911.09",
            "dpr": pdf("dpr.pdf", "api"), "eligibility_documents": [pdf("e.pdf", "api")],
        },
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["commitment"] == BidVersion.objects.get().commitment
    assert "1911.09" not in response.content.decode()
    bad = api.post(
        f"/api/tenders/{tender.pk}/bid/",
        {
            "capacity_mtpa": 650,
            "net_worth_crore": "300",
            "net_worth_as_of": "2025-03-31",
            "quoted_rate": "1911.09",
        },
        format="multipart",
    )
    assert bad.status_code == 400 and "650 MTPA is not" in bad.content.decode()
    # nor does the browsable API fill its form back with the rate after a refusal
    for data in (
        {"capacity_mtpa": "x", "quoted_rate": "1911.09"},
        {
            "capacity_mtpa": 650,
            "quoted_rate": "1911.09",
            "net_worth_crore": "300",
            "net_worth_as_of": "2025-03-31",
        },
    ):
        html = api.post(
            f"/api/tenders/{tender.pk}/bid/", data, format="multipart", HTTP_ACCEPT="text/html"
        )
        assert html.status_code == 400 and "1911.09" not in html.content.decode()
    assert [b["id"] for b in api.get("/api/bids/").json()["results"]] == [
        BidVersion.objects.get().bid_id
    ]
    other = APIClient()
    other.force_authenticate(make_bidder())
    assert other.get("/api/bids/").json()["results"] == []


def test_a_crash_mid_submission_leaves_no_rate_in_the_error_report(live_tender, monkeypatch):
    # Given production settings (DEBUG off) and sealing failing after the rate was parsed
    from django.core.signals import got_request_exception
    from django.views.debug import ExceptionReporter

    tender, _ = live_tender

    def broken_seal(cover, **kwargs):
        raise RuntimeError("hardware security module unreachable")

    monkeypatch.setattr("bidding.sealing.seal_to_public", broken_seal)
    reports = []

    def report(sender, request, **kwargs):
        # What AdminEmailHandler would mail: Django's report, through the active filter
        import sys

        reporter = ExceptionReporter(request, *sys.exc_info())
        reports.append(reporter.get_traceback_html() + reporter.get_traceback_text())

    got_request_exception.connect(report)
    try:
        client = Client(raise_request_exception=False)
        client.force_login(make_bidder())
        response = client.post(f"/tenders/{tender.pk}/bid/", bid_post(quoted_rate="1987.43"))
    finally:
        got_request_exception.disconnect(report)

    # Then the report names the error, lists the frames, but blanks the rate in each and in the POST
    assert response.status_code == 500
    [text] = reports
    assert "hardware security module unreachable" in text and "submit_bid" in text
    assert "1987.43" not in text and "1,987.43" not in text
    assert "quoted_rate" in text  # the POST key is listed, its value starred
    assert not Bid.objects.exists()
