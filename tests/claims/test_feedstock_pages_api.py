"""The feedstock declaration on the claim page (a formset) and in the API: the firm's own only, per role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incentives.claims.models import Claim, FeedstockDeclaration
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.claims.workflow import (
    drafted,
    staff,
    under_verification,
)
from tests.factories import FirmUserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status


def rows_of(claim: Claim) -> list[tuple[str, str, str]]:
    return [
        (source, country, str(tonnes))
        for source, country, tonnes in FeedstockDeclaration.objects.filter(claim=claim)
        .order_by("source", "country")
        .values_list("source", "country", "tonnes")
    ]


def formset(*rows: tuple[str, str, str]) -> dict[str, str]:
    """The page's POST: the management form and one row per (source, country, tonnes)."""
    data = {"feedstock-TOTAL_FORMS": str(len(rows)), "feedstock-INITIAL_FORMS": "0"}
    for n, (source, country, tonnes) in enumerate(rows):
        data |= {
            f"feedstock-{n}-source": source,
            f"feedstock-{n}-country": country,
            f"feedstock-{n}-tonnes": tonnes,
        }
    return data


def declare_url(claim: Claim) -> str:
    return reverse("claim_action", args=[claim.pk, "feedstock"])


def test_the_firm_declares_on_the_claim_page_and_blank_rows_are_left_out(client, award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    client.force_login(firm_user)
    page = client.get(reverse("claim_detail", args=[claim.pk])).content.decode()
    assert 'id="feedstock-form"' in page and "Not declared yet" in page
    response = client.post(
        declare_url(claim),
        formset(
            ("irel", "", "0.068"), ("domestic", "", ""), ("imported", "cn", "0.100"),
            ("recycled", "", ""), ("", "", ""),
        ),
        follow=True,
    )  # fmt: skip

    shown = response.content.decode()
    assert "its feedstock declaration is kept" in shown
    assert rows_of(claim) == [("imported", "CN", "0.100"), ("irel", "", "0.068")]
    assert 'data-source="imported-CN">0.100' in shown
    assert AuditEvent.objects.filter(
        action="claim.feedstock_declared", object_id=str(claim.pk), actor=firm_user
    ).exists()


def test_a_bad_row_on_the_page_is_named_by_its_row_and_nothing_changes(client, award, firm_user):
    claim = drafted(award, firm_user)
    before = rows_of(claim)
    client.force_login(firm_user)
    response = client.post(
        declare_url(claim),
        formset(("irel", "", "1"), ("", "", ""), ("imported", "", "2"), ("recycled", "", "-1")),
        follow=True,
    )
    shown = response.content.decode()
    assert "Row 3: an import names its country" in shown
    assert "Row 4: -1 t is negative" in shown
    assert rows_of(claim) == before


def test_the_page_shows_the_declaration_to_staff_but_offers_the_form_only_to_the_firm(
    client, award, firm_user
):
    claim = drafted(award, firm_user)
    for user in (staff(Role.VERIFIER), staff(Role.AUDITOR), staff(Role.APPROVER)):
        client.force_login(user)
        page = client.get(reverse("claim_detail", args=[claim.pk])).content.decode()
        assert 'id="feedstock-declared"' in page and 'data-source="irel">0.067' in page
        assert 'id="feedstock-form"' not in page
        assert client.post(declare_url(claim), formset(("irel", "", "5"))).status_code == 403
    other_firm = FirmUserFactory()
    client.force_login(other_firm)
    assert client.get(reverse("claim_detail", args=[claim.pk])).status_code == 403
    assert client.post(declare_url(claim), formset(("irel", "", "5"))).status_code == 403
    assert rows_of(claim) == [("imported", "CN", "0.101"), ("irel", "", "0.067")]


def test_the_verification_panel_flags_a_mismatch_and_clears_when_it_fits(client, award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)  # declared to match the 502.5 kg
    client.force_login(verifier)
    page = client.get(reverse("claim_detail", args=[claim.pk])).content.decode()
    assert 'id="feedstock-check" data-within="true"' in page and "Within the tolerance" in page
    # excluding a line leaves 402 kg: the declared oxide now makes 25 % more than is counted
    response = client.post(
        reverse("claim_action", args=[claim.pk, "adjust"]),
        {"row": 2, "kind": "exclude", "reason": "Not in the GST returns."},
        HTTP_HX_REQUEST="true",
    )
    panel = response.content.decode()
    assert 'data-within="false"' in panel and "Mismatch: flagged" in panel
    assert "25.37 %" in panel  # (0.504 - 0.402) / 0.402

    refused = client.post(reverse("claim_action", args=[claim.pk, "verify"]), follow=True)
    assert "mismatch is accepted" in refused.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == S.UNDER_VERIFICATION
    reason = "The excluded invoice's magnets were made from this oxide and are in stock."
    done = client.post(
        reverse("claim_action", args=[claim.pk, "verify"]), {"feedstock_note": reason}, follow=True
    )
    assert 'id="feedstock-conclusion"' in done.content.decode()
    assert Claim.objects.get(pk=claim.pk).feedstock_conclusion == "mismatch_accepted"


# --- the API --------------------------------------------------------------------------------


def api(claim: Claim) -> str:
    return f"/api/sales-claims/{claim.pk}/feedstock/"


def test_the_firm_declares_through_the_api_and_reads_the_check(api_client, award, firm_user):
    claim = drafted(award, firm_user, feedstock=False)
    api_client.force_authenticate(firm_user)
    rows = [
        {"source": "irel", "tonnes": "0.068"},
        {"source": "imported", "country": "CN", "tonnes": "0.100"},
    ]
    response = api_client.post(api(claim), {"rows": rows}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rows"] == [
        {"source": "imported", "country": "CN", "tonnes": "0.100"},
        {"source": "irel", "country": "", "tonnes": "0.068"},
    ]
    assert body["check"]["within"] is True and body["check"]["oxide_tonnes"] == "0.168"
    detail = api_client.get(f"/api/sales-claims/{claim.pk}/").json()
    assert detail["feedstock"]["check"]["magnet_equivalent_tonnes"] == "0.504"


def test_bad_rows_through_the_api_are_a_400_naming_each_and_change_nothing(
    api_client, award, firm_user
):
    claim = drafted(award, firm_user)
    before = rows_of(claim)
    api_client.force_authenticate(firm_user)
    rows = [{"source": "irel", "tonnes": "1"}, {"source": "irel", "tonnes": "-2"}]
    response = api_client.post(api(claim), {"rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "Row 2: -2 t is negative; oxide used is 0 or more."
    ]
    response = api_client.post(api(claim), {"rows": "irel"}, format="json")
    assert response.status_code == 400 and "rows" in response.json()
    assert rows_of(claim) == before


def test_the_api_keeps_each_firm_to_its_own_and_staff_to_reading(api_client, award, firm_user):
    claim = drafted(award, firm_user)
    before = rows_of(claim)
    rows = {"rows": [{"source": "irel", "tonnes": "5"}]}
    api_client.force_authenticate(FirmUserFactory())
    assert api_client.get(api(claim)).status_code == 403
    assert api_client.post(api(claim), rows, format="json").status_code == 403
    assert api_client.get(f"/api/sales-claims/{claim.pk}/").status_code == 403
    for role in (Role.VERIFIER, Role.AUDITOR, Role.OFFICIAL):
        api_client.force_authenticate(staff(role))
        got = api_client.get(api(claim))
        assert got.status_code == 200 and len(got.json()["rows"]) == 2
        assert api_client.post(api(claim), rows, format="json").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(api(claim)).status_code in (401, 403)
    assert rows_of(claim) == before


def test_the_api_verify_needs_the_feedstock_note_on_a_mismatch(api_client, award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    api_client.force_authenticate(verifier)
    adjusted = api_client.post(
        f"/api/sales-claims/{claim.pk}/adjust-line/",
        {"row": 2, "kind": "exclude", "reason": "Not in the GST returns."},
        format="json",
    )
    assert adjusted.status_code == 201
    refused = api_client.post(f"/api/sales-claims/{claim.pk}/verify/", {}, format="json")
    assert refused.status_code == 400 and "feedstock_note" in refused.json()
    note = "The excluded invoice's magnets were made from this oxide and are in stock."
    done = api_client.post(
        f"/api/sales-claims/{claim.pk}/verify/", {"feedstock_note": note}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["feedstock"]["conclusion"] == "mismatch_accepted"
    assert done.json()["feedstock"]["note"] == note
