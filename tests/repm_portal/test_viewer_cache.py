"""A signed-in viewer's read-only pages come from the cache until the database moves (viewer_cache).

Transactional tests: the copy is keyed by the committed snapshot, so the writes here commit, as
a user's do. A page's first answer sets the CSRF cookie and is not kept; the second is.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connection, connections, transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from beneficiaries.models import Firm
from repm_portal import viewer_cache
from repm_portal.roles import Role
from tests.factories import FirmUserFactory

pytestmark = pytest.mark.django_db(transaction=True)
HIT = "X-Viewer-Cache"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _kept(client: Client, url: str):
    """Fetch until a copy is kept (a page's first answer sets the CSRF cookie); the fresh answer."""
    had_csrf_cookie = settings.CSRF_COOKIE_NAME in client.cookies
    fresh = client.get(url)
    if not had_csrf_cookie and fresh.cookies:  # a new cookie: that answer is not kept
        assert HIT not in fresh
        fresh = client.get(url)
    assert fresh.status_code == 200, (url, fresh.status_code)
    assert HIT not in fresh
    return fresh


@pytest.mark.parametrize("role", Role.values)
def test_every_roles_dashboard_comes_from_the_cache_in_one_query(
    role, users, django_assert_max_num_queries
):
    client = _signed_in(users[role])
    fresh = _kept(client, reverse("dashboard"))
    # The user behind the session (itself from the cache): nothing of the panels.
    with django_assert_max_num_queries(1):
        hit = client.get(reverse("dashboard"))
    assert hit[HIT] == "hit"
    assert hit.content == fresh.content
    assert hit["Content-Type"] == fresh["Content-Type"]
    assert hit["Content-Security-Policy"]  # the outer middleware still answers for the copy


def test_any_commit_shows_at_once_even_a_write_no_signal_sees(users):
    client = _signed_in(users[Role.OFFICIAL])
    firm = users[Role.FIRM_USER].firm
    url = reverse("firm-list")
    assert firm.legal_name.encode() in _kept(client, url).content
    assert client.get(url)[HIT] == "hit"

    Firm.objects.filter(pk=firm.pk).update(legal_name="Renamed Magnets Limited")
    after = client.get(url)
    assert HIT not in after
    assert b"Renamed Magnets Limited" in after.content

    with connection.cursor() as cursor:  # a raw statement (as COPY is) moves the snapshot too
        cursor.execute(
            "UPDATE beneficiaries_firm SET legal_name = %s WHERE id = %s",
            ["Twice Renamed Limited", firm.pk],
        )
    again = client.get(url)
    assert HIT not in again
    assert b"Twice Renamed Limited" in again.content


def test_the_count_moves_once_per_commit_that_wrote_and_never_for_a_rollback(users):
    firm = users[Role.FIRM_USER].firm
    before = viewer_cache.change_count()
    with transaction.atomic():
        Firm.objects.filter(pk=firm.pk).update(legal_name="Kept Limited")
        Firm.objects.filter(pk=firm.pk).update(legal_name="Kept Again Limited")
        assert viewer_cache.change_count() == before  # not before the commit
    assert viewer_cache.change_count() == before + 1

    with pytest.raises(RuntimeError), transaction.atomic():
        Firm.objects.filter(pk=firm.pk).update(legal_name="Rolled Back Limited")
        raise RuntimeError("abandoned")
    assert viewer_cache.change_count() == before + 1

    with transaction.atomic():  # a savepoint rolled back drops its own request only
        with pytest.raises(RuntimeError), transaction.atomic():
            Firm.objects.filter(pk=firm.pk).update(legal_name="Inner Limited")
            raise RuntimeError("inner abandoned")
        Firm.objects.filter(pk=firm.pk).update(legal_name="Outer Limited")
    assert viewer_cache.change_count() == before + 2

    list(Firm.objects.all())  # a read moves nothing
    assert viewer_cache.change_count() == before + 2


def test_a_second_connection_commits_apart_from_a_long_transaction(users):
    # As a job's progress is written while its work is inside one long transaction.
    firm, official = users[Role.FIRM_USER].firm, users[Role.OFFICIAL]
    before = viewer_cache.change_count()
    side = connections.create_connection("default")
    try:
        with transaction.atomic():
            Firm.objects.filter(pk=firm.pk).update(legal_name="Long Work Limited")
            with side.cursor() as cursor:
                cursor.execute(
                    "UPDATE beneficiaries_user SET last_name = %s WHERE id = %s",
                    ["Progress", official.pk],
                )
            assert viewer_cache.change_count() == before + 1  # the side's write, committed
        assert viewer_cache.change_count() == before + 2
    finally:
        side.close()


def test_one_viewers_copy_is_never_anothers(users):
    first = users[Role.FIRM_USER]
    second = FirmUserFactory(username="second_firm_user")
    url = reverse("firm-list")
    mine = _kept(_signed_in(first), url)
    theirs = _signed_in(second).get(url)
    assert HIT not in theirs
    assert first.firm.legal_name.encode() in mine.content
    assert first.firm.legal_name.encode() not in theirs.content
    assert second.firm.legal_name.encode() in theirs.content
    # The same person in another browser (session) gets a page of their own too.
    assert HIT not in _signed_in(first).get(url)


def test_hindi_and_english_copies_are_kept_apart(users):
    client = _signed_in(users[Role.OFFICIAL])
    english = _kept(client, reverse("dashboard"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"
    hindi = client.get(reverse("dashboard"))
    assert HIT not in hindi
    assert hindi["Content-Language"] == "hi"
    assert hindi.content != english.content


def test_a_message_to_show_is_shown_once_and_never_kept(users):
    client = _signed_in(users[Role.OFFICIAL])
    _kept(client, reverse("dashboard"))
    # As a view leaves it for the next page (messages travel in a signed cookie).
    storage = CookieStorage(RequestFactory().get("/"))
    note = Message(messages.SUCCESS, "Plant verified for the record")
    client.cookies[storage.cookie_name] = storage._encode([note])
    shown = client.get(reverse("dashboard"))
    assert HIT not in shown
    assert b"Plant verified for the record" in shown.content
    after = client.get(reverse("dashboard"))
    assert b"Plant verified for the record" not in after.content


def test_the_copy_moves_with_the_clocks_minute(users):
    client = _signed_in(users[Role.OFFICIAL])
    start = timezone.now().replace(second=5)
    with time_machine.travel(start, tick=False):
        _kept(client, reverse("dashboard"))
        assert client.get(reverse("dashboard"))[HIT] == "hit"
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert HIT not in client.get(reverse("dashboard"))


def test_token_calls_transactions_and_unmarked_pages_are_answered_fresh(users):
    official = users[Role.OFFICIAL]
    _, token = AuthToken.objects.create(official)
    api = Client(headers={"Authorization": f"Token {token}"})
    for _ in range(3):
        answer = api.get(reverse("firm-list"))
        assert answer.status_code == 200
        assert HIT not in answer
        assert json.loads(answer.content)["count"] >= 1

    client = _signed_in(official)
    for _ in range(3):
        assert HIT not in client.get(reverse("rule_set_list"))  # not marked as cacheable
    with transaction.atomic():
        for _ in range(3):
            assert HIT not in client.get(reverse("dashboard"))


def test_off_when_the_setting_is_zero(users, settings):
    settings.VIEWER_CACHE_SECONDS = 0
    client = _signed_in(users[Role.OFFICIAL])
    for _ in range(3):
        assert HIT not in client.get(reverse("dashboard"))


def test_a_write_stands_when_the_cache_cannot_be_reached(users, settings):
    firm = users[Role.FIRM_USER].firm
    # A Redis that refuses connections: the count cannot move, the committed write must stand.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    Firm.objects.filter(pk=firm.pk).update(legal_name="Written Without A Cache Limited")
    with transaction.atomic():
        Firm.objects.filter(pk=firm.pk).update(legal_name="Committed Without A Cache Limited")
    firm.refresh_from_db()
    assert firm.legal_name == "Committed Without A Cache Limited"
