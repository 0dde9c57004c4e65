"""Opening gestation and walking milestones: firm reports, verifier verifies, approver accepts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from incentives import ledger
from incentives.gestation import services
from incentives.gestation.models import Milestone, Plant
from incentives.models import LedgerEntry
from repm_portal.models import AuditEvent
from repm_portal.roles import Role
from tests.factories import AwardFactory
from tests.gestation.milestones import at, pdf, walk


def ms(plant, kind) -> Milestone:
    return plant.milestones.get(kind=kind)


def walk_all_but_commissioning(plant, firm_user, people, start=dt.date(2026, 5, 1)):
    for n, kind in enumerate(["land", "building", "equipment", "trial"]):
        day = start + dt.timedelta(days=120 * n)
        walk(ms(plant, kind), firm_user=firm_user, verifier=people[Role.VERIFIER],
             approver=people[Role.APPROVER], actual_on=day, when=at(day + dt.timedelta(days=1)))  # fmt: skip


def test_an_official_opens_gestation_with_five_planned_milestones(plant, award):
    # Then gestation runs from the award date for the rule set's 24 months
    assert (plant.gestation_starts_on, plant.gestation_ends_on) == (
        dt.date(2026, 2, 15),
        dt.date(2028, 2, 15),
    )
    assert list(plant.milestones.values_list("kind", "sequence", "status", "planned_on")) == [
        ("land", 1, "planned", dt.date(2026, 5, 15)),
        ("building", 2, "planned", dt.date(2027, 2, 15)),
        ("equipment", 3, "planned", dt.date(2027, 8, 15)),
        ("trial", 4, "planned", dt.date(2027, 12, 15)),
        ("commissioning", 5, "planned", dt.date(2028, 2, 15)),
    ]
    event = AuditEvent.objects.get(action="plant.opened", object_id=str(plant.pk))
    assert event.new_values["gestation_ends_on"] == "2028-02-15"
    assert event.new_values["milestones"]["commissioning"] == "2028-02-15"


def test_gestation_opens_once_and_only_by_an_official(award, people, firm_user):
    for who in (firm_user, people[Role.VERIFIER], people[Role.AUDITOR]):
        with pytest.raises(PermissionDenied):
            services.open_gestation(actor=who, award=award)
    services.open_gestation(actor=people[Role.OFFICIAL], award=award)
    with pytest.raises(ValidationError, match="already open"):
        services.open_gestation(actor=people[Role.ADMIN], award=award)
    assert Plant.objects.filter(award=award).count() == 1


def test_the_daily_sweep_opens_gestation_for_awards_without_a_plant(award, rules):
    second = AwardFactory(tender=award.tender, allocated_mtpa=600)
    opened = services.open_missing_gestations(now=at(dt.date(2026, 3, 1)))
    assert {p.award_id for p in opened} == {award.pk, second.pk}
    assert services.open_missing_gestations() == []
    assert AuditEvent.objects.filter(action="plant.opened", actor_label="system").count() == 2


def test_a_milestone_goes_firm_to_verifier_to_approver(plant, firm_user, people):
    land = ms(plant, "land")
    services.submit_milestone(
        actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 10), remarks="Lease registered",
        files=[pdf("lease-deed.pdf")], now=at(dt.date(2026, 5, 12)),
    )  # fmt: skip
    land.refresh_from_db()
    assert (land.status, land.actual_on, land.submitted_by) == (
        "submitted",
        dt.date(2026, 5, 10),
        firm_user,
    )
    assert land.evidence.get().original_name == "lease-deed.pdf"
    services.verify_milestone(
        actor=people[Role.VERIFIER],
        milestone=land,
        remarks="Deed seen",
        now=at(dt.date(2026, 5, 20)),
    )
    services.accept_milestone(
        actor=people[Role.APPROVER], milestone=land, now=at(dt.date(2026, 5, 22))
    )
    land.refresh_from_db()
    assert (land.status, land.verified_by, land.accepted_by) == (
        "accepted",
        people[Role.VERIFIER],
        people[Role.APPROVER],
    )
    actions = list(
        AuditEvent.objects.filter(object_type="gestation.milestone", object_id=str(land.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["milestone.submitted", "milestone.verified", "milestone.accepted"]


def test_only_the_verifier_verifies_and_only_the_approver_accepts(plant, firm_user, people):
    land = ms(plant, "land")
    services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 10),
                              files=[pdf()], now=at(dt.date(2026, 5, 12)))  # fmt: skip
    for who in (firm_user, people[Role.OFFICIAL], people[Role.APPROVER], people[Role.AUDITOR]):
        with pytest.raises(PermissionDenied):
            services.verify_milestone(actor=who, milestone=land)
    services.verify_milestone(actor=people[Role.VERIFIER], milestone=land)
    for who in (firm_user, people[Role.OFFICIAL], people[Role.VERIFIER], people[Role.ADMIN]):
        with pytest.raises(PermissionDenied):
            services.accept_milestone(actor=who, milestone=land)
    land.refresh_from_db()
    assert land.status == "verified"


def test_the_verifier_never_accepts_what_they_verified(plant, firm_user, people):
    # Given a verifier who has since become an approver
    land = ms(plant, "land")
    services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 10),
                              files=[pdf()], now=at(dt.date(2026, 5, 12)))  # fmt: skip
    person = people["verifier2"]
    services.verify_milestone(actor=person, milestone=land)
    person.role = Role.APPROVER
    person.save()
    with pytest.raises(PermissionDenied, match="cannot also accept"):
        services.accept_milestone(actor=person, milestone=land)
    # And the database refuses it even if the service were bypassed
    land.refresh_from_db()
    land.status, land.accepted_by = "accepted", person
    with pytest.raises(IntegrityError), transaction.atomic():
        land.save()


def test_a_returned_milestone_carries_the_reason_and_is_reported_again(plant, firm_user, people):
    land = ms(plant, "land")
    services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 10),
                              files=[pdf()], now=at(dt.date(2026, 5, 12)))  # fmt: skip
    with pytest.raises(ValidationError):
        services.return_milestone(actor=people[Role.VERIFIER], milestone=land, reason="  ")
    events = AuditEvent.objects.count()
    for reason in ("Unregistered", "The deed is not\u202e registered."):
        with pytest.raises(ValidationError) as refused:
            services.return_milestone(actor=people[Role.VERIFIER], milestone=land, reason=reason)
        assert "reason the milestone is returned" in refused.value.message_dict["reason"][0]
    land.refresh_from_db()
    assert land.status == "submitted" and AuditEvent.objects.count() == events
    with pytest.raises(PermissionDenied, match="returned by the verifier"):
        services.return_milestone(actor=people[Role.APPROVER], milestone=land, reason="No")
    services.return_milestone(
        actor=people[Role.VERIFIER], milestone=land, reason="The deed is not registered."
    )
    land.refresh_from_db()
    assert (land.status, land.verification_remarks) == ("returned", "The deed is not registered.")
    event = AuditEvent.objects.get(action="milestone.returned")
    assert event.new_values["reason"] == "The deed is not registered."
    # The firm corrects it; earlier evidence is kept, a new file is added
    services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 5, 11),
                              files=[pdf("registered-deed.pdf")], now=at(dt.date(2026, 5, 20)))  # fmt: skip
    land.refresh_from_db()
    assert land.status == "submitted"
    assert land.evidence.count() == 2
    # The approver may also send a verified milestone back
    services.verify_milestone(actor=people[Role.VERIFIER], milestone=land)
    services.return_milestone(
        actor=people[Role.APPROVER], milestone=land, reason="The lease names the wrong plot number."
    )
    land.refresh_from_db()
    assert (land.status, land.verified_by) == ("returned", people[Role.VERIFIER])


def test_milestones_are_accepted_in_order_and_dates_run_in_sequence(plant, firm_user, people):
    building = ms(plant, "building")
    services.submit_milestone(actor=firm_user, milestone=building, actual_on=dt.date(2026, 9, 1),
                              files=[pdf()], now=at(dt.date(2026, 9, 2)))  # fmt: skip
    services.verify_milestone(actor=people[Role.VERIFIER], milestone=building)
    with pytest.raises(
        ValidationError, match=r"Accept the earlier milestones first \(land acquired\)"
    ):
        services.accept_milestone(actor=people[Role.APPROVER], milestone=building)
    # Land cannot be reported as reached after the building
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(actor=firm_user, milestone=ms(plant, "land"),
                                  actual_on=dt.date(2026, 9, 5), files=[pdf()], now=at(dt.date(2026, 9, 6)))  # fmt: skip
    assert "comes before it" in info.value.message_dict["actual_on"][0]


def test_dates_in_the_future_or_before_the_award_are_refused(plant, firm_user):
    land = ms(plant, "land")
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 6, 1),
                                  files=[pdf()], now=at(dt.date(2026, 5, 1)))  # fmt: skip
    assert info.value.message_dict["actual_on"] == ["The date cannot be in the future."]
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(actor=firm_user, milestone=land, actual_on=dt.date(2026, 1, 1),
                                  files=[pdf()], now=at(dt.date(2026, 5, 1)))  # fmt: skip
    assert "before the award (15 Feb 2026)" in info.value.message_dict["actual_on"][0]


def test_only_the_winners_people_report_its_milestones(plant, other_firm_user, people):
    with pytest.raises(PermissionDenied):
        services.submit_milestone(actor=other_firm_user, milestone=ms(plant, "land"),
                                  actual_on=dt.date(2026, 5, 1), files=[pdf()], now=at(dt.date(2026, 5, 2)))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.submit_milestone(actor=people[Role.OFFICIAL], milestone=ms(plant, "land"),
                                  actual_on=dt.date(2026, 5, 1), files=[pdf()], now=at(dt.date(2026, 5, 2)))  # fmt: skip
    assert ms(plant, "land").status == "planned"


def test_commissioning_needs_a_capacity_no_more_than_awarded(plant, firm_user, people):
    walk_all_but_commissioning(plant, firm_user, people)
    commissioning = ms(plant, "commissioning")
    for mtpa, message in ((None, "Give the capacity"), (801, "at most the 800 MTPA awarded")):
        with pytest.raises(ValidationError) as info:
            services.submit_milestone(actor=firm_user, milestone=commissioning, actual_on=dt.date(2028, 1, 20),
                                      files=[pdf()], commissioned_mtpa=mtpa, now=at(dt.date(2028, 1, 21)))  # fmt: skip
        assert message in info.value.message_dict["commissioned_mtpa"][0]
    with pytest.raises(ValidationError) as info:
        services.submit_milestone(actor=firm_user, milestone=ms(plant, "land"), actual_on=dt.date(2026, 5, 1),
                                  files=[pdf()], commissioned_mtpa=100, now=at(dt.date(2026, 5, 2)))  # fmt: skip


def test_accepting_commissioning_on_time_records_it_and_posts_no_penalty(plant, firm_user, people):
    walk_all_but_commissioning(plant, firm_user, people)
    walk(ms(plant, "commissioning"), firm_user=firm_user, verifier=people[Role.VERIFIER],
         approver=people[Role.APPROVER], actual_on=dt.date(2028, 2, 15), when=at(dt.date(2028, 2, 16)), mtpa=750)  # fmt: skip
    plant.refresh_from_db()
    assert (plant.commissioned_on, plant.commissioned_mtpa) == (dt.date(2028, 2, 15), 750)
    assert not LedgerEntry.objects.filter(award=plant.award).exists()
    event = AuditEvent.objects.get(action="plant.commissioned")
    assert event.new_values["delay_days"] == 0


def test_accepting_a_late_commissioning_posts_the_delay_penalty_once(
    plant, firm_user, people, guarantee
):
    walk_all_but_commissioning(plant, firm_user, people)
    commissioning = ms(plant, "commissioning")
    # Commissioned 1 Mar 2028: 16 Feb - 1 Mar (29 Feb included) is 15 days of delay
    walk(commissioning, firm_user=firm_user, verifier=people[Role.VERIFIER], approver=people[Role.APPROVER],
         actual_on=dt.date(2028, 3, 1), when=at(dt.date(2028, 3, 3)), mtpa=800)  # fmt: skip
    entry = LedgerEntry.objects.get(award=plant.award)
    # 15 days x 0.1 % x Rs 40 crore = Rs 60 lakh
    assert (entry.kind, entry.pool, entry.amount) == ("penalty", "sli", Decimal("6000000.00"))
    assert entry.source_key == f"gestation:delay-penalty:{plant.award_id}"
    assert (entry.claim_type, entry.claim_id) == ("gestation", str(plant.pk))
    assert entry.posted_by == people[Role.APPROVER]
    assert "15 days x 0.1 % of PBG Rs 40,00,00,000.00" in entry.narration
    assert "guarantee CNRB/PBG/1" in entry.narration
    assert ledger.balances(award=plant.award).deductions == Decimal("6000000.00")
    # Commissioning is final: the database refuses a change to it or to the accepted milestone
    plant.refresh_from_db()
    plant.commissioned_on = dt.date(2028, 2, 1)
    with pytest.raises(Exception, match="commissioning cannot change"), transaction.atomic():
        plant.save()
    commissioning.refresh_from_db()
    commissioning.firm_remarks = "edited"
    with pytest.raises(Exception, match="accepted; it cannot change"), transaction.atomic():
        commissioning.save()


def test_a_failed_ledger_post_rolls_the_commissioning_back(plant, firm_user, people, monkeypatch):
    walk_all_but_commissioning(plant, firm_user, people)
    commissioning = ms(plant, "commissioning")
    services.submit_milestone(actor=firm_user, milestone=commissioning, actual_on=dt.date(2028, 3, 1),
                              files=[pdf()], commissioned_mtpa=800, now=at(dt.date(2028, 3, 2)))  # fmt: skip
    services.verify_milestone(actor=people[Role.VERIFIER], milestone=commissioning)

    def refuse(**kwargs):
        raise ValidationError("ledger closed")

    monkeypatch.setattr(services.ledger, "post", refuse)
    with pytest.raises(ValidationError, match="ledger closed"):
        services.accept_milestone(actor=people[Role.APPROVER], milestone=commissioning)
    plant.refresh_from_db()
    commissioning.refresh_from_db()
    assert (plant.commissioned_on, commissioning.status) == (None, "verified")
    assert not AuditEvent.objects.filter(action="plant.commissioned").exists()
