"""The bidding pages in Hindi: every page renders in Hindi, while the statement exports and the
receipt PDF stay exactly as in English (documented interfaces translate nothing)."""

from __future__ import annotations

import re
import subprocess
from io import BytesIO

import pytest
from django.conf import settings
from django.test import Client
from openpyxl import load_workbook

from bidding import tasks
from tests.bidding import builders
from tests.bidding.builders import make_bidder, submit

pytestmark = pytest.mark.django_db

HINDI = re.compile(r"[\u0900-\u097F]")


def _client(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _hindi_page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="hi">' in html, url
    assert HINDI.search(html.split("<main", 1)[1]), f"{url}: no Hindi in the page's body"
    return html


def _pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def test_the_bidding_pages_render_in_hindi_and_the_exports_do_not_change(staff):
    tender = builders.make_tender(staff)
    winner = make_bidder("Winner Magnets Limited")
    version = submit(winner, tender, rate="1850.00", capacity=1200)
    builders.run_to_financial(tender, staff)
    _client(staff.official, "en").post(f"/tenders/{tender.pk}/award/")
    award = tender.awards.get()
    assert tasks.render_award_letter(award.letter.pk) == "issued"

    official = _client(staff.official, "hi")
    for url in (
        "/tenders/",
        f"/tenders/{tender.pk}/",
        f"/tenders/{tender.pk}/opening/",
        f"/tenders/{tender.pk}/evaluation/",
        f"/tenders/{tender.pk}/statement/",
        "/awards/",
        f"/awards/{award.pk}/",
        f"/bids/{version.bid_id}/",
        "/dashboard/",
    ):
        _hindi_page(official, url)
    assert "तुलनात्मक विवरण" in _hindi_page(official, f"/tenders/{tender.pk}/statement/")
    assert "निष्पादन बैंक गारंटी" in _hindi_page(official, f"/awards/{award.pk}/")
    firm = _client(winner, "hi")
    for url in (f"/bids/{version.bid_id}/", f"/awards/{award.pk}/", "/dashboard/"):
        _hindi_page(firm, url)
    public = Client()
    public.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    assert "सार्वजनिक निविदाएं" in _hindi_page(public, "/public/tenders/")
    _hindi_page(public, f"/public/tenders/{tender.pk}/")

    english = _client(staff.official, "en")
    for export in ("statement.csv", "statement.xlsx"):
        url = f"/tenders/{tender.pk}/{export}"
        in_hindi, in_english = official.get(url), english.get(url)
        body = b"".join(in_hindi.streaming_content) if in_hindi.streaming else in_hindi.content
        same = (
            b"".join(in_english.streaming_content) if in_english.streaming else in_english.content
        )
        if export.endswith(".csv"):
            assert body == same and not HINDI.search(body.decode("utf-8-sig"))
        else:  # an XLSX zip carries its own write time; compare the sheet's cells instead
            cells = [[c.value for c in row] for row in load_workbook(BytesIO(body)).active.rows]
            again = [[c.value for c in row] for row in load_workbook(BytesIO(same)).active.rows]
            assert cells == again
    _hindi_page(firm, f"/receipts/{version.pk}/")
    receipt = f"/receipts/{version.pk}/receipt.pdf"
    hindi_pdf = _client(winner, "hi").get(receipt)
    english_pdf = _client(winner, "en").get(receipt)
    assert hindi_pdf.status_code == english_pdf.status_code == 200
    assert _pdf_text(hindi_pdf.content) == _pdf_text(english_pdf.content)
