"""Pages and API of the capital subsidy, per role: a firm sees and acts on its own claims only."""

from __future__ import annotations

import base64
import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from incentives import sanctions
from incentives.capital import services
from incentives.capital.models import CapitalSubsidyClaim, InvestmentLine
from incentives.models import SanctionRequest
from repm_portal.roles import Role
from tests.capital.ledgers import NOW, certificate, firm_user, ledger_csv, line
from tests.factories import AwardFactory


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Pages and the API take the real clock: set it after the test invoices are dated."""
    time_machine.move_to(NOW)


STAFF = [Role.OFFICIAL, Role.EVALUATOR, Role.VERIFIER, Role.APPROVER, Role.AUDITOR, Role.ADMIN]


@pytest.fixture
def two_claims(rules):
    """Two firms' awards, each with a draft claim."""
    mine, theirs = (
        AwardFactory(commissioned=True),
        AwardFactory(commissioned=True, allocated_mtpa=800),
    )
    return [
        services.upload_ledger(
            actor=firm_user(a),
            award=a,
            ledger_file=ledger_csv([line("700")]),
            certificate_file=certificate(),
            now=NOW,
        )
        for a in (mine, theirs)
    ]


# API


@pytest.mark.parametrize("role", STAFF)
def test_staff_read_every_claim(api_client, users, two_claims, role):
    api_client.force_authenticate(users[role])

    response = api_client.get("/api/capital-claims/")

    assert response.status_code == 200
    assert {c["id"] for c in response.json()["results"]} == {c.pk for c in two_claims}


def test_a_firm_reads_only_its_own_claims(api_client, two_claims):
    mine, theirs = two_claims
    api_client.force_authenticate(firm_user(mine.award))

    listed = api_client.get("/api/capital-claims/").json()["results"]
    own = api_client.get(f"/api/capital-claims/{mine.pk}/")
    other = api_client.get(f"/api/capital-claims/{theirs.pk}/")

    assert [c["id"] for c in listed] == [mine.pk]
    assert own.status_code == 200 and len(own.json()["lines"]) == 1
    assert own.json()["lines"][0]["eligible"] is True
    assert other.status_code == 404


def test_a_firm_without_an_award_reads_nothing(api_client, users, two_claims):
    api_client.force_authenticate(users[Role.FIRM_USER])

    assert api_client.get("/api/capital-claims/").json()["results"] == []


def test_anonymous_callers_are_refused(api_client, two_claims):
    assert api_client.get("/api/capital-claims/").status_code == 401


def test_the_api_upload_takes_a_ledger_and_submits(api_client, rules):
    award = AwardFactory(commissioned=True)
    api_client.force_authenticate(firm_user(award))

    created = api_client.post(
        "/api/capital-claims/upload/",
        {"award": award.pk, "ledger": ledger_csv([line("700"), line("5", head="other")]),
         "certificate": certificate()},
        format="multipart",
    )  # fmt: skip
    submitted = api_client.post(f"/api/capital-claims/{created.json()['id']}/submit/")

    assert created.status_code == 201
    assert created.json()["eligible_total"] == "7000000000.00"
    assert [x["eligible"] for x in created.json()["lines"]] == [True, False]
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"


def test_a_bad_api_upload_answers_every_error_and_stores_nothing(api_client, rules):
    award = AwardFactory(commissioned=True)
    api_client.force_authenticate(firm_user(award))

    response = api_client.post(
        "/api/capital-claims/upload/",
        {"award": award.pk, "ledger": ledger_csv([line(), ["A", "other", "V", "9", "2027-01-01", "-1"]]),
         "certificate": certificate()},
        format="multipart",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "amount", "value": "-1", "rule": "negative",
         "message": "Amount must not be negative."}
    ]  # fmt: skip
    assert not CapitalSubsidyClaim.objects.exists()


