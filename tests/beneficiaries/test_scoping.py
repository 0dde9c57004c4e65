"""Who sees which firms and consortia, on the pages and through the API, and token logins."""

from __future__ import annotations

import pytest

from beneficiaries import services
from repm_portal.roles import STAFF_ROLES, Role
from tests.factories import PASSWORD, FirmFactory, FirmUserFactory

STAFF = sorted(STAFF_ROLES)


@pytest.fixture
def world(users):
    """The firm user's own firm and consortium, plus another firm and a consortium without it."""
    firm_user = users[Role.FIRM_USER]
    own, partner = firm_user.firm, FirmFactory()
    other_user = FirmUserFactory()
    other, other_partner = other_user.firm, FirmFactory()
    ours = services.form_consortium(
        actor=firm_user, name="Ours", lead=own, members=[(own, 74), (partner, 26)]
    )
    theirs = services.form_consortium(
        actor=other_user, name="Theirs", lead=other, members=[(other, 60), (other_partner, 40)]
    )
    return {
        "own": own,
        "other": other,
        "ours": ours,
        "theirs": theirs,
        "all_firm_ids": {own.pk, partner.pk, other.pk, other_partner.pk},
    }


def _ids(response) -> set[int]:
    return {row["id"] for row in response.data["results"]}


# --- a firm user sees only its own firm ----------------------------------------------------


@pytest.mark.django_db
def test_a_firm_user_sees_its_own_firm_page_but_not_anothers_nor_a_missing_one(
    client, users, world
):
    # given a logged-in firm user
    client.force_login(users[Role.FIRM_USER])

    # when it opens its own firm, another firm, a firm that does not exist, and the firm list
    own = client.get(f"/firms/{world['own'].pk}/")
    other = client.get(f"/firms/{world['other'].pk}/")
    missing = client.get("/firms/987654321/")
    listing = client.get("/firms/")

    # then only its own page opens; someone else's and a missing one get the same answer
    assert own.status_code == 200
    assert world["own"].legal_name in own.content.decode()
    assert other.status_code == missing.status_code == 403
    assert world["other"].legal_name not in other.content.decode()
    assert listing.status_code == 403


@pytest.mark.django_db
def test_a_firm_users_my_firm_link_goes_to_its_own_firm(client, users, world):
    client.force_login(users[Role.FIRM_USER])

    response = client.get("/firms/mine/")

    assert response.status_code == 302
    assert response["Location"] == f"/firms/{world['own'].pk}/"


@pytest.mark.django_db
def test_a_firm_user_lists_only_its_own_firm_through_the_api(api_client, users, world):
    # given a firm user logged in to the API
    api_client.force_authenticate(users[Role.FIRM_USER])

    # when it lists firms and asks for another firm by id
    listing = api_client.get("/api/firms/")
    own = api_client.get(f"/api/firms/{world['own'].pk}/")
    other = api_client.get(f"/api/firms/{world['other'].pk}/")

    # then it sees its own firm only; the other one does not exist for it
    assert listing.status_code == 200
    assert _ids(listing) == {world["own"].pk}
    assert own.status_code == 200 and own.data["pan"] == world["own"].pan
    assert other.status_code == 404


@pytest.mark.django_db
def test_a_firm_user_lists_only_the_consortia_its_firm_belongs_to(api_client, client, users, world):
    # given a firm user whose firm is in one consortium of two
    firm_user = users[Role.FIRM_USER]
    api_client.force_authenticate(firm_user)
    client.force_login(firm_user)

    # when it lists consortia through the API and on the page, and asks for the other by id
    listing = api_client.get("/api/consortia/")
    theirs = api_client.get(f"/api/consortia/{world['theirs'].pk}/")
    page = client.get("/consortia/")

    # then it sees only its own
    assert _ids(listing) == {world["ours"].pk}
    assert theirs.status_code == 404
    assert page.status_code == 200
    assert "Ours" in page.content.decode() and "Theirs" not in page.content.decode()


