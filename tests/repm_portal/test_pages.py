"""Which role may open which page, what its dashboard and navigation show, the audit export, amendments."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from beneficiaries import services
from repm_portal.models import RuleSet
from repm_portal.roles import STAFF_ROLES, Role
from tests.factories import PASSWORD

ALL = frozenset(Role.values)
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMIN, Role.OFFICIAL})

# page name -> (URL, the roles that may open it); every other role gets 403.
PAGES = {
    "dashboard": (reverse("dashboard"), ALL),
    "rule_set_list": (reverse("rule_set_list"), ALL),
    "rule_set_detail": (reverse("rule_set_detail", kwargs={"version": 1}), ALL),
    "rule_set_compare": (reverse("rule_set_compare"), ALL),
    "rule_set_amend": (reverse("rule_set_amend"), frozenset({Role.OFFICIAL, Role.ADMIN})),
    "audit_list": (reverse("audit_list"), AUDIT_READERS),
    "audit_export": (reverse("audit_export"), AUDIT_READERS),
    "firm_list": (reverse("firm_list"), STAFF_ROLES),
    "consortium_list": (reverse("consortium_list"), ALL),
    "user_list": (reverse("user_list"), frozenset({Role.ADMIN, Role.AUDITOR})),
}

# navigation link -> the roles that should see it
NAV_LINKS = {
    reverse("dashboard"): ALL,
    reverse("rule_set_list"): ALL,
    reverse("audit_list"): AUDIT_READERS,
    reverse("my_firm"): frozenset({Role.FIRM_USER}),
    reverse("firm_list"): STAFF_ROLES,
    reverse("consortium_list"): ALL,
    reverse("user_list"): frozenset({Role.ADMIN, Role.AUDITOR}),
}


def _nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.DOTALL)
    return re.findall(r'href="([^"]+)"', nav.group(0)) if nav else []


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# --- role x page ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", Role.values)
@pytest.mark.django_db
def test_each_role_opens_exactly_the_pages_it_may(client, users, role, page):
    # given a logged-in user of the role
    client.force_login(users[role])
    url, allowed = PAGES[page]

    # when the page is opened
    response = client.get(url)

    # then it opens for the roles allowed, and the others get the "not allowed" page
    assert response.status_code == (200 if role in allowed else 403)
    if response.status_code == 403:
        assert b"Not allowed" in response.content


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, rules, page):
    url, _allowed = PAGES[page]

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


# --- dashboard and navigation ---------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
@pytest.mark.django_db
def test_the_dashboard_greets_the_role_and_links_only_to_its_pages(client, users, role):
    # given a logged-in user of the role
    client.force_login(users[role])

    # when the dashboard is opened
    html = client.get(reverse("dashboard")).content.decode()

    # then the heading names the role
    label = Role(role).label
    assert f"<h1>{escape(label)}'s dashboard</h1>" in html

    # and the navigation holds exactly the links this role should have
    links = _nav_links(html)
    for href, roles in NAV_LINKS.items():
        assert (href in links) == (role in roles), f"{role}: link {href}"

    # and every link shown leads somewhere the role may go
    for href in links:
        assert client.get(href).status_code in {200, 302}, f"{role}: {href}"


@pytest.mark.django_db
def test_a_firm_users_dashboard_has_no_audit_or_people_links(client, users):
    client.force_login(users[Role.FIRM_USER])

    html = client.get(reverse("dashboard")).content.decode()

    assert 'href="/audit/"' not in html
    assert 'href="/people/"' not in html
    assert 'href="/firms/"' not in html
    assert f'href="{reverse("firm_detail", args=[users[Role.FIRM_USER].firm_id])}"' in html


# --- the audit export -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_audit_export_neutralises_text_that_a_spreadsheet_would_run_as_a_formula(client, users):
    # given a firm registered under a name that starts like a spreadsheet formula
    legal_name = "=cmd|' /C calc'!A0 Magnets Ltd"
    firm, _user = services.register_firm(
        firm={
            "legal_name": legal_name,
            "cin": "L29299MH2010PLC123456",
            "pan": "AAACR5055K",
            "gstin": "27AAACR5055K1Z7",
            "registered_address": "Pune",
            "signatory_name": "A",
            "signatory_designation": "Director",
            "signatory_email": "a@example.in",
            "signatory_phone": "020 1234",
        },
        bank_account={
            "account_holder": "-Holder",
            "account_number": "003123456789",
            "ifsc": "SBIN0000300",
            "bank_name": "SBI",
            "branch": "Pune",
        },
        user={"username": "formula", "email": "f@example.in", "password": PASSWORD},
    )

    # when an auditor exports the trail
    client.force_login(users[Role.AUDITOR])
    response = client.get(reverse("audit_export"))

    # then it is a CSV download
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="repm-audit-trail-')
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))

    # and the firm's name comes out as text: the formula prefixed with an apostrophe
    (registered,) = [
        r for r in rows if r["action"] == "firm.registered" and r["object_id"] == str(firm.pk)
    ]
    assert registered["object_repr"] == "'" + legal_name
    assert registered["object_repr"].startswith("'=")


@pytest.mark.django_db
def test_the_audit_export_writes_old_and_new_values_as_json(client, users):
    # given an audited change with old and new values
    services.set_user_active(actor=users[Role.ADMIN], user=users[Role.EVALUATOR], active=False)

    # when an auditor exports the trail
    client.force_login(users[Role.AUDITOR])
    text = _body(client.get(reverse("audit_export"))).decode("utf-8").removeprefix("\ufeff")
    (row,) = [r for r in csv.DictReader(io.StringIO(text)) if r["action"] == "user.deactivated"]

    # then the values are JSON, as stored and hashed
    assert json.loads(row["old_values"]) == {"is_active": True}
    assert json.loads(row["new_values"]) == {"is_active": False}


# --- amending the rules ---------------------------------------------------------------------


def _amendment_post_data(page, **changes) -> dict[str, str]:
    """What the browser would post back: every field as prefilled, with the official's edits."""
    data: dict[str, str] = {}
    form, slabs = page.context["form"], page.context["slabs"]
    bound_fields = [*form, *slabs.management_form, *(f for s in slabs for f in s)]
    for bound in bound_fields:
        # BoundField.value() is already prepared for the widget (a JSON field's dict as JSON text).
        value = bound.value()
        data[bound.html_name] = "" if value is None else str(value)
    data |= {
        "effective_from": "2027-04-01",
        "notification": "S.O. 1234(E)",
        "summary": "Claim window extended to 120 days.",
    }
    return data | {k: str(v) for k, v in changes.items()}


