"""In Chromium: the auditor filters the disbursement register and downloads it as CSV; the file
begins by stating what it is, when, by whom and under which filters."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from incentives.models import SanctionLetter
from repm_portal.roles import Role
from tests.claims.sales import sales_award
from tests.e2e.pages import login
from tests.factories import PASSWORD, UserFactory
from tests.sli.money import Q1, after, quarter_claim, sanction


@pytest.mark.django_db(transaction=True)
def test_the_auditor_downloads_the_register_as_csv(live_server, page, rules, media_root):
    # given one sanctioned SLI quarter and the demo's auditor
    UserFactory(role=Role.VERIFIER)
    approver = UserFactory(role=Role.APPROVER)
    award = sales_award()
    letter = sanction(quarter_claim(award, Q1), approver, now=after(Q1[1], 14))
    assert isinstance(letter, SanctionLetter)
    auditor = UserFactory(role=Role.AUDITOR, username="auditor")
    login(page, live_server.url, auditor.username, PASSWORD)
    # when the auditor opens the exports from the menu, filters by year and downloads the CSV
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exports").click()
    register = page.locator("#export-register")
    register.get_by_label("Financial year").select_option(letter.financial_year)
    with page.expect_download() as info:
        register.get_by_role("button", name="Download the Disbursement register as CSV now").click()
    download = info.value
    # then the file states itself, then the columns, then the letter
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    blank = lines.index([])
    statement = {line[0]: line[1] for line in lines[:blank]}
    assert lines[0] == ["REPM Portal", "Disbursement register"]
    assert statement["Produced by"] == "auditor (Auditor)"
    assert statement["Filters"] == f"Financial year: {letter.financial_year}"
    assert statement["Rows"] == "1"
    assert "Produced at" in statement and "Service-level days counted to" in statement
    header, row = lines[blank + 1], lines[blank + 2]
    assert dict(zip(header, row, strict=True))["letter_number"] == letter.number
    assert download.suggested_filename.startswith("repm-register-")
