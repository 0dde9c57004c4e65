"""The sales-claim, SLI and sanction pages in Hindi: the same figures, the Indian way, in Hindi words."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.sli.pages import NOW, books, figures, firm_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture(autouse=True)
def back_to_english():
    """LocaleMiddleware leaves the last page's language active in the thread: later tests that
    call services directly would read Hindi refusals."""
    yield
    translation.deactivate()


def _hindi_page(client, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert '<html lang="hi">' in html, url
    return html


def test_the_firm_reads_its_claims_incentive_and_letter_in_hindi(client, award, users):
    booked = books(award, users)
    client.force_login(firm_user(award))
    english = client.get(reverse("sli_home")).content.decode()
    home = _hindi_page(client, reverse("sli_home"))
    # the headings and labels are Hindi, the figures exactly as in English
    assert "बिक्री-आधारित प्रोत्साहन" in home
    assert "तिमाही दावे" in home and "Quarter claims" not in home
    assert figures(home) == figures(english)
    assert "Rs 12,90,00,00,000.00" in home
    # a choice label (the claim's state) is shown in Hindi
    assert "सत्यापित" in home
    working = _hindi_page(client, reverse("sli_claim_working", args=[booked.q2.pk]))
    assert "SLI गणना" in working and "The working, step by step" not in working
    claim = _hindi_page(client, reverse("claim_detail", args=[booked.q2.pk]))
    assert "दावे की वर्तमान स्थिति" in claim and "Where the claim stands" not in claim
    assert "सत्यापन: दाखिल और सत्यापित योग" in claim
    claims = _hindi_page(client, reverse("claim_list"))
    assert "बिक्री दावे" in claims
    columns = _hindi_page(client, reverse("claim_columns"))
    assert "बिक्री दावा फ़ाइल: स्तंभ शब्दकोश" in columns
    upload = booked.q2.uploads.first()
    assert upload is not None
    shown = _hindi_page(client, reverse("claim_upload_detail", args=[upload.pk]))
    assert "मूल फ़ाइल" in shown and "Raw file" not in shown
    letter = _hindi_page(client, reverse("sanction_detail", args=[booked.letter.pk]))
    assert f"स्वीकृति पत्र {booked.letter.number}" in letter
    assert "खाता-बही प्रविष्टियां" in letter and "Ledger entries" not in letter
    ledger = _hindi_page(client, reverse("ledger_list"))
    assert "कोई भी निधि" in ledger  # the filter's first choice
    assert '<option value="sli">बिक्री-आधारित प्रोत्साहन</option>' in ledger


def test_staff_read_the_queue_pool_and_true_ups_in_hindi(client, award, users):
    books(award, users)
    client.force_login(users["official"])
    queue = _hindi_page(client, reverse("sli_queue"))
    assert "SLI तिमाही कतार" in queue and "SLI quarter queue" not in queue
    pool = _hindi_page(client, reverse("sli_pool"))
    assert "तिमाही-दर-तिमाही" in pool
    true_ups = _hindi_page(client, reverse("sli_true_up_list"))
    assert "SLI वार्षिक समायोजन" in true_ups and '<option value="">कोई भी</option>' in true_ups
    sanctions = _hindi_page(client, reverse("sanction_list"))
    assert "स्वीकृतियां और भुगतान" in sanctions
    # the dashboard panels of the incentive are Hindi too
    dashboard = _hindi_page(client, reverse("dashboard"))
    assert "<dt>प्रतिबद्ध</dt>" in dashboard  # the SLI pool panel
    assert "भुगतान सेवा स्तर" in dashboard or "भुगतान की प्रतीक्षा में" in dashboard  # the budget panel
