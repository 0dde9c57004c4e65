"""Pages and API of the money core, per role: a firm sees only its own letters; the public checks a letter."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from incentives import sanctions, services
from incentives.models import Payment
from repm_portal.money import crore
from repm_portal.roles import Role
from tests.factories import PASSWORD, AwardFactory, FirmUserFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2028, 9, 1, 12, 0, tzinfo=dt.UTC)
STAFF = ["official", "verifier", "approver", "auditor", "admin", "evaluator"]


@pytest.fixture
def letters(grants, users):
    """Two beneficiaries, one letter each."""
    made = {}
    for name in ("ours", "theirs"):
        award = AwardFactory()
        grants.add(name, award, crore(3))
        with transaction.atomic():
            request = sanctions.request_sanction(
                claim_type=grants.code, claim_id=name, actor=users["approver"], now=NOW
            )
        made[name] = sanctions.issue(request.pk, now=NOW)
    return made


def _firm_user(letter):
    return letter.award.bid.firm.users.first()


def _login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _urls(letter) -> list[str]:
    return [
        reverse("sanction_detail", args=[letter.pk]),
        reverse("sanction_status", args=[letter.pk]),
        reverse("sanction_letter_pdf", args=[letter.pk]),
        f"/api/sanction-letters/{letter.pk}/",
    ]


def test_a_firm_sees_its_own_letter_and_not_another(client, letters):
    ours, theirs = letters["ours"], letters["theirs"]
    _login(client, _firm_user(ours))
    for url in _urls(ours):
        assert client.get(url).status_code == 200, url
    for url in _urls(theirs):
        assert client.get(url).status_code == 404, url
    listing = client.get(reverse("sanction_list")).content.decode()
    assert ours.number in listing and theirs.number not in listing
    api = client.get("/api/sanction-letters/").json()
    numbers = [row["number"] for row in api.get("results", api)]
    assert numbers == [ours.number]
    ledger_csv = b"".join(client.get(reverse("ledger_export")).streaming_content).decode(
        "utf-8-sig"
    )
    assert ours.number in ledger_csv and theirs.number not in ledger_csv


@pytest.mark.parametrize("role", STAFF)
def test_staff_read_every_letter(client, users, letters, role):
    _login(client, users[role])
    for letter in letters.values():
        for url in _urls(letter):
            assert client.get(url).status_code == 200, (role, url)
    assert client.get(reverse("ledger_list")).status_code == 200


def test_anonymous_users_are_sent_to_log_in(client, letters):
    for url in [*_urls(letters["ours"])[:3], reverse("ledger_list"), reverse("sanction_list")]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert client.get("/api/sanction-letters/").status_code in (401, 403)


def test_the_pdf_download_is_the_issued_file(client, users, letters):
    letter = letters["ours"]
    _login(client, users["auditor"])
    response = client.get(reverse("sanction_letter_pdf", args=[letter.pk]))
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-SHA256"] == letter.sha256
    import hashlib

    assert hashlib.sha256(body).hexdigest() == letter.sha256


def test_the_public_verification_page_checks_a_pdf(client, letters):
    letter = letters["ours"]
    url = reverse("letter_verify", args=[letter.verify_token])
    page = client.get(url).content.decode()
    assert letter.number in page and letter.sha256 in page and "stands" in page
    with letter.file.open("rb") as f:
        genuine = f.read()
    ok = client.post(url, {"pdf": SimpleUploadedFile("l.pdf", genuine, "application/pdf")})
    assert "matches the letter as issued" in ok.content.decode()
    forged = genuine.replace(b"%%EOF", b"%%EOF\n% altered")
    bad = client.post(url, {"pdf": SimpleUploadedFile("l.pdf", forged, "application/pdf")})
    assert "does NOT match" in bad.content.decode()
    assert client.get(reverse("letter_verify", args=["not-a-token"])).status_code == 404


def test_a_letter_number_alone_tells_nothing_and_the_pdf_finds_its_letter(client, letters):
    # the reproduction: counting through numbers listed every beneficiary, amount and hash
    letter = letters["ours"]
    real = client.get(reverse("letter_check_number", args=[letter.number]))
    made_up = client.get(reverse("letter_check_number", args=["REPM/XX/2028-29/9999"]))
    assert real.status_code == made_up.status_code == 200

    def strip(response, number: str) -> str:
        page = response.content.decode().replace(number, "")
        return re.sub(r'(csrfmiddlewaretoken" value=|CSRFToken": )"[^"]+"', "", page)

    assert strip(real, letter.number) == strip(made_up, "REPM/XX/2028-29/9999")
    body = real.content.decode()
    assert letter.sha256 not in body and letter.content["beneficiary"]["name"] not in body
    # and the PDF itself, uploaded, finds its letter
    with letter.file.open("rb") as f:
        genuine = f.read()
    found = client.post(
        reverse("letter_check"), {"pdf": SimpleUploadedFile("l.pdf", genuine, "application/pdf")}
    )
    assert (
        letter.number in found.content.decode()
        and "matches the letter as issued" in found.content.decode()
    )
    altered = client.post(
        reverse("letter_check"),
        {"pdf": SimpleUploadedFile("l.pdf", genuine + b"%", "application/pdf")},
    )
    assert "No letter issued" in altered.content.decode()
    # the QR's link is the token's, never the number's
    from incentives.sanctions import verification_url

    assert letter.verify_token in verification_url(letter)
    assert letter.number not in verification_url(letter)


@time_machine.travel(dt.datetime(2028, 9, 10, 12, 0, tzinfo=dt.UTC))
def test_an_official_records_a_payment_on_the_page_and_others_cannot(client, users, letters):
    letter = letters["ours"]
    url = reverse("sanction_detail", args=[letter.pk])
    form = {
        "action": "pay",
        "amount": "10000000.00",
        "paid_on": "2028-09-05",
        "utr": "SBIN228245777777",
    }
    _login(client, _firm_user(letter))
    client.post(url, form)
    _login(client, users["auditor"])
    client.post(url, form)
    assert not Payment.objects.exists()
    _login(client, users["official"])
    response = client.post(url, form)
    assert response.status_code == 302
    assert Payment.objects.get().utr == "SBIN228245777777"
    page = client.get(url).content.decode()
    assert "Rs 2,00,00,000.00" in page  # pending


@time_machine.travel(dt.datetime(2028, 9, 10, 12, 0, tzinfo=dt.UTC))
def test_the_api_records_a_payment_for_officials_only(api_client, users, letters):
    letter = letters["ours"]
    body = {
        "letter": letter.pk,
        "amount": "100.00",
        "paid_on": "2028-09-05",
        "utr": "SBIN228245888888",
    }
    api_client.force_authenticate(users["auditor"])
    assert api_client.post("/api/payments/", body, format="json").status_code == 403
    firm_user = FirmUserFactory(firm=letters["theirs"].award.bid.firm)
    api_client.force_authenticate(firm_user)
    assert api_client.post("/api/payments/", body, format="json").status_code == 400
    api_client.force_authenticate(users["official"])
    created = api_client.post("/api/payments/", body, format="json")
    assert created.status_code == 201 and created.json()["letter_number"] == letter.number
    over = dict(body, amount="30000000.00", utr="SBIN228245888889")
    refused = api_client.post("/api/payments/", over, format="json")
    assert refused.status_code == 400 and "exceed" in str(refused.json())


def test_the_ledger_export_is_complete_and_neutralised(client, users, letters):
    services.record_payment(
        actor=users["official"], letter=letters["ours"], amount=crore(1),
        paid_on=dt.date(2028, 9, 2), utr="SBIN228245999999", remarks="=HYPERLINK()",
        now=NOW + dt.timedelta(days=2),
    )  # fmt: skip
    _login(client, users["auditor"])
    text = b"".join(client.get(reverse("ledger_export")).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["sanction", "sanction", "payment"]
    assert rows[2]["amount"] == "10000000.00" and rows[2]["letter"] == letters["ours"].number


def test_the_dashboard_shows_the_budget_and_what_a_firm_is_owed(client, users, letters):
    _login(client, users["official"])
    page = client.get(reverse("dashboard")).content.decode()
    assert "Budget and payments" in page and "Capital subsidy" in page
    _login(client, _firm_user(letters["ours"]))
    page = client.get(reverse("dashboard")).content.decode()
    assert "What you are owed" in page and letters["ours"].number in page
    assert letters["theirs"].number not in page
    assert _firm_user(letters["ours"]).role == Role.FIRM_USER


def test_a_refused_sanction_is_shown_to_staff(client, users, grants):
    award = AwardFactory()
    grants.award_cap = crore(1)
    grants.add("big", award, crore(2))
    with transaction.atomic():
        request = sanctions.request_sanction(
            claim_type=grants.code, claim_id="big", actor=users["approver"], now=NOW
        )
    with pytest.raises(Exception, match="past its cap"):
        sanctions.issue(request.pk, now=NOW)
    _login(client, users["official"])
    page = client.get(reverse("dashboard")).content.decode()
    assert "Sanctions the ledger refused" in page and "test_grant big" in page


def test_the_ledger_page_shows_a_page_of_entries_and_counts_them_all(
    client, users, letters, monkeypatch
):
    from incentives import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    _login(client, users["auditor"])
    first = client.get(reverse("ledger_list")).content.decode()
    second = client.get(reverse("ledger_list"), {"page": 2}).content.decode()
    # Newest first: the second letter's sanction, then the first's, one to a page.
    assert letters["theirs"].number in first and letters["ours"].number not in first
    assert letters["ours"].number in second and letters["theirs"].number not in second
    for page in (first, second):
        assert "Export CSV (2 entries)" in page and "of 2</span>" in page
    assert 'href="?page=2"' in first and 'href="?page=1"' in second


def test_the_sanctions_page_shows_a_page_of_letters_newest_first(
    client, users, letters, monkeypatch
):
    from incentives import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    _login(client, users["official"])
    first = client.get(reverse("sanction_list")).content.decode()
    second = client.get(reverse("sanction_list"), {"page": 2}).content.decode()
    assert letters["theirs"].number in first and letters["ours"].number not in first
    assert letters["ours"].number in second and letters["theirs"].number not in second
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert 'href="?page=2"' in first and 'href="?page=1"' in second
