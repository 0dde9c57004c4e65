"""The services' refusals in the reader's language: Hindi on a Hindi page, English in the API
whatever the caller's cookie or browser asks for (the API is a documented interface)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from bidding.models import Bid
from tests.bidding import builders
from tests.bidding.builders import bid_post, make_bidder

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_tender(staff):
    start = timezone.now() - dt.timedelta(days=1)
    return builders.make_tender(staff, reference="LIVE/2026/08", now=start)


def _client(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_a_refused_bid_says_why_in_hindi_on_the_page_and_in_english_in_the_api(live_tender):
    bidder = make_bidder()
    hindi = _client(bidder, "hi")

    page = hindi.post(f"/tenders/{live_tender.pk}/bid/", bid_post(capacity_mtpa="650"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="hi">' in html
    assert "बोली क्षमता" in html and "650 MTPA ऐसी नहीं है" in html
    assert "is not." not in html

    api = hindi.post(
        f"/api/tenders/{live_tender.pk}/bid/",
        bid_post(capacity_mtpa="650"),
        HTTP_ACCEPT_LANGUAGE="hi",
    )
    assert api.status_code == 400
    body = api.content.decode()
    assert "Bid capacity must be" in body and "650 MTPA is not." in body
    assert not any("\u0900" <= ch <= "\u097f" for ch in body)
    assert not Bid.objects.exists()


def test_a_role_refusal_names_the_roles_and_the_act_in_hindi(live_tender):
    response = _client(make_bidder(), "hi").get(f"/tenders/{live_tender.pk}/committee/")
    assert response.status_code == 403
    html = response.content.decode()
    # "Only Ministry official, Administrator may change a bid-opening committee." in Hindi.
    assert "बोली खोलने वाली समिति बदलना" in html
    assert "may change a bid-opening committee" not in html
    english = _client(make_bidder(), "en").get(f"/tenders/{live_tender.pk}/committee/")
    assert "may change a bid-opening committee." in english.content.decode()


def test_an_e_mail_is_in_the_default_language_whatever_the_senders_page(
    django_capture_on_commit_callbacks, mailoutbox
):
    """No user keeps a language preference, so every e-mail is in English, even when the change
    that sends it is made from a Hindi page; its Hindi is in the catalogue for when one does."""
    from django.utils import translation

    from beneficiaries.bank_accounts import notify_bank_change
    from tests.factories import BankAccountFactory

    account = BankAccountFactory(firm=make_bidder().firm)
    with translation.override("hi"), django_capture_on_commit_callbacks(execute=True):
        notify_bank_change(account, "verified")
    [message] = mailoutbox
    assert message.subject == f"[REPM] Payout bank account verified: {account}"
    assert "was verified on the REPM Portal" in message.body
    assert not any("\u0900" <= ch <= "\u097f" for ch in message.subject + message.body)
    with translation.override("hi"):
        assert translation.gettext("[REPM] Payout bank account %(what)s: %(account)s") != (
            "[REPM] Payout bank account %(what)s: %(account)s"
        )