@pytest.mark.parametrize("who", ["other_firm", Role.VERIFIER, Role.APPROVER])
def test_only_the_award_firm_may_upload_through_the_api(api_client, users, rules, who):
    award = AwardFactory(commissioned=True)
    api_client.force_authenticate(users[Role.FIRM_USER] if who == "other_firm" else users[who])

    response = api_client.post(
        "/api/capital-claims/upload/",
        {"award": award.pk, "ledger": ledger_csv([line()]), "certificate": certificate()},
        format="multipart",
    )

    assert response.status_code == 403
    assert not CapitalSubsidyClaim.objects.exists()


def test_another_firm_cannot_submit_a_claim(api_client, users, two_claims):
    api_client.force_authenticate(users[Role.FIRM_USER])

    assert api_client.post(f"/api/capital-claims/{two_claims[0].pk}/submit/").status_code == 404


# Pages


def test_the_firm_uploads_sees_its_lines_and_submits(client, rules):
    award = AwardFactory(commissioned=True)
    client.force_login(firm_user(award))

    page = client.get(reverse("capital_claim_list"))
    posted = client.post(
        reverse("capital_upload", args=[award.pk]),
        {
            "ledger": ledger_csv([line("700"), line("3", head="other")]),
            "certificate": certificate(),
        },
    )
    claim = CapitalSubsidyClaim.objects.get()
    detail = client.get(reverse("capital_claim_detail", args=[claim.pk]))
    client.post(reverse("capital_claim_action", args=[claim.pk, "submit"]))

    assert reverse("capital_upload", args=[award.pk]) in page.content.decode()
    assert posted.status_code == 302
    body = detail.content.decode()
    assert "Not eligible: Head &#x27;other&#x27; is not eligible" in body
    assert "Rs 7,00,00,00,000.00" in body  # eligible, the Indian way
    assert "1,200 MTPA (slab 1,100-1,200 MTPA)" in body
    claim.refresh_from_db()
    assert claim.status == CapitalSubsidyClaim.Status.SUBMITTED


def test_a_refused_upload_shows_a_row_level_table_and_a_neutralised_csv(client, rules):
    award = AwardFactory(commissioned=True)
    client.force_login(firm_user(award))

    response = client.post(
        reverse("capital_upload", args=[award.pk]),
        {"ledger": ledger_csv([["=HYPERLINK(1)", "machines", "V", "1", "2027-01-01", "x"]]),
         "certificate": certificate()},
    )  # fmt: skip

    body = response.content.decode()
    assert response.status_code == 400
    assert "The ledger was refused: 2 errors" in body
    assert "unknown_head" in body and "not_a_number" in body
    data_uri = body.split('href="data:text/csv;charset=utf-8;base64,')[1].split('"')[0]
    rows = list(csv.reader(io.StringIO(base64.b64decode(data_uri).decode("utf-8-sig"))))
    assert rows[0] == ["row", "column", "value", "rule", "message"]
    assert rows[1][:4] == ["2", "head", "machines", "unknown_head"]
    assert not CapitalSubsidyClaim.objects.exists()


def test_the_upload_page_is_the_award_firms_only(client, users, rules):
    award = AwardFactory(commissioned=True)
    client.force_login(users[Role.FIRM_USER])

    assert client.get(reverse("capital_upload", args=[award.pk])).status_code == 403


@pytest.mark.parametrize("name", ["capital_claim_detail", "capital_lines_csv"])
def test_another_firms_claim_pages_are_refused(client, users, two_claims, name):
    client.force_login(users[Role.FIRM_USER])

    assert client.get(reverse(name, args=[two_claims[0].pk])).status_code == 403


def test_documents_download_for_their_firm_and_staff_only(client, users, two_claims):
    claim = two_claims[0]
    url = reverse("capital_document", args=[claim.pk, claim.ledger_id])

    client.force_login(users[Role.FIRM_USER])
    refused = client.get(url)
    client.force_login(firm_user(claim.award))
    own = client.get(url)
    client.force_login(users[Role.AUDITOR])
    audited = client.get(url)

    assert refused.status_code == 403
    assert own.status_code == 200 and b"".join(own.streaming_content).startswith(b"item,head")
    assert audited.status_code == 200


