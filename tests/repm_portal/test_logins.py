"""Issue 12, hole 6: guessing passwords is locked out, API tokens expire and are revoked, and
staff passwords are at least 12 characters. Each test replays the attack as it was reported."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from knox.models import AuthToken

from beneficiaries.services import create_staff_user
from repm_portal.roles import Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FORM = "/accounts/login/"
TOKEN = "/api/auth/token/"


@pytest.fixture
def throttle_cache(private_cache):
    """A locmem cache emptied for this test: locmem caches of one name share their store."""
    cache.clear()


def _form_login(client, username, password, address="198.51.100.10"):
    return client.post(FORM, {"username": username, "password": password}, REMOTE_ADDR=address)


def _token_login(api_client, username, password, address="198.51.100.20"):
    return api_client.post(
        TOKEN, {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


# --- lock-out on the form -------------------------------------------------------------------


def test_forty_wrong_passwords_then_the_right_one_is_refused_on_the_form(client, users):
    official = users[Role.OFFICIAL]

    for attempt in range(40):
        _form_login(client, official.username, f"guess-{attempt}")
    right = _form_login(client, official.username, PASSWORD)

    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    page = right.content.decode()
    assert "This account is locked after 5 failed log-ins." in page
    assert "Try again after" in page and "You may try again after" in page
    # and the dashboard still asks for a log-in
    assert client.get("/dashboard/").status_code == 302


def test_the_lock_out_counts_a_username_from_one_address_and_lifts_after_the_cool_off(
    client, users
):
    official = users[Role.OFFICIAL]
    start = dt.datetime(2031, 7, 20, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        for attempt in range(4):
            assert _form_login(client, official.username, f"guess-{attempt}").status_code == 200
        # the fifth failure locks at once
        assert _form_login(client, official.username, "guess-4").status_code == 429
        assert _form_login(client, official.username, PASSWORD).status_code == 429
        # another address is not locked for this username (the lock-out is username + address)
        elsewhere = _form_login(client, official.username, PASSWORD, address="203.0.113.9")
        assert elsewhere.status_code == 302
    client.logout()
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        again = _form_login(client, official.username, PASSWORD)
    assert again.status_code == 302 and client.session["_auth_user_id"] == str(official.pk)


def test_an_administrator_unlocks_a_username_with_the_command(client, users):
    official = users[Role.OFFICIAL]
    for attempt in range(5):
        _form_login(client, official.username, f"guess-{attempt}")
    assert _form_login(client, official.username, PASSWORD).status_code == 429

    call_command("axes_reset_username", official.username)

    assert not AccessAttempt.objects.filter(username=official.username).exists()
    assert _form_login(client, official.username, PASSWORD).status_code == 302


def test_a_good_log_in_clears_the_failures_before_the_limit(client, users):
    official = users[Role.OFFICIAL]
    for attempt in range(4):
        _form_login(client, official.username, f"guess-{attempt}")
    assert _form_login(client, official.username, PASSWORD).status_code == 302
    client.logout()
    for attempt in range(4):
        _form_login(client, official.username, f"guess-{attempt}")
    assert _form_login(client, official.username, PASSWORD).status_code == 302


# --- lock-out and throttle on the token endpoint ---------------------------------------------


def test_forty_wrong_passwords_then_the_right_one_get_no_token(api_client, users, throttle_cache):
    firm_user = users[Role.FIRM_USER]

    answers = [_token_login(api_client, firm_user.username, f"guess-{n}") for n in range(40)]
    right = _token_login(api_client, firm_user.username, PASSWORD)

    assert right.status_code == 429 and "token" not in right.data
    assert [a.status_code for a in answers[:4]] == [400] * 4
    # the fifth failure locks: axes says so, in words, with the time to try again
    assert answers[4].status_code == 429
    assert "This account is locked after 5 failed log-ins." in answers[4].data["detail"]
    assert "Try again after" in answers[4].data["detail"]
    assert not AuthToken.objects.filter(user=firm_user).exists()


def test_the_token_endpoint_is_throttled_per_address(api_client, users, throttle_cache, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"auth-token": "3/minute"}
    }
    firm_user = users[Role.FIRM_USER]

    answers = [_token_login(api_client, firm_user.username, PASSWORD) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "throttled" in str(answers[3].data["detail"]).lower()


# --- tokens: new each time, expiring, revocable, hashed --------------------------------------


def test_two_log_ins_give_two_tokens_stored_only_as_digests(api_client, users, throttle_cache):
    firm_user = users[Role.FIRM_USER]

    first = _token_login(api_client, firm_user.username, PASSWORD)
    second = _token_login(api_client, firm_user.username, PASSWORD)

    assert first.status_code == second.status_code == 200, (first.data, second.data)
    assert set(first.data) == {"token", "expiry"}
    assert first.data["token"] != second.data["token"]
    stored = list(AuthToken.objects.filter(user=firm_user).values_list("digest", flat=True))
    assert len(stored) == 2
    assert first.data["token"] not in stored and second.data["token"] not in stored


def test_a_token_expires_after_ten_hours(api_client, users, throttle_cache):
    firm_user = users[Role.FIRM_USER]
    start = dt.datetime(2031, 7, 20, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        issued = _token_login(api_client, firm_user.username, PASSWORD)
    token = issued.data["token"]
    assert dt.datetime.fromisoformat(issued.data["expiry"]) == start + dt.timedelta(hours=10)

    with time_machine.travel(start + dt.timedelta(hours=9, minutes=59), tick=False):
        before = api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    with time_machine.travel(start + dt.timedelta(hours=10, minutes=1), tick=False):
        after = api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")

    assert before.status_code == 200
    assert after.status_code in {401, 403}
    assert str(after.data["detail"]) == "Invalid token."


def test_logout_revokes_that_token_and_logout_all_revokes_every_one(
    api_client, users, throttle_cache
):
    firm_user = users[Role.FIRM_USER]
    one, two, three = (
        _token_login(api_client, firm_user.username, PASSWORD).data["token"] for _ in range(3)
    )

    out = api_client.post("/api/auth/logout/", HTTP_AUTHORIZATION=f"Token {one}")
    assert out.status_code == 204
    assert api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {one}").status_code in {401, 403}
    assert api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {two}").status_code == 200

    out_all = api_client.post("/api/auth/logout-all/", HTTP_AUTHORIZATION=f"Token {two}")
    assert out_all.status_code == 204
    for token in (two, three):
        me = api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert me.status_code in {401, 403}
    assert not AuthToken.objects.filter(user=firm_user).exists()


# --- staff passwords -------------------------------------------------------------------------


def test_a_staff_password_of_eleven_characters_is_refused_and_twelve_accepted(users):
    admin = users[Role.ADMIN]

    with pytest.raises(ValidationError) as refused:
        create_staff_user(
            actor=admin, username="new_verifier", email="v@example.gov.in",
            role=Role.VERIFIER, password="Tq7#vLm2pXz",
        )  # fmt: skip
    made = create_staff_user(
        actor=admin, username="new_verifier", email="v@example.gov.in",
        role=Role.VERIFIER, password="Tq7#vLm2pXz9",
    )  # fmt: skip

    assert "at least 12 characters" in " ".join(refused.value.messages)
    assert made.check_password("Tq7#vLm2pXz9")


def test_a_firm_user_keeps_the_general_minimum(users):
    firm_user = users[Role.FIRM_USER]

    validate_password("Tq7#vLm2", firm_user)  # eight characters: fine for a firm user
    with pytest.raises(ValidationError):
        validate_password("Tq7#vLm2", users[Role.AUDITOR])
    with pytest.raises(ValidationError):
        validate_password("Tq7#vLm", firm_user)  # seven: below the general minimum
