"""In Chromium: a firm uploads a file with errors, sees them, uploads the corrected file and watches it stored.

A real Celery worker (on a private queue) checks and stores the files, as in production.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
import time_machine
from playwright.sync_api import expect

from incentives.claims.models import Claim
from tests.claims.sales import AFTER_Q1, Q1_START, csv_bytes, line, lines_for, sales_award
from tests.e2e.pages import login
from tests.factories import PASSWORD
from tests.workers import start_worker, stop

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("private_cache")]


@pytest.fixture
def award(rules):
    return sales_award()


@pytest.fixture
def firm_user(award):
    return award.bid.firm.users.get()


def as_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": data}


@pytest.mark.django_db(transaction=True)
def test_a_firm_fixes_a_refused_file_and_sees_it_stored(
    live_server,
    page,
    award,
    firm_user,
    media_root,
    settings,
):
    queue = f"test-claims-e2e-{uuid.uuid4().hex[:8]}"
    settings.CLAIMS_TASK_QUEUE = queue
    worker = start_worker(queue, media_root)
    good = lines_for(Q1_START, 400)
    bad = [*good[:399], line(400, dt.date(2027, 5, 30), hsn_code="85061000")]
    try:
        with time_machine.travel(AFTER_Q1, tick=True):
            base = live_server.url
            login(page, base, firm_user.username, PASSWORD)
            page.goto(f"{base}/claims/")
            page.get_by_role("link", name="Upload sales").click()
            # when the firm uploads a file with one wrong HSN code
            page.locator("input[name=file]").set_input_files(as_file("q1.csv", csv_bytes(bad)))
            page.get_by_role("button", name="Upload and check").click()
            # then it sees the error with its row, column, value and rule, and nothing stored
            expect(page.get_by_role("heading", name="Nothing was stored")).to_be_visible(
                timeout=60_000
            )
            errors = page.locator("#errors tbody tr")
            expect(errors).to_have_count(1)
            expect(errors.first).to_contain_text("401")
            expect(errors.first).to_contain_text("hsn_code")
            expect(errors.first).to_contain_text("85061000")
            expect(errors.first).to_contain_text("is not under 8505 11")
            expect(page.locator("#summary-by-rule")).to_contain_text("hsn_prefix")
            assert not Claim.objects.exists()

            # when it uploads the corrected file
            page.get_by_role("link", name="Upload a corrected file").click()
            page.locator("input[name=file]").set_input_files(
                as_file("q1-fixed.csv", csv_bytes(good))
            )
            page.get_by_role("button", name="Upload and check").click()
            # then the progress bar runs to the end and the claim holds every line
            expect(page.locator("#claim-progress progress")).to_be_visible()
            expect(page.get_by_text(re.compile(r"400 lines stored"))).to_be_visible(timeout=60_000)
            expect(page.locator("#claim-progress progress")).to_have_attribute("value", "100")
            page.get_by_role("link", name="See the claim's totals").click()
            expect(page.locator("#claim-figures")).to_contain_text("40,200.000 kg")
    finally:
        stop(worker)
    assert Claim.objects.get().line_count == 400
