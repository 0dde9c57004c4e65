"""The SLI API per role: stored figures, true-ups and a claim's preview, a firm reading only its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import transaction

from incentives.sli import preview, services
from incentives.sli.models import SliComputation, TrueUp
from incentives.sli.tasks import preview_quarter
from repm_portal.roles import Role
from tests.claims.sales import sales_award
from tests.factories import UserFactory
from tests.sli.money import Q1, Q2, after, quarter_claim, sanction
from tests.sli.pages import NOW, books, firm_user

pytestmark = pytest.mark.django_db
YEAR_CLOSED = dt.datetime(2028, 7, 15, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW)


@pytest.fixture
def booked(award, users):
    """Firm A's Q1 sanctioned and Q2 verified, firm B's Q2 verified; the Q2 preview run done."""
    shown = books(award, users)
    with transaction.atomic():
        run = services.request_quarter_preview(period_end=Q2[1], actor=users[Role.OFFICIAL])
    assert preview_quarter(run.pk) == 2
    return shown


def test_anonymous_calls_get_401(api_client, booked):
    for url in (
        "/api/sli/computations/",
        "/api/sli/true-ups/",
        f"/api/sli/claims/{booked.q2.pk}/preview/",
    ):
        assert api_client.get(url).status_code == 401, url


def test_a_firm_reads_only_its_own_computations(api_client, booked):
    api_client.force_authenticate(firm_user(booked.award))
    listed = api_client.get("/api/sli/computations/").json()["results"]
    mine = SliComputation.objects.filter(award=booked.award).order_by("pk")
    assert [c["id"] for c in listed] == [c.pk for c in mine]
    assert {(c["purpose"], c["claim"]) for c in listed} == {
        ("sanction", booked.q1.pk),
        ("preview", booked.q2.pk),
    }
    record = mine.get(letter=booked.letter)
    detail = api_client.get(f"/api/sli/computations/{record.pk}/").json()
    assert detail["inputs"] == record.inputs and detail["working"] == record.working
    assert len(detail["working"]["steps"]) == 8
    assert (detail["letter_number"], detail["release"]) == (booked.letter.number, "854250.00")
    theirs = SliComputation.objects.get(claim=booked.theirs)
    assert api_client.get(f"/api/sli/computations/{theirs.pk}/").status_code == 404


def test_an_auditor_reads_every_computation_and_filters_them(api_client, users, booked):
    api_client.force_authenticate(users[Role.AUDITOR])
    listed = api_client.get("/api/sli/computations/").json()["results"]
    assert len(listed) == SliComputation.objects.count() == 3
    previews = api_client.get("/api/sli/computations/", {"purpose": "preview"}).json()
    assert {c["claim"] for c in previews["results"]} == {booked.q2.pk, booked.theirs.pk}


def test_a_claims_preview_is_what_it_would_receive_now(api_client, users, booked):
    api_client.force_authenticate(firm_user(booked.award))
    response = api_client.get(f"/api/sli/claims/{booked.q2.pk}/preview/")
    assert response.status_code == 200
    assert response.json() == preview.preview(booked.q2)
    assert [step["step"] for step in response.json()["steps"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert api_client.get(f"/api/sli/claims/{booked.theirs.pk}/preview/").status_code == 404
    api_client.force_authenticate(users[Role.AUDITOR])
    assert api_client.get(f"/api/sli/claims/{booked.theirs.pk}/preview/").status_code == 200
    # the claims' own records stay the claims API's
    assert api_client.get(f"/api/sli/claims/{booked.q2.pk}/").status_code == 404


@pytest.fixture
def computed(award, users, time_machine):
    claim = quarter_claim(award, Q1)
    sanction(claim, users[Role.APPROVER], now=after(Q1[1], 20))
    time_machine.move_to(YEAR_CLOSED)
    return services.compute_true_up(
        award=award, financial_year="2027-28", actor=users[Role.APPROVER]
    )


def test_true_ups_are_scoped_and_only_another_approver_approves(api_client, users, computed):
    url = f"/api/sli/true-ups/{computed.pk}/"
    api_client.force_authenticate(firm_user(computed.award))
    (listed,) = api_client.get("/api/sli/true-ups/").json()["results"]
    assert (listed["id"], listed["status"], listed["balance"]) == (
        computed.pk, "computed", f"{computed.balance:f}",
    )  # fmt: skip
    assert listed["computation"] == computed.computation.pk
    api_client.force_authenticate(firm_user(sales_award()))
    assert api_client.get("/api/sli/true-ups/").json()["results"] == []
    assert api_client.get(url).status_code == 404
    # the firm, a verifier and the approver who computed it may not approve it
    for user in (firm_user(computed.award), users[Role.VERIFIER], users[Role.APPROVER]):
        api_client.force_authenticate(user)
        assert api_client.post(f"{url}approve/").status_code == 403
    # another approver may, once
    api_client.force_authenticate(UserFactory(role=Role.APPROVER, username="second_approver"))
    approved = api_client.post(f"{url}approve/")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["approved_by"] == "second_approver"
    again = api_client.post(f"{url}approve/")
    assert again.status_code == 400
    assert TrueUp.objects.get().status == TrueUp.Status.APPROVED


def test_the_schema_names_every_sli_component_without_a_warning(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    for name in ("SliComputationDetail", "SliTrueUp", "SliPreview", "SliComputationKindEnum"):
        assert f"    {name}:" in schema
    for path in ("/api/sli/computations/{id}/", "/api/sli/true-ups/{id}/approve/"):
        assert f"  {path}:" in schema
    assert "  /api/sli/claims/{id}/preview/:" in schema
