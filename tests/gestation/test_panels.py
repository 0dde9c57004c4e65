"""The dashboard's gestation panels take the milestones waiting for each user from the plants
they read (`awaiting_among`), the same milestones in the same order as `awaiting` reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from incentives.gestation import selectors, services
from repm_portal import request_memo
from repm_portal.roles import Role
from tests.gestation.milestones import at, pdf


@pytest.fixture
def milestones(plant, firm_user, people):
    """Land and building submitted (building then verified), equipment returned to the firm."""
    found = {kind: plant.milestones.get(kind=kind) for kind in ("land", "building", "equipment")}
    for day, milestone in enumerate(found.values(), start=1):
        services.submit_milestone(
            actor=firm_user, milestone=milestone, actual_on=dt.date(2026, 5, day),
            files=[pdf()], now=at(dt.date(2026, 5, 10 - day)),
        )  # fmt: skip
    services.verify_milestone(
        actor=people[Role.VERIFIER], milestone=found["building"], now=at(dt.date(2026, 5, 12))
    )
    services.return_milestone(
        actor=people[Role.VERIFIER], milestone=found["equipment"], reason="The certificate is illegible.",
        now=at(dt.date(2026, 5, 12)),
    )  # fmt: skip
    return found


@pytest.mark.parametrize("who", [Role.VERIFIER, Role.APPROVER, Role.OFFICIAL, "firm", "other"])
def test_the_panel_finds_the_milestones_awaiting_reads(
    who, people, firm_user, other_firm_user, milestones
):
    user = {"firm": firm_user, "other": other_firm_user}.get(who) or people[who]
    with request_memo.scope():
        rows = [selectors.plant_row(p) for p in selectors.plants_with_awards(user)]
        among = [m.pk for m in selectors.awaiting_among(user, rows)]
    assert among == [m.pk for m in selectors.awaiting(user)]
    expected = {
        Role.VERIFIER: ["land"],
        Role.APPROVER: ["building"],
        "firm": ["equipment"],
    }.get(who, [])
    assert [m.kind for m in selectors.awaiting(user)] == expected


def test_the_verifier_dashboard_lists_the_submitted_milestone(client, people, milestones):
    client.force_login(people[Role.VERIFIER])
    page = client.get(reverse("dashboard")).content.decode()
    assert "Milestones waiting for you" in page
    assert f"#milestone-{milestones['land'].kind}" in page
