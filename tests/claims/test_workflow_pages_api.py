"""The sales claim's workflow through its pages and API: each action offered and allowed to its one role, per endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incentives.claims import selectors, services
from incentives.claims.models import Claim, LineAdjustment
from repm_portal.models import AuditEvent
from repm_portal.roles import STAFF_ROLES, Role
from tests.claims.sales import AFTER_Q1
from tests.claims.workflow import (
    PDF_BYTES,
    STARTED_AT,
    SUBMITTED_AT,
    VERIFIED_AT,
    certificate,
    drafted,
    lapsed,
    staff,
    submitted,
    under_verification,
    verified,
)
from tests.factories import FirmUserFactory

pytestmark = pytest.mark.django_db
S = Claim.Status
REASON = "The firm's accountant was in hospital during the last week of the window."

# endpoint -> (the status it acts on, the one role allowed, the body, the status it leads to)
ACTIONS = {
    "submit": (S.DRAFT, Role.FIRM_USER, None, S.SUBMITTED),
    "start-verification": (S.SUBMITTED, Role.VERIFIER, {}, S.UNDER_VERIFICATION),
    "adjust-line": (
        S.UNDER_VERIFICATION, Role.VERIFIER,
        {"row": 2, "kind": "exclude", "reason": "Not in the GST returns."}, S.UNDER_VERIFICATION,
    ),
    "return": (S.UNDER_VERIFICATION, Role.VERIFIER, {"reason": "E-way bills missing."}, S.RETURNED),
    "reject": (S.UNDER_VERIFICATION, Role.VERIFIER, {"reason": "The plant recorded no production that quarter."}, S.REJECTED),
    "verify": (S.UNDER_VERIFICATION, Role.VERIFIER, {"remarks": "Checked."}, S.VERIFIED),
    "approve": (S.VERIFIED, Role.APPROVER, {}, S.APPROVED),
    "reopen": (S.LAPSED, Role.OFFICIAL, {"reason": REASON}, S.DRAFT),
}  # fmt: skip
BUILD = {
    S.DRAFT: drafted, S.SUBMITTED: submitted, S.UNDER_VERIFICATION: under_verification,
    S.VERIFIED: verified, S.LAPSED: lapsed,
}  # fmt: skip
# The moment each action is taken: inside the window, or after the lapse for a reopening.
WHEN = {
    S.DRAFT: SUBMITTED_AT, S.SUBMITTED: STARTED_AT, S.UNDER_VERIFICATION: VERIFIED_AT,
    S.VERIFIED: VERIFIED_AT + dt.timedelta(days=1), S.LAPSED: AFTER_Q1 + dt.timedelta(days=95),
}  # fmt: skip


def body(endpoint: str, payload):
    if endpoint == "submit":
        return {"certificate": certificate(), "declaration": "true"}
    return payload


def post(api_client, claim, endpoint, payload):
    fmt = "multipart" if endpoint == "submit" else "json"
    return api_client.post(
        f"/api/sales-claims/{claim.pk}/{endpoint}/", body(endpoint, payload), format=fmt
    )


@pytest.mark.parametrize("endpoint", list(ACTIONS))
def test_each_action_endpoint_answers_only_its_role(
    api_client, award, firm_user, sli_kind, endpoint
):
    status_from, allowed, payload, status_to = ACTIONS[endpoint]
    claim = BUILD[status_from](award, firm_user)
    audited = AuditEvent.objects.count()
    with time_machine.travel(WHEN[status_from], tick=False):
        # anonymous: 401; another firm: 403 (not its claim); every other role: 403
        api_client.force_authenticate(None)
        assert post(api_client, claim, endpoint, payload).status_code == 401
        refused = [FirmUserFactory(), *(staff(r) for r in sorted(STAFF_ROLES) if r != allowed)]
        if allowed != Role.FIRM_USER:
            refused.append(firm_user)
        for user in refused:
            api_client.force_authenticate(user)
            response = post(api_client, claim, endpoint, payload)
            assert response.status_code == 403, (endpoint, user.role, response.content)
        assert Claim.objects.get(pk=claim.pk).status == status_from
        assert AuditEvent.objects.count() == audited  # nothing moved, nothing recorded

        actor = firm_user if allowed == Role.FIRM_USER else staff(allowed)
        api_client.force_authenticate(actor)
        response = post(api_client, claim, endpoint, payload)
    assert response.status_code in (200, 201), response.content
    assert Claim.objects.get(pk=claim.pk).status == status_to
    assert AuditEvent.objects.count() > audited


def test_the_api_gives_the_working_after_adjustments(api_client, award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    api_client.force_authenticate(verifier)
    with time_machine.travel(VERIFIED_AT, tick=False):
        response = post(
            api_client, claim, "adjust-line",
            {"row": 3, "kind": "correct", "quantity_kg": "50.250", "reason": "The weighbridge slip shows less."},
        )  # fmt: skip
        assert response.status_code == 201
        assert response.json()["verified_totals"] == {
            "eligible_kg": "452.250", "net_sales_value": "2512500.00",
        }  # fmt: skip
        data = api_client.get(f"/api/sales-claims/{claim.pk}/").json()
    assert data["status"] == "under_verification"
    assert data["verified_totals"]["eligible_kg"] == "452.250"
    assert data["verification_sla"]["days_left"] == 60 - (VERIFIED_AT - SUBMITTED_AT).days
    assert data["adjustments"][0]["made_by"] == verifier.username
    assert data["documents"][0]["kind"] == "ca_certificate"


@pytest.mark.parametrize(
    ("endpoint", "payload", "field", "message"),
    [
        ("adjust-line", {"row": 2, "kind": "correct", "quantity_kg": "-1.000", "reason": "The slip shows one kg less."}, "quantity_kg", "must be positive on an invoice"),
        ("adjust-line", {"row": 2, "kind": "exclude", "reason": ""}, "reason", "Give the reason"),
        ("adjust-line", {"row": 2, "kind": "zap", "reason": "The slip shows one kg less."}, "kind", "not a valid choice"),
        ("return", {"reason": "  "}, "reason", "Give the reason"),
        ("return", {"reason": "Duplicates"}, "reason", "at least a sentence"),
    ],
)  # fmt: skip
def test_bad_input_is_a_specific_400_and_changes_nothing(
    api_client, award, firm_user, endpoint, payload, field, message
):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    api_client.force_authenticate(verifier)
    response = post(api_client, claim, endpoint, payload)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert Claim.objects.get(pk=claim.pk).status == S.UNDER_VERIFICATION
    assert not LineAdjustment.objects.exists()


def test_a_renamed_non_pdf_certificate_is_a_400(api_client, award, firm_user):
    claim = drafted(award, firm_user)
    api_client.force_authenticate(firm_user)
    with time_machine.travel(SUBMITTED_AT, tick=False):
        response = api_client.post(
            f"/api/sales-claims/{claim.pk}/submit/",
            {"certificate": certificate(b"GIF89a", name="ca.pdf"), "declaration": "true"},
            format="multipart",
        )
        missing = api_client.post(
            f"/api/sales-claims/{claim.pk}/submit/",
            {"certificate": certificate(), "declaration": "false"}, format="multipart",
        )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["certificate"] == [
        "The chartered accountant's certificate must be a PDF file; this one is not."
    ]
    assert missing.status_code == 400 and "Tick the declaration" in missing.json()["declaration"][0]
    assert Claim.objects.get(pk=claim.pk).status == S.DRAFT


# --- pages --------------------------------------------------------------------------------------


def page(client, user, claim):
    client.force_login(user)
    return client.get(reverse("claim_detail", args=[claim.pk])).content.decode()


def test_the_claim_page_offers_each_form_only_to_the_role_that_may_act(client, award, firm_user):
    claim = drafted(award, firm_user)
    verifier, approver, auditor = staff(Role.VERIFIER), staff(Role.APPROVER), staff(Role.AUDITOR)
    with time_machine.travel(SUBMITTED_AT, tick=False):
        assert 'id="submit-form"' in page(client, firm_user, claim)
        for user in (verifier, approver, auditor):
            assert 'id="submit-form"' not in page(client, user, claim)
    services.submit_claim(
        actor=firm_user, claim=claim, certificate=certificate(), declaration=True, now=SUBMITTED_AT
    )
    with time_machine.travel(STARTED_AT, tick=False):
        shown = page(client, verifier, claim)
        assert 'id="start-form"' in shown and "58 days left" in shown
        assert 'id="start-form"' not in page(client, approver, claim)
        assert 'id="submit-form"' not in page(client, firm_user, claim)
        services.start_verification(actor=verifier, claim=claim, now=STARTED_AT)
        shown = page(client, verifier, claim)
        for form in ("adjust-form", "verify-form", "return-form"):
            assert f'id="{form}"' in shown
        for user in (approver, auditor, firm_user):
            assert 'id="adjust-form"' not in page(client, user, claim)
        services.verify_claim(actor=verifier, claim=claim, now=STARTED_AT)
        assert 'id="approve-form"' in page(client, approver, claim)
        for user in (verifier, auditor, firm_user):
            assert 'id="approve-form"' not in page(client, user, claim)
        # the auditor reads everything: documents, history
        shown = page(client, auditor, claim)
        assert "ca-certificate.pdf" in shown and "claim.verified" in shown


def test_the_verifier_adjusts_with_htmx_and_the_totals_update(client, award, firm_user):
    verifier = staff(Role.VERIFIER)
    claim = under_verification(award, firm_user, verifier)
    client.force_login(verifier)
    url = reverse("claim_action", args=[claim.pk, "adjust"])
    response = client.post(
        url,
        {"row": 2, "kind": "exclude", "reason": "Not in the GST returns."},
        HTTP_HX_REQUEST="true",
    )
    shown = response.content.decode()
    assert response.status_code == 200 and shown.startswith(
        '<section class="card" id="verification"'
    )
    assert 'data-verified-kg="402.000"' in shown and "Not in the GST returns." in shown
    # bad input: the panel comes back with the reason, and nothing is kept
    response = client.post(
        url,
        {
            "row": 3,
            "kind": "correct",
            "quantity_kg": "-2",
            "reason": "The firm typed the kg wrongly.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert "must be positive on an invoice" in response.content.decode()
    assert LineAdjustment.objects.count() == 1


def test_page_actions_refuse_other_roles_and_firms(client, award, firm_user):
    claim = submitted(award, firm_user)
    start = reverse("claim_action", args=[claim.pk, "start_verification"])
    anonymous = client.post(start)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    for user in (staff(Role.AUDITOR), staff(Role.APPROVER), firm_user):
        client.force_login(user)
        assert client.post(start).status_code == 403
    client.force_login(FirmUserFactory())
    assert client.get(reverse("claim_detail", args=[claim.pk])).status_code == 403
    assert client.post(start).status_code == 403
    document = claim.certificate
    assert client.get(reverse("claim_document", args=[claim.pk, document.pk])).status_code == 403
    client.force_login(firm_user)
    got = client.get(reverse("claim_document", args=[claim.pk, document.pk]))
    assert (
        b"".join(got.streaming_content) == PDF_BYTES and got["X-Content-SHA256"] == document.sha256
    )
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED


def test_the_firm_submits_on_the_page(client, award, firm_user):
    claim = drafted(award, firm_user)
    url = reverse("claim_action", args=[claim.pk, "submit"])
    with time_machine.travel(SUBMITTED_AT, tick=False):
        client.force_login(firm_user)  # the session starts at the travelled time
        client.post(url, {"certificate": certificate()})  # no declaration
        assert Claim.objects.get(pk=claim.pk).status == S.DRAFT
        response = client.post(
            url, {"certificate": certificate(), "declaration": "on"}, follow=True
        )
    assert Claim.objects.get(pk=claim.pk).status == S.SUBMITTED
    assert "submitted for verification" in response.content.decode()


def test_a_lapsed_claim_says_so_and_an_official_may_reopen_it(client, award, firm_user):
    claim = lapsed(award, firm_user)
    official = staff(Role.OFFICIAL)
    with time_machine.travel(AFTER_Q1 + dt.timedelta(days=95), tick=False):
        shown = page(client, firm_user, claim)
        assert 'id="lapsed-notice"' in shown and "not submitted by 28 Sep 2027" in shown
        assert 'id="reopen-form"' not in shown
        assert 'id="reopen-form"' in page(client, official, claim)
        client.post(reverse("claim_action", args=[claim.pk, "reopen"]), {"reason": REASON})
    claim.refresh_from_db()
    assert claim.status == S.DRAFT and claim.reopen_reason == REASON


def test_the_officials_panel_flags_overdue_verifications(client, award, firm_user):
    claim = submitted(award, firm_user)
    official = staff(Role.OFFICIAL)
    with time_machine.travel(SUBMITTED_AT + dt.timedelta(days=65), tick=False):
        client.force_login(official)
        shown = client.get(reverse("dashboard")).content.decode()
        assert 'id="overdue-verifications"' in shown and "5 days late" in shown
        assert selectors.overdue_verifications(official) == [claim]
        client.force_login(firm_user)
        assert 'id="overdue-verifications"' not in client.get(reverse("dashboard")).content.decode()
