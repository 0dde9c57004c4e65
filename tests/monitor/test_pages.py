"""The monitor's pages: who may see which, what the public page never shows, the CSVs and the PDF."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from repm_portal.money import format_inr
from repm_portal.roles import Role
from tests.factories import FirmUserFactory, UserFactory
from tests.monitor.scheme import GUARANTEE_BANK, GUARANTEE_NUMBER, MOMENT, QUOTED_RATE, UTR

pytestmark = pytest.mark.django_db
STAFF = [Role.OFFICIAL, Role.EVALUATOR, Role.VERIFIER, Role.APPROVER, Role.AUDITOR, Role.ADMIN]
PUBLIC_TABLES = [
    "capacity",
    "sales",
    "pool-sli",
    "pool-capital-subsidy",
    "service-levels",
    "guarantees",
    "feedstock",
]
PDF_OUT = os.environ.get("REPM_MONITOR_PDF_OUT")  # keep the summary to look at, when asked
OFFICIAL_ONLY = [
    "capacity-by-award",
    "sales-by-award",
    "pool-sli-by-award",
    "overdue-letters",
    "feedstock-imports",
]


@pytest.fixture
def at_moment():
    with time_machine.travel(MOMENT, tick=False):
        yield


def _confidential(scheme) -> list[str]:
    firm = scheme.commissioned.bid.firm
    account = firm.bank_accounts.first()
    return [
        str(QUOTED_RATE), "1,987.65",  # the quoted rate
        "7,18,32,60,000", "1,19,25,90,000",  # the commissioned award's SLI cap, either way written
        GUARANTEE_BANK, GUARANTEE_NUMBER, UTR,  # bank details
        account.account_number, account.ifsc,
        firm.legal_name, scheme.commissioned.bid.bidder_name,  # any firm's name
        "INV/", "Bharat Motors", "27AAPFU0939F1ZV",  # claim lines: invoices, buyer, GSTIN
        scheme.unpaid.number,  # a letter
        "0.402", "402.000",  # the one firm's Q3 sales (withheld: fewer than three firms)
    ]  # fmt: skip


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_sees_the_monitor_with_per_award_figures(scheme, role, client, at_moment):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("monitor"))
    assert response.status_code == 200
    page = response.content.decode()
    assert scheme.commissioned.bid.bidder_name in page
    assert GUARANTEE_NUMBER in page
    assert 'id="chart-sales-data"' in page and "<caption>" in page


def test_a_firm_user_is_refused_the_monitor_its_csvs_and_pdf(scheme, client, at_moment):
    client.force_login(FirmUserFactory())
    assert client.get(reverse("monitor")).status_code == 403
    assert client.get(reverse("monitor_csv", args=["sales"])).status_code == 403
    assert client.get(reverse("monitor_summary_pdf", args=["2027-28"])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in_for_the_officials_monitor(scheme, client, at_moment):
    response = client.get(reverse("monitor"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_public_monitor_shows_aggregates_and_no_confidential_figure(scheme, client, at_moment):
    response = client.get(reverse("monitor_public"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2,600" in page  # MTPA awarded, summed
    assert "withheld" in page
    for secret in _confidential(scheme):
        assert secret not in page, secret


@pytest.mark.parametrize("slug", PUBLIC_TABLES)
def test_the_public_csvs_hold_no_confidential_figure(scheme, client, at_moment, slug):
    response = client.get(reverse("monitor_public_csv", args=[slug]))
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert text.count("\n") >= 2
    for secret in _confidential(scheme):
        assert secret not in text, secret


@pytest.mark.parametrize("slug", OFFICIAL_ONLY)
def test_the_per_award_tables_are_not_public(scheme, client, at_moment, slug):
    assert client.get(reverse("monitor_public_csv", args=[slug])).status_code == 404


def test_an_official_csv_is_the_table_on_the_page(scheme, client, at_moment):
    client.force_login(scheme.official)
    response = client.get(reverse("monitor_csv", args=["sales-by-award"]))
    text = b"".join(response.streaming_content).decode()
    assert "Eligible net kg" in text and "1407.000" in text  # 502.5 + 502.5 + 402 kg in FY 2027-28
    assert scheme.commissioned.bid.bidder_name in text
    assert "produced 25 Jan 2028 12:00 IST by monitor_official" in text.splitlines()[1]


def test_the_pdf_summary_has_its_totals_and_charts(scheme, client, at_moment):
    client.force_login(scheme.official)
    response = client.get(reverse("monitor_summary_pdf", args=["2027-28"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    if PDF_OUT:
        Path(PDF_OUT).write_bytes(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "summary of fy 2027-28" in text.casefold()
    assert "2,600" in text and "Q3 FY 2027-28" in text
    flat = " ".join(text.split())
    assert format_inr(scheme.paid.amount + scheme.unpaid.amount) in flat  # sanctioned in the year
    assert "Capital subsidy" in flat
    # The charts' own text (legends, axes) is drawn in the PDF: the SVGs were rendered.
    assert "Target (MTPA)" in text and "Pool limit" in text and "Payment met" in text


def test_the_pdf_of_a_year_not_begun_or_misspelt_is_not_found(scheme, client, at_moment):
    client.force_login(scheme.official)
    assert client.get(reverse("monitor_summary_pdf", args=["2031-32"])).status_code == 404
    assert client.get(reverse("monitor_summary_pdf", args=["2027-29"])).status_code == 404
