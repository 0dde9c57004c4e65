"""In Chromium: the approver accepts a verified commissioning milestone and sees the date recorded."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from incentives.gestation import services
from incentives.gestation.models import Plant
from incentives.models import LedgerEntry
from repm_portal.roles import Role
from tests.e2e.pages import login
from tests.factories import PASSWORD, AwardFactory, UserFactory, pdf_bytes

IST = ZoneInfo("Asia/Kolkata")
PDF = pdf_bytes("Commissioning certificate")


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(11), tzinfo=IST)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db(transaction=True)
def test_the_approver_accepts_commissioning_and_sees_the_date(live_server, page, rules, media_root):
    # Given a plant whose gestation ended some 70 days ago and which was commissioned 50 days
    # after that, its earlier milestones accepted and the commissioning verified (the live
    # server runs on the real clock, so every date is set back from today)
    official = UserFactory(role=Role.OFFICIAL, username="e2e_official")
    verifier = UserFactory(role=Role.VERIFIER, username="e2e_verifier")
    approver = UserFactory(role=Role.APPROVER, username="e2e_approver", first_name="Asha")
    awarded_on = timezone.localdate() - dt.timedelta(days=800)
    award = AwardFactory(allocated_mtpa=1000, awarded_at=at(awarded_on))
    firm_user = award.bid.firm.users.first()
    plant = services.open_gestation(actor=official, award=award, now=at(awarded_on))
    commissioned_on = plant.gestation_ends_on + dt.timedelta(days=50)
    days = [awarded_on + dt.timedelta(days=n) for n in (60, 300, 450, 600)] + [commissioned_on]
    for milestone, day in zip(plant.milestones.order_by("sequence"), days, strict=True):
        services.submit_milestone(
            actor=firm_user, milestone=milestone, actual_on=day, now=at(day + dt.timedelta(days=2)),
            files=[SimpleUploadedFile(f"{milestone.kind}.pdf", PDF)],
            commissioned_mtpa=950 if milestone.kind == "commissioning" else None,
        )  # fmt: skip
        services.verify_milestone(
            actor=verifier, milestone=milestone, now=at(day + dt.timedelta(days=5))
        )
        if milestone.kind != "commissioning":
            services.accept_milestone(
                actor=approver, milestone=milestone, now=at(day + dt.timedelta(days=6))
            )

    # When the approver opens the plant from the dashboard and accepts the commissioning
    base = live_server.url
    login(page, base, approver.username, PASSWORD)
    page.get_by_role("link", name="Gestation", exact=True).click()
    page.get_by_role("link", name=plant.name).click()
    commissioning = page.locator("#milestone-commissioning")
    expect(commissioning).to_contain_text("Verified")
    commissioning.get_by_role("button", name="Accept commissioning").click()

    # Then the page says so, the commissioning date and capacity are recorded, the penalty posted
    expect(page.locator(".messages")).to_contain_text(
        f"Commissioning accepted: the plant was commissioned on {commissioned_on.day} {commissioned_on:%b %Y}."
    )
    expect(page.locator("#commissioning")).to_contain_text(
        f"{commissioned_on.day} {commissioned_on:%b %Y}"
    )
    expect(page.locator("#commissioning")).to_contain_text("950 MTPA")
    expect(page.locator("#penalty")).to_contain_text("posted to the ledger")
    plant = Plant.objects.get(pk=plant.pk)
    assert (plant.commissioned_on, plant.commissioned_mtpa) == (commissioned_on, 950)
    assert LedgerEntry.objects.get(award=award, kind="penalty").posted_by_id == approver.pk