@pytest.mark.django_db
def test_an_official_amends_the_claim_window_and_is_shown_what_changed(client, users):
    # given an official on the amendment form, prefilled from version 1
    client.force_login(users[Role.OFFICIAL])
    page = client.get(reverse("rule_set_amend"))
    assert page.status_code == 200

    # when the official changes only the claim window and issues the version
    response = client.post(
        reverse("rule_set_amend"), _amendment_post_data(page, claim_window_days=120)
    )

    # then version 2 exists with only that parameter changed, made by the official
    assert response.status_code == 302, response.context["form"].errors
    v1, v2 = RuleSet.objects.filter(scheme__code="REPM").order_by("version")
    assert v2.version == 2 and v2.claim_window_days == 120 and v1.claim_window_days == 90
    assert v2.created_by == users[Role.OFFICIAL]
    assert str(v2.effective_from) == "2027-04-01"
    assert [s.min_net_worth for s in v2.slabs.all()] == [s.min_net_worth for s in v1.slabs.all()]

    # and the browser goes to the comparison of v1 and v2, which lists the change and only it
    assert response["Location"] == f"{reverse('rule_set_compare')}?a=1&b=2"
    compare = client.get(response["Location"])
    assert compare.status_code == 200
    assert [(c.name, c.old, c.new) for c in compare.context["changes"]] == [
        ("claim_window_days", 90, 120)
    ]
    html = compare.content.decode()
    assert "Claim submission window after period end (days)" in html
    assert "Version 2 issued; it takes effect on 01 Apr 2027." in html


@pytest.mark.django_db
def test_an_amendment_that_changes_nothing_is_refused_and_issues_no_version(client, users):
    client.force_login(users[Role.OFFICIAL])
    page = client.get(reverse("rule_set_amend"))

    response = client.post(reverse("rule_set_amend"), _amendment_post_data(page))

    assert response.status_code == 200
    assert "This amendment changes nothing in the rules." in response.content.decode()
    assert RuleSet.objects.filter(scheme__code="REPM").count() == 1
