"""Anonymous public pages and OCDS packages come from the cache until their data changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from repm_portal import public_cache
from tests.factories import TenderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tender(rules, private_cache):
    return TenderFactory(title="Sintered magnet capacity, first call")


def _retitle(tender, title: str, capture) -> None:
    # As a service would: the change commits, and its on-commit hook moves the public version.
    with capture(execute=True):
        tender.title = title
        tender.save(update_fields=["title"])


def test_an_anonymous_visitor_gets_the_cached_page_until_the_tender_changes(
    tender, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = reverse("public_tender", args=[tender.pk])
    visitor = Client()
    first = visitor.get(url)
    assert first.status_code == 200
    assert "first call" in first.content.decode()
    # Cached for everyone: it carries no visitor's CSRF token and sets no cookie.
    assert "X-CSRFToken" not in first.content.decode()
    assert not first.cookies
    with django_assert_num_queries(0):
        again = Client().get(url)
    assert again.content == first.content

    _retitle(tender, "Sintered magnet capacity, amended call", django_capture_on_commit_callbacks)
    fresh = Client().get(url)
    assert "amended call" in fresh.content.decode()
    assert "first call" not in fresh.content.decode()


def test_a_signed_in_user_always_gets_the_page_fresh(tender, users, django_assert_max_num_queries):
    url = reverse("public_tender", args=[tender.pk])
    Client().get(url)  # cached for anonymous visitors
    official = Client()
    official.force_login(users["official"])
    with django_assert_max_num_queries(40) as captured:
        response = official.get(url)
    assert len(captured) > 0
    assert "X-CSRFToken" in response.content.decode()


def test_a_commitment_check_is_never_served_from_the_cache(tender, django_assert_max_num_queries):
    url = reverse("public_tender", args=[tender.pk])
    Client().get(url)
    with django_assert_max_num_queries(40) as captured:
        response = Client().get(url, {"commitment": "0" * 64})
    assert response.status_code == 200
    assert len(captured) > 0


def test_the_ocds_package_is_cached_and_follows_a_change(
    tender, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = reverse("tender-ocds", args=[tender.pk])
    first = Client().get(url).json()
    assert first["releases"][0]["tender"]["title"] == "Sintered magnet capacity, first call"
    # The tender lookup stays (it answers 404 for a tender not public); the package is cached.
    with django_assert_num_queries(1):
        assert Client().get(url).json() == first

    _retitle(tender, "Sintered magnet capacity, amended call", django_capture_on_commit_callbacks)
    fresh = Client().get(url).json()
    assert fresh["releases"][0]["tender"]["title"] == "Sintered magnet capacity, amended call"


def test_a_copy_expires_by_the_tenders_next_scheduled_moment(tender):
    # 90 seconds before the tender's last moment (its award), a copy is kept 91 seconds at most;
    # once every moment has passed, the usual time.
    last = tender.awarded_at
    assert public_cache.timeout_for([tender], now=last - dt.timedelta(seconds=90)) == 91
    assert public_cache.timeout_for([tender], now=last + dt.timedelta(seconds=1)) == (
        public_cache.seconds()
    )
