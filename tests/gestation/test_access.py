"""Who may do what, per role and per endpoint: pages and API alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incentives.gestation import services
from incentives.gestation.models import Milestone
from repm_portal.roles import READ_ALL_ROLES, Role
from tests.gestation.milestones import at, pdf

STAFF = sorted(READ_ALL_ROLES)


@pytest.fixture
def submitted(plant, firm_user) -> Milestone:
    land = plant.milestones.get(kind="land")
    services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 1),
                              files=[pdf()], now=at(dt.date(2026, 5, 2)))  # fmt: skip
    return land


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", STAFF)
def test_staff_read_every_plant_timeline_and_evidence(client, people, plant, submitted, role):
    as_user(client, people[role])
    evidence = submitted.evidence.get()
    for url in (
        reverse("gestation_timeline"),
        reverse("plant_detail", args=[plant.pk]),
        reverse("plant_penalty", args=[plant.pk]),
        reverse("evidence_file", args=[evidence.pk]),
        f"/api/plants/{plant.pk}/",
        f"/api/milestones/{submitted.pk}/",
    ):
        assert client.get(url).status_code == 200, url
    assert plant.name in client.get(reverse("gestation_timeline")).content.decode()


def test_a_firm_sees_only_its_own_plant(client, plant, firm_user, other_firm_user, submitted):
    evidence = submitted.evidence.get()
    # The winner sees its plant and evidence
    as_user(client, firm_user)
    assert client.get(reverse("plant_detail", args=[plant.pk])).status_code == 200
    assert client.get(reverse("evidence_file", args=[evidence.pk])).status_code == 200
    assert [p["id"] for p in client.get("/api/plants/").json()["results"]] == [plant.pk]
    # Another firm sees nothing of it, by page or API
    as_user(client, other_firm_user)
    for url in (
        reverse("plant_detail", args=[plant.pk]),
        reverse("plant_penalty", args=[plant.pk]),
        reverse("evidence_file", args=[evidence.pk]),
        reverse("milestone_submit", args=[submitted.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.get("/api/plants/").json()["results"] == []
    assert client.get(f"/api/plants/{plant.pk}/").status_code == 404
    assert client.get(f"/api/milestones/{submitted.pk}/").status_code == 404
    assert plant.name not in client.get(reverse("gestation_timeline")).content.decode()


def test_anonymous_callers_are_sent_to_log_in(client, api_client, plant):
    assert client.get(reverse("gestation_timeline")).status_code == 302
    assert client.get(reverse("plant_detail", args=[plant.pk])).status_code == 302
    assert api_client.get("/api/plants/").status_code == 401


@pytest.mark.parametrize("role", [r for r in STAFF if r != Role.VERIFIER] + [Role.FIRM_USER])
def test_only_the_verifier_verifies_by_page_and_api(
    client, api_client, people, firm_user, submitted, role
):
    user = firm_user if role == Role.FIRM_USER else people[role]
    as_user(client, user)
    assert client.post(reverse("milestone_verify", args=[submitted.pk])).status_code == 403
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/milestones/{submitted.pk}/verify/").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


@pytest.mark.parametrize("role", [r for r in STAFF if r != Role.APPROVER] + [Role.FIRM_USER])
def test_only_the_approver_accepts_by_page_and_api(
    client, api_client, people, firm_user, submitted, role
):
    services.verify_milestone(actor=people[Role.VERIFIER], milestone=submitted)
    user = firm_user if role == Role.FIRM_USER else people[role]
    as_user(client, user)
    assert client.post(reverse("milestone_accept", args=[submitted.pk])).status_code == 403
    api_client.force_authenticate(user)
    assert api_client.post(f"/api/milestones/{submitted.pk}/accept/").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "verified"


def test_the_whole_walk_through_the_api(api_client, people, plant, firm_user):
    land = plant.milestones.get(kind="land")
    api_client.force_authenticate(firm_user)
    bad = api_client.post(
        f"/api/milestones/{land.pk}/submit/",
        {"actual_on": "2026-05-01"},
        format="multipart",
    )
    assert bad.status_code == 400
    assert bad.json()["files"] == ["Attach at least one evidence file (PDF, PNG or JPEG)."]
    response = api_client.post(
        f"/api/milestones/{land.pk}/submit/",
        {"actual_on": "2026-05-01", "remarks": "Allotted by MIDC", "files": [pdf("allotment.pdf")]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"
    assert response.json()["evidence"][0]["original_name"] == "allotment.pdf"
    api_client.force_authenticate(people[Role.VERIFIER])
    assert (
        api_client.post(f"/api/milestones/{land.pk}/verify/", {"remarks": "Seen"}).json()["status"]
        == "verified"
    )
    api_client.force_authenticate(people[Role.APPROVER])
    assert api_client.post(f"/api/milestones/{land.pk}/accept/").json()["status"] == "accepted"
    api_client.force_authenticate(firm_user)
    plant_json = api_client.get(f"/api/plants/{plant.pk}/").json()
    assert plant_json["milestones"][0]["status"] == "accepted"
    assert plant_json["delay_penalty"]["pct_per_day"] == "0.1000"


def test_only_officials_open_gestation_through_the_api(api_client, people, award, firm_user):
    for user in (firm_user, people[Role.VERIFIER], people[Role.AUDITOR]):
        api_client.force_authenticate(user)
        assert api_client.post("/api/plants/", {"award": award.pk}).status_code == 403
    api_client.force_authenticate(people[Role.OFFICIAL])
    response = api_client.post("/api/plants/", {"award": award.pk, "name": "Hosur plant"})
    assert response.status_code == 201
    assert response.json()["gestation_ends_on"] == "2028-02-15"
    assert len(response.json()["milestones"]) == 5


def test_the_firm_reports_through_the_page_and_sees_a_clear_error(client, plant, firm_user):
    # The page checks dates against today: the land milestone was reached on 1 May 2026
    land = plant.milestones.get(kind="land")
    as_user(client, firm_user)
    url = reverse("milestone_submit", args=[land.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"actual_on": "2026-05-01", "files": [SimpleUploadedFile("notes.pdf", b"")]}
    )
    assert bad.status_code == 200
    assert "The evidence file notes.pdf is empty." in bad.content.decode()
    assert Milestone.objects.get(pk=land.pk).status == "planned"
    good = client.post(url, {"actual_on": "2026-05-01", "files": [pdf("lease.pdf")]})
    assert good.status_code == 302
    assert Milestone.objects.get(pk=land.pk).status == "submitted"
