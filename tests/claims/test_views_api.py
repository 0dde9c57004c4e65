"""Pages and API of sales claims: each role sees what it may, per endpoint; uploads through both."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from knox.models import AuthToken

from incentives.claims import services
from incentives.claims.models import Claim, ClaimUpload
from repm_portal.roles import READ_ALL_ROLES, Role
from tests.claims.sales import (
    AFTER_Q1,
    Q1_START,
    csv_bytes,
    line,
    lines_for,
    submit,
    uploaded,
)
from tests.factories import FirmUserFactory, UserFactory


@pytest.fixture
def accepted(award, firm_user):
    return submit(award, firm_user, csv_bytes(lines_for(Q1_START, 3)))


@pytest.fixture
def refused(award, firm_user):
    records = [line(1, dt.date(2027, 5, 12), buyer_name="=cmd|' /C calc'!A0", hsn_code="9999")]
    return submit(award, firm_user, csv_bytes(records), now=AFTER_Q1 + dt.timedelta(hours=1))


def page_urls(award, accepted, refused) -> list[str]:
    claim = accepted.claim
    return [
        reverse("claim_upload_form", args=[award.pk, Q1_START.isoformat()]),
        reverse("claim_upload_detail", args=[accepted.pk]),
        reverse("claim_upload_progress", args=[accepted.pk]),
        reverse("claim_upload_file", args=[accepted.pk]),
        reverse("claim_upload_errors_csv", args=[refused.pk]),
        reverse("claim_upload_errors_xlsx", args=[refused.pk]),
        reverse("claim_upload_annotated", args=[refused.pk]),
        reverse("claim_detail", args=[claim.pk]),
        reverse("claim_lines_csv", args=[claim.pk]),
    ]


def api_urls(award, accepted) -> list[str]:
    return [
        f"/api/claim-uploads/{accepted.pk}/",
        f"/api/sales-claims/{accepted.claim_id}/",
        f"/api/claim-periods/?award={award.pk}",
    ]


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1 + dt.timedelta(days=1), tick=False)
def test_the_firm_and_every_staff_role_read_every_page_and_other_firms_none(
    client, award, firm_user, accepted, refused
):
    urls = page_urls(award, accepted, refused)
    for user in [firm_user, *(UserFactory(role=role) for role in READ_ALL_ROLES)]:
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            if url.endswith("/upload/") and user.role != Role.FIRM_USER:
                continue  # the form page shows, but only the firm may post (tested below)
            assert response.status_code == 200, (user.role, url, response.status_code)
    client.force_login(FirmUserFactory())
    for url in urls:
        assert client.get(url).status_code in (403, 404), url
    listing = client.get(reverse("claim_list"))
    assert listing.status_code == 200 and b"Upload sales" not in listing.content


@pytest.mark.django_db
def test_the_firm_and_staff_read_the_api_and_other_firms_get_nothing(
    api_client, award, firm_user, accepted
):
    urls = api_urls(award, accepted)
    for user in [firm_user, *(UserFactory(role=role) for role in READ_ALL_ROLES)]:
        api_client.force_authenticate(user)
        for url in urls:
            assert api_client.get(url).status_code == 200, (user.role, url)
        assert api_client.get("/api/sales-claims/").data["count"] == 1
        assert api_client.get("/api/claim-uploads/").data["count"] == 1
    api_client.force_authenticate(FirmUserFactory())
    for url in urls:
        assert api_client.get(url).status_code == 403, url
    assert api_client.get("/api/sales-claims/").data["count"] == 0
    assert api_client.get("/api/claim-uploads/").data["count"] == 0
    api_client.force_authenticate(None)
    assert api_client.get(urls[0]).status_code == 401


@pytest.mark.django_db
def test_the_api_gives_the_claim_figures_for_the_incentive_engine(api_client, firm_user, accepted):
    api_client.force_authenticate(firm_user)
    data = api_client.get(f"/api/sales-claims/{accepted.claim_id}/").json()
    assert data["eligible_kg"] == "301.500"
    assert data["net_sales_value"] == "1507500.00"
    assert data["quarter_label"] == "Q1 FY 2027-28" and data["status"] == "draft"
    assert data["totals"]["domestic"] == {"kg": "301.500", "value": "1507500.00"}


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1, tick=False)
def test_a_firm_uploads_through_the_api_and_staff_may_not(
    api_client, award, firm_user, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "repm_portal.jobs.send",
        lambda task, target, countdown=None: queued.append(int(target)),
    )
    _, token = AuthToken.objects.create(user=firm_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    payload = {"award": award.pk, "period_start": Q1_START.isoformat(),
               "file": uploaded(csv_bytes(lines_for(Q1_START, 2)))}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/claim-uploads/", payload, format="multipart")
    assert response.status_code == 202, response.content
    assert response.data["status"] == "queued" and response.data["recognised"] is False
    assert queued == [response.data["id"]]  # the check is queued once the row is committed
    # the worker's part, then the status the firm polls
    services.process_upload(upload_id=response.data["id"])
    polled = api_client.get(f"/api/claim-uploads/{response.data['id']}/").json()
    assert (polled["status"], polled["phase"], polled["percent"]) == ("accepted", "done", 100)
    # the same bytes again: 200 and the same upload
    again = {**payload, "file": uploaded(csv_bytes(lines_for(Q1_START, 2)))}
    repeat = api_client.post("/api/claim-uploads/", again, format="multipart")
    assert repeat.status_code == 200 and repeat.data["recognised"] is True
    assert repeat.data["id"] == response.data["id"]
    # staff cannot upload for a firm
    api_client.credentials()
    api_client.force_authenticate(UserFactory(role=Role.VERIFIER))
    other = {**payload, "file": uploaded(csv_bytes(lines_for(Q1_START, 1)))}
    assert api_client.post("/api/claim-uploads/", other, format="multipart").status_code == 403


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1, tick=False)
def test_an_api_upload_outside_the_window_is_a_clear_400(api_client, award, firm_user):
    api_client.force_authenticate(firm_user)
    response = api_client.post(
        "/api/claim-uploads/",
        {"award": award.pk, "period_start": "2027-07-01",
         "file": uploaded(csv_bytes(lines_for(Q1_START, 1)))},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400
    assert "runs to 30 Sep 2027" in response.json()["non_field_errors"][0]


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1, tick=False)
def test_the_upload_page_queues_the_file_and_shows_progress(
    client, award, firm_user, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("repm_portal.jobs.send", lambda task, target, countdown=None: None)
    client.force_login(firm_user)
    url = reverse("claim_upload_form", args=[award.pk, Q1_START.isoformat()])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": uploaded(csv_bytes(lines_for(Q1_START, 2)))})
    upload = ClaimUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("claim_upload_detail", args=[upload.pk])
    detail = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in detail and "Waiting for a worker" in detail
    services.process_upload(upload_id=upload.pk)
    polled = client.get(reverse("claim_upload_progress", args=[upload.pk]), HTTP_HX_REQUEST="true")
    assert polled["HX-Refresh"] == "true"
    assert "hx-trigger" not in polled.content.decode()
    assert Claim.objects.get().line_count == 2


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1 + dt.timedelta(days=1), tick=False)
def test_the_refused_upload_page_lists_errors_and_exports_are_neutralised(
    client, firm_user, refused
):
    client.force_login(firm_user)
    page = client.get(reverse("claim_upload_detail", args=[refused.pk])).content.decode()
    assert "Nothing was stored" in page and 'id="summary-by-rule"' in page
    assert "hsn_prefix" in page and "HSN code &#x27;9999&#x27; must be 6 or 8 digits" in page
    errors_csv = client.get(reverse("claim_upload_errors_csv", args=[refused.pk])).content
    assert errors_csv.decode("utf-8-sig").splitlines()[1] == (
        "2,hsn_code,9999,hsn_prefix,HSN code '9999' must be 6 or 8 digits beginning 850511."
    )
    annotated = b"".join(
        client.get(reverse("claim_upload_annotated", args=[refused.pk])).streaming_content
    )
    assert "'=cmd|" in annotated.decode("utf-8-sig")


@pytest.mark.django_db
@time_machine.travel(AFTER_Q1 + dt.timedelta(days=1), tick=False)
def test_the_claim_page_shows_totals_and_the_lines_export_is_neutralised(client, award, firm_user):
    records = [
        line(1, dt.date(2027, 5, 12), buyer_name="+Plus Motors", related_party="Y"),
        line(2, dt.date(2027, 6, 12), buyer_gstin="", export_country="DE", buyer_name="Rhein GmbH"),
    ]
    claim = submit(award, firm_user, csv_bytes(records)).claim
    client.force_login(UserFactory(role=Role.VERIFIER))
    page = client.get(reverse("claim_detail", args=[claim.pk])).content.decode()
    assert "201.000 kg" in page and "Rs 10,05,000.00" in page
    assert "2027-05" in page and "2027-06" in page and "N42SH" in page
    assert "related party" in page  # the flagged line is listed for the verifier
    lines_csv = b"".join(client.get(reverse("claim_lines_csv", args=[claim.pk])).streaming_content)
    rows = lines_csv.decode("utf-8-sig").splitlines()
    assert rows[1].split(",")[3] == "'+Plus Motors"


def test_templates_and_dictionary_are_public(client, db):
    assert client.get(reverse("claim_template_csv")).content.startswith(
        b"\xef\xbb\xbfinvoice_number,"
    )
    assert client.get(reverse("claim_template_xlsx")).content.startswith(b"PK")
    assert b"credit_note_ref" in client.get(reverse("claim_columns")).content