def test_the_lines_export_neutralises_formulas(client, users, rules):
    award = AwardFactory(commissioned=True)
    claim = services.upload_ledger(
        actor=firm_user(award), award=award,
        ledger_file=ledger_csv([line("700", item="=cmd|' /C calc'!A0")]),
        certificate_file=certificate(), now=NOW,
    )  # fmt: skip
    client.force_login(users[Role.VERIFIER])

    response = client.get(reverse("capital_lines_csv", args=[claim.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert rows[1][1] == "'=cmd|' /C calc'!A0"


def test_verifier_excludes_on_the_page_and_approver_approves_then_the_letter_shows(
    client, users, rules
):
    award = AwardFactory(commissioned=True)
    claim = services.upload_ledger(
        actor=firm_user(award), award=award, ledger_file=ledger_csv([line("700"), line("100")]),
        certificate_file=certificate(), now=NOW,
    )  # fmt: skip
    services.submit_claim(actor=firm_user(award), claim=claim, now=NOW)
    second = InvestmentLine.objects.get(claim=claim, row_number=3)

    client.force_login(users[Role.VERIFIER])
    page = client.get(reverse("capital_claim_detail", args=[claim.pk]))
    client.post(
        reverse("capital_claim_action", args=[claim.pk, "verify"]),
        {f"exclude_{second.pk}": "on", f"reason_{second.pk}": "Invoice not in CA certificate",
         "remarks": "Checked"},
    )  # fmt: skip
    client.force_login(users[Role.APPROVER])
    client.post(reverse("capital_claim_action", args=[claim.pk, "approve"]))
    sanctions.issue(SanctionRequest.objects.get(key=f"capital_subsidy:{claim.pk}").pk, now=NOW)
    client.force_login(firm_user(award))
    detail = client.get(reverse("capital_claim_detail", args=[claim.pk])).content.decode()

    assert f'name="exclude_{second.pk}"' in page.content.decode()
    claim.refresh_from_db()
    assert claim.status == CapitalSubsidyClaim.Status.SANCTIONED
    assert claim.sanctioned_amount == 105_00_00_000
    assert claim.letter.number in detail
    assert reverse("sanction_letter_pdf", args=[claim.letter.pk]) in detail
    assert "Excluded by the verifier: Invoice not in CA certificate" in detail


def test_a_failed_action_is_a_message_not_an_error(client, users, two_claims):
    client.force_login(users[Role.VERIFIER])

    response = client.post(
        reverse("capital_claim_action", args=[two_claims[0].pk, "verify"]), follow=True
    )

    assert "only a submitted claim is verified" in response.content.decode()


def test_the_template_and_dictionary_are_published(client, users):
    client.force_login(users[Role.FIRM_USER])

    page = client.get(reverse("capital_template")).content.decode()
    as_csv = client.get(reverse("capital_template_csv"))
    as_xlsx = client.get(reverse("capital_template_xlsx"))

    assert "invoice_number" in page and "technology transfer" in page
    assert (
        as_csv.content.decode("utf-8-sig").strip()
        == "item,head,vendor,invoice_number,invoice_date,amount"
    )
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).worksheets[1]
    assert sheet.title == "Column dictionary" and sheet.max_row == 7


@pytest.mark.parametrize(
    ("role", "title"),
    [
        (Role.VERIFIER, "Capital subsidy claims waiting for you"),
        (Role.APPROVER, "Capital subsidy claims waiting for you"),
    ],
)
def test_staff_panels_list_what_waits_for_them(client, users, two_claims, role, title):
    claim = two_claims[0]
    services.submit_claim(actor=firm_user(claim.award), claim=claim, now=NOW)
    if role == Role.APPROVER:
        services.verify_claim(actor=users[Role.VERIFIER], claim=claim, now=NOW)
    client.force_login(users[role])

    body = client.get(reverse("dashboard")).content.decode()

    assert title in body
    assert claim.reference in body
    assert two_claims[1].reference not in body  # a draft waits for nobody


def test_the_firm_panel_shows_its_claim(client, two_claims):
    client.force_login(firm_user(two_claims[0].award))

    body = client.get(reverse("dashboard")).content.decode()

    assert two_claims[0].reference in body
    assert two_claims[1].reference not in body
