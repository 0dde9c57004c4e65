"""In Chromium: each role logs in and sees its own dashboard; a firm registers, fixing a bad GSTIN first."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from beneficiaries.models import Firm
from repm_portal.roles import Role
from tests.e2e.pages import field, login
from tests.factories import PASSWORD, gstin_for


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("role", "heading", "sees", "does_not_see"),
    [
        (
            Role.OFFICIAL,
            "Ministry official's dashboard",
            ["Scheme budget and rules in force", "Audit trail"],
            ["Your firm"],
        ),
        (Role.AUDITOR, "Auditor's dashboard", ["Audit trail", "Registered firms"], ["Your firm"]),
        (
            Role.FIRM_USER,
            "Firm user's dashboard",
            ["Your firm", "Rules you operate under"],
            ["Audit trail"],
        ),
        (Role.ADMIN, "Administrator's dashboard", ["People and roles"], ["Your firm"]),
    ],
)
def test_each_role_logs_in_and_sees_its_dashboard(
    live_server, page, users, role, heading, sees, does_not_see
):
    # given a user of the role, when they log in through the form
    login(page, live_server.url, users[role].username, PASSWORD)
    # then the dashboard is theirs: heading, panels and navigation for the role only
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    for title in sees:
        expect(page.get_by_role("heading", name=title)).to_be_visible()
    for title in does_not_see:
        expect(page.get_by_role("heading", name=title)).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    if role == Role.FIRM_USER:
        expect(nav.get_by_role("link", name="Audit trail")).to_have_count(0)
    else:
        expect(nav.get_by_role("link", name="Audit trail")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_a_firm_registers_after_fixing_a_bad_gstin(live_server, page, rules):
    pan = "AABCQ4321K"
    good = gstin_for(pan)
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    page.goto(f"{live_server.url}/register/")
    fields = {
        "Legal name": "Quantum Magnetics Limited", "CIN": "U27100KA2025PLC765432", "PAN": pan,
        "GSTIN": bad, "Registered address": "KIADB Industrial Area, Bengaluru",
        "Authorised signatory": "S. Rao", "Signatory's designation": "Director",
        "Signatory's e-mail": "rao@quantum.example.in", "Signatory's phone": "+91 80 1234 5678",
        "Account holder": "Quantum Magnetics Limited", "Account number": "123456789012",
        "IFSC": "HDFC0001234", "Bank": "HDFC Bank", "Branch": "Bengaluru",
        "Username": "quantum", "Email": "ops@quantum.example.in",
    }  # fmt: skip
    for label, value in fields.items():
        field(page, label).fill(value)
    field(page, "Password").fill("a-long-demo-passphrase")
    field(page, "Password again").fill("a-long-demo-passphrase")
    page.get_by_role("button", name="Register").click()
    # then the GSTIN error is specific and nothing was created
    expect(
        page.get_by_role("alert").get_by_role("link", name="GSTIN: Check character")
    ).to_have_text(f"GSTIN: Check character should be '{good[-1]}', not '{bad[-1]}'")
    expect(field(page, "GSTIN")).to_have_accessible_description(
        f"Check character should be '{good[-1]}', not '{bad[-1]}'"
    )
    assert not Firm.objects.filter(pan=pan).exists()
    # when the firm corrects it (passwords are not echoed back, so type them again)
    field(page, "GSTIN").fill(good)
    field(page, "Password").fill("a-long-demo-passphrase")
    field(page, "Password again").fill("a-long-demo-passphrase")
    page.get_by_role("button", name="Register").click()
    # then it lands on its firm page, logged in
    expect(page.get_by_role("heading", level=1)).to_have_text("Quantum Magnetics Limited")
    expect(page.get_by_text("HDFC0001234")).to_be_visible()
    assert Firm.objects.get(pan=pan).gstin == good
