"""The payment run pages: the finance wing walks a run through; a firm is refused everywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from incentives.payments import services
from incentives.payments.models import BankReturnFile, PaymentInstruction, PaymentRun
from repm_portal.models import AuditEvent
from tests.payments.files import failure, return_csv, success

pytestmark = pytest.mark.django_db
IS = PaymentInstruction.Status
TODAY = "2028-09-06"


@pytest.fixture(autouse=True)
def _after_the_letters():
    """The pages read the process clock: four days after the letters are issued."""
    with time_machine.travel(dt.datetime(2028, 9, 6, 6, 30, tzinfo=dt.UTC), tick=False):
        yield


def _text(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


@pytest.fixture
def released(users, second_official, letters):
    run = services.prepare_run(actor=users["official"], letters=letters)
    return services.release_run(actor=second_official, run=run)


def _urls(run) -> list[tuple[str, str]]:
    return [
        ("get", reverse("payment_run_list")),
        ("get", reverse("payment_run_prepare")),
        ("post", reverse("payment_run_prepare")),
        ("get", reverse("payment_failed_list")),
        ("get", reverse("payment_run_detail", args=[run.pk])),
        ("post", reverse("payment_run_release", args=[run.pk])),
        ("post", reverse("payment_run_cancel", args=[run.pk])),
        ("post", reverse("payment_run_return", args=[run.pk])),
        ("get", reverse("payment_run_advice", args=[run.pk, "csv"])),
        ("get", reverse("payment_run_advice", args=[run.pk, "xlsx"])),
    ]


def test_a_firm_user_is_refused_every_page(client, users, released):
    client.force_login(users["firm_user"])
    for method, url in _urls(released):
        response = getattr(client, method)(url)
        assert response.status_code == 403, url
    released.refresh_from_db()
    assert released.status == PaymentRun.Status.RELEASED


def test_an_auditor_reads_runs_but_takes_no_advice_and_changes_nothing(client, users, released):
    client.force_login(users["auditor"])
    assert client.get(reverse("payment_run_detail", args=[released.pk])).status_code == 200
    assert client.get(reverse("payment_run_prepare")).status_code == 403
    assert client.get(reverse("payment_run_advice", args=[released.pk, "csv"])).status_code == 403
    data = return_csv([success(released.instructions.first(), "SBIN228245000001", TODAY)])
    response = client.post(
        reverse("payment_run_return", args=[released.pk]),
        {"file": SimpleUploadedFile("r.csv", data)},
    )
    assert response.status_code == 403
    assert not released.instructions.exclude(status=IS.SENT).exists()


def test_the_finance_wing_walks_a_run_out_and_back(client, users, second_official, letters):
    client.force_login(users["official"])
    page = client.get(reverse("payment_run_prepare"))
    assert page.status_code == 200 and letters[0].number in page.content.decode()
    response = client.post(
        reverse("payment_run_prepare"), {"letter": [letters[0].pk, letters[1].pk]}
    )
    run = PaymentRun.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "payment_run_detail", args=[run.pk]
    )
    detail = client.get(response.url).content.decode()
    assert "Rs 2,00,00,000.00" in detail and "Rs 5,00,00,000.00" in detail
    assert "a second official must release it" in detail and "Release to the bank" not in detail
    # The advice is not handed out before release, and the preparer cannot release.
    assert client.get(reverse("payment_run_advice", args=[run.pk, "csv"])).status_code == 403
    assert client.post(reverse("payment_run_release", args=[run.pk])).status_code == 403

    client.force_login(second_official)
    assert "Release to the bank" in client.get(response.url).content.decode()
    assert client.post(reverse("payment_run_release", args=[run.pk])).status_code == 302
    advice = client.get(reverse("payment_run_advice", args=[run.pk, "csv"]))
    lines = _text(advice).strip().splitlines()
    first, second = run.instructions.order_by("position")
    assert lines[0] == (
        "instruction_id,beneficiary_name,account_number,ifsc,amount,letter_number,narration"
    )
    assert lines[1].startswith(f"{first.instruction_id},") and first.account_number in lines[1]
    assert ",20000000.00," in lines[1] and letters[0].number in lines[1]
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("payment_run_advice", args=[run.pk, "xlsx"])).content)
    ).active
    assert [c.value for c in sheet[3]][:4] == [
        second.instruction_id, second.account_holder, second.account_number, second.ifsc,
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="payment_run.advice_downloaded").count() == 2

    bad = return_csv(
        [success(first, "SBIN228245000001", TODAY), success(second, "SBIN228245000001", TODAY)]
    )
    refused = client.post(
        reverse("payment_run_return", args=[run.pk]),
        {"file": SimpleUploadedFile("bank.csv", bad)},
    )
    assert refused.status_code == 400
    assert "repeated in the file (first in row 2)" in refused.content.decode()
    assert not run.instructions.exclude(status=IS.SENT).exists()

    good = return_csv(
        [success(first, "SBIN228245000001", TODAY), failure(second, "Account dormant", TODAY)]
    )
    applied = client.post(
        reverse("payment_run_return", args=[run.pk]),
        {"file": SimpleUploadedFile("bank.csv", good)},
    )
    assert applied.status_code == 302
    stored = BankReturnFile.objects.get()
    kept = client.get(reverse("payment_return_file", args=[stored.pk]))
    assert b"".join(kept.streaming_content) == good
    assert kept["X-Content-SHA256"] == hashlib.sha256(good).hexdigest() == stored.sha256
    failed_page = client.get(reverse("payment_failed_list")).content.decode()
    assert "Account dormant" in failed_page and second.instruction_id in failed_page

    client.force_login(users["firm_user"])
    assert client.get(reverse("payment_return_file", args=[stored.pk])).status_code == 403
    client.force_login(users["official"])
    client.post(reverse("payment_run_prepare"), {"reissue": [second.pk]})
    again = PaymentRun.objects.exclude(pk=run.pk).get()
    assert again.instructions.get().reissues == second
    letter_page = client.get(reverse("payment_run_list") + f"?letter={letters[1].pk}")
    assert again.instructions.get().instruction_id in letter_page.content.decode()


def test_the_advice_is_formula_safe(client, users, second_official, letters):
    account = letters[0].award.bid.firm.primary_bank_account
    account.account_holder = '=HYPERLINK("http://x")'
    account.save(update_fields=["account_holder"])
    run = services.prepare_run(actor=users["official"], letters=letters)
    services.release_run(actor=second_official, run=run)
    client.force_login(second_official)
    text = _text(client.get(reverse("payment_run_advice", args=[run.pk, "csv"])))
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("payment_run_advice", args=[run.pk, "xlsx"])).content)
    ).active
    assert sheet["B2"].value.startswith("'=") and sheet["B2"].data_type == "s"


def test_the_sanction_page_links_to_the_letters_instructions(client, users, letters):
    client.force_login(users["official"])
    page = client.get(reverse("sanction_detail", args=[letters[0].pk])).content.decode()
    assert reverse("payment_run_list") + f"?letter={letters[0].pk}" in page
    client.force_login(users["firm_user"])
    assert client.get(reverse("payment_run_list")).status_code == 403


def test_the_api_reads_for_the_finance_wing_and_refuses_a_firm(api_client, users, released):
    api_client.force_authenticate(users["firm_user"])
    assert api_client.get("/api/payment-runs/").status_code == 403
    assert api_client.post(f"/api/payment-runs/{released.pk}/release/").status_code == 403
    api_client.force_authenticate(users["auditor"])
    body = api_client.get(f"/api/payment-runs/{released.pk}/").json()
    assert body["status"] == "released" and len(body["instructions"]) == 2
    data = return_csv([success(released.instructions.first(), "SBIN228245000001", TODAY)])
    upload = SimpleUploadedFile("bank.csv", data)
    refused = api_client.post(f"/api/payment-runs/{released.pk}/return-file/", {"file": upload})
    assert refused.status_code == 403
    api_client.force_authenticate(users["official"])
    bad = return_csv([["RP00000000000", "SBIN228245000001", "1.00", TODAY, "SUCCESS", ""]])
    answer = api_client.post(
        f"/api/payment-runs/{released.pk}/return-file/",
        {"file": SimpleUploadedFile("bank.csv", bad)},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["column"] == "instruction_id"
    good = api_client.post(
        f"/api/payment-runs/{released.pk}/return-file/",
        {"file": SimpleUploadedFile("bank.csv", data)},
    )
    assert good.status_code == 200 and good.json()["succeeded"] == 1


def test_the_dashboard_shows_the_run_awaiting_release(client, users, second_official, letters):
    run = services.prepare_run(actor=users["official"], letters=letters)
    client.force_login(second_official)
    page = client.get(reverse("dashboard")).content.decode()
    assert run.reference in page and reverse("payment_run_detail", args=[run.pk]) in page
    client.force_login(users["auditor"])
    assert "All payment runs" in page
    assert "All payment runs" not in client.get(reverse("dashboard")).content.decode()