@pytest.mark.django_db
def test_a_partner_firm_user_sees_the_consortium_it_did_not_lead(api_client, users, world):
    # given a user of the partner firm in "Ours", which it does not lead
    partner = next(m.firm for m in world["ours"].members.all() if m.firm != world["own"])
    partner_user = FirmUserFactory(firm=partner)
    api_client.force_authenticate(partner_user)

    # when it lists consortia
    listing = api_client.get("/api/consortia/")

    # then it sees the consortium it belongs to
    assert _ids(listing) == {world["ours"].pk}


# --- staff see everything -------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.django_db
def test_staff_see_every_firm_and_consortium(client, api_client, users, world, role):
    # given a member of staff, on the pages and the API
    client.force_login(users[role])
    api_client.force_authenticate(users[role])

    # when they open the firm list, both firms, and the API lists
    listing = client.get("/firms/")
    own = client.get(f"/firms/{world['own'].pk}/")
    other = client.get(f"/firms/{world['other'].pk}/")
    api_firms = api_client.get("/api/firms/")
    api_other = api_client.get(f"/api/firms/{world['other'].pk}/")
    api_consortia = api_client.get("/api/consortia/")

    # then everything is visible
    assert (listing.status_code, own.status_code, other.status_code) == (200, 200, 200)
    assert world["other"].legal_name in listing.content.decode()
    assert _ids(api_firms) == world["all_firm_ids"]
    assert api_other.status_code == 200
    assert _ids(api_consortia) == {world["ours"].pk, world["theirs"].pk}


@pytest.mark.parametrize("role", STAFF)
@pytest.mark.django_db
def test_staff_get_not_allowed_rather_than_not_found_for_a_missing_firm_page(client, users, role):
    client.force_login(users[role])

    response = client.get("/firms/987654321/")

    assert response.status_code == 403


# --- anonymous callers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/firms/", "/firms/mine/", "/firms/{own}/", "/consortia/", "/consortia/new/"]
)
@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in_for_pages(client, world, path):
    url = path.format(own=world["own"].pk)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.parametrize(
    "path", ["/api/firms/", "/api/firms/{own}/", "/api/consortia/", "/api/me/"]
)
@pytest.mark.django_db
def test_anonymous_callers_are_refused_by_the_api(api_client, world, path):
    response = api_client.get(path.format(own=world["own"].pk))

    assert response.status_code in {401, 403}
    assert "results" not in response.data


@pytest.mark.django_db
def test_a_deactivated_firm_user_sees_nothing(api_client, users, world):
    # given a firm user whose account is switched off while its session lives on
    firm_user = users[Role.FIRM_USER]
    firm_user.is_active = False
    firm_user.save(update_fields=["is_active"])
    api_client.force_authenticate(firm_user)

    # when it lists firms and consortia
    firms = api_client.get("/api/firms/")
    consortia = api_client.get("/api/consortia/")

    # then it holds no role and sees nothing
    assert _ids(firms) == set()
    assert _ids(consortia) == set()


# --- token login ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_token_from_username_and_password_authenticates_api_calls(api_client, users):
    # given a firm user's username and password
    firm_user = users[Role.FIRM_USER]

    # when it asks for a token
    issued = api_client.post(
        "/api/auth/token/", {"username": firm_user.username, "password": PASSWORD}, format="json"
    )

    # then the token alone identifies it
    assert issued.status_code == 200
    token = issued.data["token"]
    me = api_client.get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.data == {
        "username": firm_user.username,
        "full_name": firm_user.get_full_name(),
        "role": "firm_user",
        "firm_id": firm_user.firm_id,
    }
    # and it reaches the firm user's own firm only
    firms = api_client.get("/api/firms/", HTTP_AUTHORIZATION=f"Token {token}")
    assert _ids(firms) == {firm_user.firm_id}


@pytest.mark.django_db
def test_no_token_for_a_wrong_password_and_a_made_up_token_is_refused(api_client, users):
    refused = api_client.post(
        "/api/auth/token/", {"username": "the_official", "password": "wrong"}, format="json"
    )
    forged = api_client.get("/api/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert refused.status_code == 400 and "token" not in refused.data
    # Session authentication is listed first, so DRF answers 403 rather than 401 here.
    assert forged.status_code in {401, 403}
    assert str(forged.data["detail"]) == "Invalid token."
