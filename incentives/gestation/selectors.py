"""Reads of gestation, scoped to the asker: a firm sees only the plants of its own awards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet

from bidding.models import Award, PerformanceBankGuarantee
from incentives.gestation import engine
from incentives.gestation.models import Milestone, MilestoneEvidence, Plant
from repm_portal import clock, request_memo, scoping
from repm_portal.roles import READ_ALL_ROLES, AnyUser, Role, has_role
from repm_portal.ui import count_of


def _today(now: dt.datetime | None) -> dt.date:
    return clock.today(now)


def plants_visible_to(user: AnyUser, *, evidence: bool = True) -> QuerySet[Plant]:
    """With each plant its milestones (and, unless `evidence=False`, their evidence) and guarantees."""
    milestones = Milestone.objects.order_by("sequence")
    if evidence:
        milestones = milestones.prefetch_related(
            Prefetch("evidence", queryset=MilestoneEvidence.objects.order_by("uploaded_at"))
        )
    base = Plant.objects.select_related(
        "award__tender", "award__bid__firm", "award__bid__consortium", "award__rule_set"
    ).prefetch_related(
        Prefetch("milestones", queryset=milestones),
        Prefetch(
            "award__guarantees",
            queryset=PerformanceBankGuarantee.objects.order_by("-recorded_at"),
        ),
    )
    if has_role(user, *READ_ALL_ROLES):
        return base
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        # The bidder (a consortium's lead) and every member of its consortium.
        mine = Award.objects.filter(
            Q(bid__firm_id=user.firm_id) | Q(bid__participants__firm_id=user.firm_id)
        )
        return base.filter(award__in=mine.values("pk"))
    return base.none()


def plant_for(user: AnyUser, plant_id: int) -> Plant:
    plant = plants_visible_to(user).filter(pk=plant_id).first()
    if plant is None:
        raise PermissionDenied("No such plant, or it is not yours to see.")
    return plant


def milestone_for(user: AnyUser, milestone_id: int) -> Milestone:
    milestone = (
        Milestone.objects.select_related("plant__award__bid")
        .filter(pk=milestone_id, plant__in=plants_visible_to(user).values("pk"))
        .first()
    )
    if milestone is None:
        raise PermissionDenied("No such milestone, or it is not yours to see.")
    return milestone


def evidence_for(user: AnyUser, evidence_id: int) -> MilestoneEvidence:
    evidence = (
        MilestoneEvidence.objects.select_related("milestone")
        .filter(pk=evidence_id, milestone__plant__in=plants_visible_to(user).values("pk"))
        .first()
    )
    if evidence is None:
        raise PermissionDenied("No such document, or it is not yours to see.")
    return evidence


def awards_without_plant() -> QuerySet[Award]:
    return (
        Award.objects.filter(plant__isnull=True)
        .select_related("tender", "bid__firm", "bid__consortium", "rule_set")
        .order_by("awarded_at", "pk")
    )


# The delay penalty


@dataclass(frozen=True)
class PbgBasis:
    amount: Decimal
    source: str


def pbg_basis(award: Award) -> PbgBasis:
    """The PBG the penalty is a share of: the active guarantee, else the amount the award requires.

    The required amount stands in while no guarantee is held (none recorded yet, or the last one
    released or invoked), so a missing guarantee never lowers the penalty to nothing.
    """
    active = next(
        (g for g in award.guarantees.all() if g.status == PerformanceBankGuarantee.Status.ACTIVE),
        None,
    )
    if active is not None:
        return PbgBasis(active.amount, f"guarantee {active.guarantee_number} of {active.bank_name}")
    return PbgBasis(award.pbg_amount_required, "the PBG amount the award requires")


def delay_penalty(plant: Plant, *, now: dt.datetime | None = None) -> engine.DelayPenalty:
    """Up to the commissioning date once commissioned; until then, accrued up to today."""
    until = plant.commissioned_on or _today(now)
    return engine.delay_penalty(
        gestation_ends_on=plant.gestation_ends_on,
        until=until,
        pbg_amount=pbg_basis(plant.award).amount,
        pct_per_day=plant.award.rule_set.delay_penalty_pct_per_day,
    )


# The timeline


@dataclass(frozen=True)
class MilestoneRow:
    milestone: Milestone
    days_late: int

    @property
    def is_late(self) -> bool:
        return self.days_late > 0

    @property
    def is_done(self) -> bool:
        return self.milestone.status == Milestone.Status.ACCEPTED


@dataclass(frozen=True)
class PlantRow:
    plant: Plant
    milestones: list[MilestoneRow]
    penalty: engine.DelayPenalty

    @property
    def late(self) -> list[MilestoneRow]:
        return [row for row in self.milestones if row.is_late and not row.is_done]

    @property
    def next_open(self) -> MilestoneRow | None:
        return next((row for row in self.milestones if not row.is_done), None)


def milestone_rows(plant: Plant, *, today: dt.date) -> list[MilestoneRow]:
    rows = []
    for milestone in plant.milestones.all():
        done_on = milestone.actual_on if milestone.status != Milestone.Status.PLANNED else None
        rows.append(MilestoneRow(milestone, engine.days_late(milestone.planned_on, done_on, today)))
    return rows


def plant_row(plant: Plant, *, now: dt.datetime | None = None) -> PlantRow:
    today = _today(now)
    return PlantRow(plant, milestone_rows(plant, today=today), delay_penalty(plant, now=now))


def timeline(user: AnyUser, *, now: dt.datetime | None = None) -> list[PlantRow]:
    """Every plant the user may see, each milestone with how late it is, and the penalty."""
    return [plant_row(p, now=now) for p in plants_visible_to(user).order_by("award__rank", "pk")]


def awaiting(user: AnyUser) -> QuerySet[Milestone]:
    """The milestones waiting for this user: to verify, to accept, or (a firm) to resubmit."""
    base = Milestone.objects.select_related("plant__award__bid__firm").order_by(
        "submitted_at", "pk"
    )
    if has_role(user, Role.VERIFIER):
        return base.filter(status=Milestone.Status.SUBMITTED)
    if has_role(user, Role.APPROVER):
        return base.filter(status=Milestone.Status.VERIFIED)
    if has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        return base.filter(
            status=Milestone.Status.RETURNED, plant__award__bid__firm_id=user.firm_id
        )
    return base.none()


@request_memo.memoized
def plants_with_awards(user: AnyUser) -> list[Plant]:
    """`plants_visible_to(user, evidence=False)` by award rank, read once for a page's panels.

    Each plant's award knows its plant (as select_related("plant") would), so the awards of
    the commissioned plants serve as the user's commissioned awards; for staff each plant also
    carries `without_plant`, the count of awards without one (a scalar subquery).
    """
    plants = plants_visible_to(user, evidence=False)
    if has_role(user, *READ_ALL_ROLES):
        plants = plants.annotate(without_plant=count_of(awards_without_plant()))
    found = list(plants.order_by("award__rank", "pk"))
    for plant in found:
        Award.plant.related.set_cached_value(plant.award, plant)
    return found


def commissioned_awards(plants: list[Plant]) -> list[Award]:
    """The awards of the commissioned plants of `plants_with_awards`."""
    return [plant.award for plant in plants if plant.commissioned_on is not None]


def awaiting_among(user: AnyUser, rows: list[PlantRow]) -> list[Milestone]:
    """`awaiting(user)` taken from the user's timeline already read (every plant the user may
    see, with its milestones) instead of read again."""
    firm_id = None
    if has_role(user, Role.VERIFIER):
        status = Milestone.Status.SUBMITTED
    elif has_role(user, Role.APPROVER):
        status = Milestone.Status.VERIFIED
    elif has_role(user, Role.FIRM_USER) and user.firm_id is not None:
        status, firm_id = Milestone.Status.RETURNED, user.firm_id
    else:
        return []
    found = []
    for row in rows:
        if firm_id is not None and row.plant.award.bid.firm_id != firm_id:
            continue  # a consortium member's plant: its lead resubmits
        for milestone in row.plant.milestones.all():
            if milestone.status == status:
                milestone.plant = row.plant
                found.append(milestone)
    # As the query orders them: by submission (none last), then id.
    return sorted(found, key=lambda m: (m.submitted_at is None, m.submitted_at or 0, m.pk))


def commissioning_outstanding(award: Award, today: dt.date) -> str:
    """What gestation still owes for the award's guarantee: a plant not yet commissioned."""
    plant = Plant.objects.filter(award=award).only("commissioned_on").first()
    if plant is None or plant.commissioned_on is None:
        return "The plant is not commissioned yet."
    return ""


# Related fields and filters of the API offer only what these selectors let a user see.
scoping.register(Plant, plants_visible_to)
