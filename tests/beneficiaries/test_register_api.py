"""Self-registration of a firm, through the API and through the browser page."""

from __future__ import annotations

import uuid

import pytest

from beneficiaries.models import BankAccount, Firm, User
from beneficiaries.validators import gstin_check_character
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.factories import PASSWORD, gstin_for

PAN = "AAACR5055K"
GSTIN = gstin_for(PAN)
BAD_GSTIN = GSTIN[:14] + ("9" if gstin_check_character(GSTIN[:14]) != "9" else "8")
CIN = "L29299MH2010PLC123456"


@pytest.fixture(autouse=True)
def private_throttle_cache(settings):
    """The registration throttle counts in the cache; keep this test's count to itself."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"register-{uuid.uuid4()}",
        }
    }


def _payload(*, firm: dict | None = None) -> dict:
    return {
        "firm": {
            "legal_name": "Rare Earth Magnetics Limited",
            "cin": CIN,
            "pan": PAN,
            "gstin": GSTIN,
            "registered_address": "Plot 7, Chakan MIDC, Pune 410501",
            "signatory_name": "Meera Kulkarni",
            "signatory_designation": "Managing Director",
            "signatory_email": "md@remagnetics.example.in",
            "signatory_phone": "+91 20 2745 1000",
        }
        | (firm or {}),
        "bank_account": {
            "account_holder": "Rare Earth Magnetics Limited",
            "account_number": "003123456789",
            "ifsc": "SBIN0000300",
            "bank_name": "State Bank of India",
            "branch": "Pune Main",
        },
        "user": {
            "username": "meera",
            "email": "meera@remagnetics.example.in",
            "password": PASSWORD,
        },
    }


def _form(**overrides) -> dict:
    """The browser form's fields, flat, for the same firm."""
    payload = _payload()
    data = payload["firm"] | {"country": "IN"}
    data |= {f"bank_{k}": v for k, v in payload["bank_account"].items()}
    data |= payload["user"] | {"password_again": PASSWORD, "first_name": "", "last_name": ""}
    return data | overrides


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Firm, User, BankAccount, AuditEvent)}


# --- the API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_caller_registers_a_firm_with_a_nested_payload(api_client, rules):
    # given nobody logged in
    # when a complete registration is posted
    response = api_client.post("/api/register/", _payload(), format="json")

    # then the firm is created and described back, with its payout account
    assert response.status_code == 201
    firm = Firm.objects.get(pk=response.data["id"])
    assert (firm.pan, firm.gstin, firm.cin, firm.country) == (PAN, GSTIN, CIN, "IN")
    assert response.data["pan"] == PAN
    # pending the ministry's verification: not yet the payout account
    assert [(b["ifsc"], b["is_primary"], b["status"]) for b in response.data["bank_accounts"]] == [
        ("SBIN0000300", False, "pending")
    ]
    user = User.objects.get(username="meera")
    assert (user.role, user.firm_id) == (Role.FIRM_USER, firm.pk)
    assert "password" not in response.data


@pytest.mark.django_db
def test_a_bad_gstin_through_the_api_is_a_400_naming_the_field_and_creates_nothing(
    api_client, rules
):
    # given a registration whose GSTIN has the wrong check character
    before = _counts()

    # when it is posted
    response = api_client.post("/api/register/", _payload(firm={"gstin": BAD_GSTIN}), format="json")

    # then the answer names the field and the character expected, and nothing was written
    assert response.status_code == 400
    assert list(response.data) == ["gstin"]
    expected = gstin_check_character(GSTIN[:14])
    assert response.data["gstin"] == [
        f"Check character should be '{expected}', not '{BAD_GSTIN[-1]}'"
    ]
    assert _counts() == before


@pytest.mark.django_db
def test_a_registration_missing_a_section_is_a_400_and_creates_nothing(api_client, rules):
    before = _counts()
    payload = _payload()
    del payload["bank_account"]

    response = api_client.post("/api/register/", payload, format="json")

    assert response.status_code == 400
    assert "bank_account" in response.data
    assert _counts() == before


@pytest.mark.django_db
def test_registration_is_throttled_per_caller(api_client, rules):
    # given a caller who has already posted the hourly allowance of registrations
    for _ in range(20):
        assert api_client.post("/api/register/", {}, format="json").status_code == 400

    # when it posts once more
    response = api_client.post("/api/register/", _payload(), format="json")

    # then it is told to wait, and nothing is created
    assert response.status_code == 429
    assert not Firm.objects.filter(pan=PAN).exists()


@pytest.mark.django_db
def test_the_registration_throttle_cannot_be_dodged_with_a_forged_forwarded_for(api_client, rules):
    # given a caller who forges a new X-Forwarded-For on every request
    statuses = [
        api_client.post(
            "/api/register/", {}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(21)
    ]

    # then it is throttled all the same
    assert statuses[-1] == 429


# --- the browser page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_register_page_re_renders_with_the_error_and_creates_nothing(client, rules):
    # given the registration page
    assert client.get("/register/").status_code == 200
    before = _counts()

    # when the form is posted with a bad GSTIN
    response = client.post("/register/", _form(gstin=BAD_GSTIN))

    # then the page comes back with the message beside the field, nothing created, nobody logged in
    assert response.status_code == 200
    form = response.context["form"]
    expected = gstin_check_character(GSTIN[:14])
    assert form.errors["gstin"] == [
        f"Check character should be '{expected}', not '{BAD_GSTIN[-1]}'"
    ]
    assert "Check character should be" in response.content.decode()
    assert _counts() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_register_page_refuses_two_different_passwords(client, rules):
    before = _counts()

    response = client.post("/register/", _form(password_again="something-else-entirely"))

    assert response.status_code == 200
    assert response.context["form"].errors["password_again"] == ["The two passwords differ."]
    assert _counts() == before


@pytest.mark.django_db
def test_the_register_page_with_good_input_logs_the_new_user_in_and_shows_the_firm(client, rules):
    # when a complete form is posted
    response = client.post("/register/", _form())

    # then the firm exists, its new user is logged in, and the browser goes to the firm's page
    firm = Firm.objects.get(pan=PAN)
    user = User.objects.get(username="meera")
    assert response.status_code == 302
    assert response["Location"] == f"/firms/{firm.pk}/"
    assert int(client.session["_auth_user_id"]) == user.pk
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Rare Earth Magnetics Limited is registered. Welcome, meera." in page.content.decode()


@pytest.mark.django_db
def test_a_logged_in_user_is_sent_from_the_register_page_to_the_dashboard(client, users):
    client.force_login(users[Role.OFFICIAL])

    response = client.get("/register/")

    assert response.status_code == 302 and response["Location"] == "/dashboard/"
